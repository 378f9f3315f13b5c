import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMEOUT_MS, setLongTimeout } from './timers.js';

const DAY = 86_400_000;

describe('setLongTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits 25 and 30 days past the 2^31 ms setTimeout limit, firing once at the due time', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const fired: number[] = [];
    setLongTimeout(25 * DAY, () => fired.push(25));
    setLongTimeout(30 * DAY, () => fired.push(30));
    vi.advanceTimersByTime(MAX_TIMEOUT_MS); // where a plain setTimeout(25 days) gave up long ago
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(25 * DAY - MAX_TIMEOUT_MS - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([25]);
    vi.advanceTimersByTime(5 * DAY);
    expect(fired).toEqual([25, 30]);
    vi.advanceTimersByTime(60 * DAY);
    expect(fired).toEqual([25, 30]);
  });

  it('cancels, also between slices', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let fired = false;
    const cancel = setLongTimeout(40 * DAY, () => (fired = true));
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 5);
    cancel();
    cancel();
    vi.advanceTimersByTime(60 * DAY);
    expect(fired).toBe(false);
  });

  it('fires after the caller returns, even for 0 ms; Infinity never fires', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const order: string[] = [];
    setLongTimeout(0, () => order.push('timer'));
    setLongTimeout(Infinity, () => order.push('never'));
    order.push('caller');
    vi.advanceTimersByTime(10 * DAY);
    expect(order).toEqual(['caller', 'timer']);
  });

  it('never fires before its delay on the monotonic clock (real timers)', async () => {
    const t0 = performance.now();
    const elapsed = await new Promise<number>((r) => setLongTimeout(30, () => r(performance.now() - t0)));
    expect(elapsed).toBeGreaterThanOrEqual(30);
  });
});
