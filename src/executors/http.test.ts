import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './http.js';

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('reads an HTTP-date relative to now; one in the past is 0', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or malformed values', () => {
    expect([null, undefined, '', '-1', '1.5', 'soon', '2026-12-04'].map((v) => parseRetryAfter(v, now))).toEqual(Array(7).fill(undefined));
  });
});
