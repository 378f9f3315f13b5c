import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../workflow/index.js';
import { DEFAULT_RETRY } from '../workflow/index.js';
import { backoffDelay } from './backoff.js';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY, attempts: 5, ...p });

describe('backoffDelay', () => {
  it('fixed waits delayMs after every failed try', () => {
    const p = policy({ backoff: 'fixed', delayMs: 300 });
    expect([1, 2, 3, 10].map((n) => backoffDelay(p, n, 0.9))).toEqual([300, 300, 300, 300]);
  });

  it('exponential multiplies by factor per further try, starting at delayMs', () => {
    const p = policy({ backoff: 'exponential', delayMs: 100, factor: 2 });
    expect([1, 2, 3, 4].map((n) => backoffDelay(p, n, 0))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(policy({ backoff: 'exponential', delayMs: 50, factor: 3 }), 3, 0)).toBe(450);
    // 0 failed tries is treated as the first.
    expect(backoffDelay(p, 0, 0)).toBe(100);
  });

  it('maxDelayMs caps both shapes', () => {
    expect(backoffDelay(policy({ backoff: 'exponential', delayMs: 1000, factor: 10, maxDelayMs: 5000 }), 3, 0)).toBe(5000);
    expect(backoffDelay(policy({ backoff: 'fixed', delayMs: 9000, maxDelayMs: 5000 }), 1, 0)).toBe(5000);
    // A huge exponent stays finite at the cap.
    expect(backoffDelay(policy({ backoff: 'exponential', delayMs: 1000, factor: 2, maxDelayMs: 60_000 }), 5000, 0)).toBe(60_000);
  });

  it('jitter randomizes that fraction of the delay downward: d * (1 - j + j * r)', () => {
    const p = policy({ backoff: 'fixed', delayMs: 1000, jitter: 0.5 });
    expect(backoffDelay(p, 1, 0)).toBe(500);
    expect(backoffDelay(p, 1, 0.5)).toBe(750);
    expect(backoffDelay(p, 1, 0.999999)).toBe(1000);
    const full = policy({ backoff: 'fixed', delayMs: 1000, jitter: 1 });
    expect(backoffDelay(full, 1, 0)).toBe(0);
    expect(backoffDelay(full, 1, 0.25)).toBe(250);
    expect(backoffDelay(policy({ backoff: 'fixed', delayMs: 1000, jitter: 0 }), 1, 0.7)).toBe(1000);
  });

  it('jitter applies after the cap and stays within [cap * (1 - j), cap] for any random', () => {
    const p = policy({ backoff: 'exponential', delayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.3 });
    for (let i = 0; i < 200; i++) {
      const r = i / 200;
      for (const n of [1, 3, 8]) {
        const capped = Math.min(100 * 2 ** (n - 1), 1000);
        const d = backoffDelay(p, n, r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(capped * 0.7));
        expect(d).toBeLessThanOrEqual(capped);
      }
    }
  });

  it('out-of-range jitter is clamped to 0..1', () => {
    expect(backoffDelay(policy({ backoff: 'fixed', delayMs: 1000, jitter: 2 }), 1, 0.5)).toBe(500);
    expect(backoffDelay(policy({ backoff: 'fixed', delayMs: 1000, jitter: -1 }), 1, 0.5)).toBe(1000);
  });
});

describe('backoffDelay with a Retry-After', () => {
  it('waits what the failure asked, unjittered, capped at maxDelayMs', () => {
    const p = policy({ backoff: 'exponential', delayMs: 100, jitter: 1, maxDelayMs: 5_000 });
    expect(backoffDelay(p, 3, 0.5, 1_000)).toBe(1_000);
    expect(backoffDelay(p, 1, 0.5, 0)).toBe(0);
    expect(backoffDelay(p, 1, 0.5, 60_000)).toBe(5_000);
    expect(backoffDelay(p, 1, 0, -5)).toBe(0);
  });
});
