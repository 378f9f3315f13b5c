import { describe, expect, it } from 'vitest';
import { MAX_NAME_PART, fileNamePart } from './file-names.js';

describe('fileNamePart', () => {
  it('keeps short plain names as they are (the names logs always had)', () => {
    for (const s of ['build', 'mx6h8heic826433e', 'step_1.a-b', 'x'.repeat(MAX_NAME_PART)]) expect(fileNamePart(s)).toBe(s);
  });

  it('bounds long names: readable prefix, a hash, at most the limit', () => {
    const long = 'x'.repeat(300);
    const n = fileNamePart(long);
    expect(n).toMatch(/^x+-[0-9a-f]{12}$/);
    expect(n.length).toBe(MAX_NAME_PART);
    expect(fileNamePart('x'.repeat(301))).not.toBe(n);
    expect(fileNamePart(long)).toBe(n); // stable
  });

  it('encodes characters outside [A-Za-z0-9._-], and never yields a path step', () => {
    for (const s of ['a/b', '../../etc', '..', '.', 'a b', 'ünï', '']) {
      const n = fileNamePart(s);
      expect(n).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/);
      expect(n).not.toContain('/');
    }
    expect(fileNamePart('a/b')).not.toBe(fileNamePart('a_b'));
    expect(fileNamePart('a/b').startsWith('a_b-')).toBe(true);
  });
});
