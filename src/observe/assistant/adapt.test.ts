import { describe, expect, it } from 'vitest';
import { adaptCandidates, unifiedDiff } from './adapt.js';

describe('unifiedDiff', () => {
  it('prints hunks with 3 lines of context and correct ranges', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n') + '\n';
    const b = a.replace('2\n', '2\n2b\n').replace('11\n', 'eleven\n');
    expect(unifiedDiff(a, b, 'f')).toBe([
      '--- a/f', '+++ b/f',
      '@@ -1,5 +1,6 @@', ' 1', ' 2', '+2b', ' 3', ' 4', ' 5',
      '@@ -8,6 +9,6 @@', ' 8', ' 9', ' 10', '-11', '+eleven', ' 12', ' ',
    ].join('\n') + '\n');
    expect(unifiedDiff(a, a, 'f')).toBe('');
  });
});

describe('adaptCandidates', () => {
  it('lists steps whose run lacks the platform, in file order, hooks included', () => {
    const src = 'name: w\nsteps:\n  - id: a\n    run: ls\n  - id: b\n    run: { win32: dir }\n  - id: c\n    uses: ./h.mjs#f\nfinally:\n  - id: d\n    run:\n      linux: ls\n';
    expect(adaptCandidates(src, 'win32').map((c) => c.stepId)).toEqual(['a', 'd']);
    expect(adaptCandidates(src, 'linux').map((c) => c.stepId)).toEqual(['a', 'b']);
  });
});
