import { describe, expect, it } from 'vitest';
import type { HostSample, ThrottleConfig, ThrottleState } from './throttle.js';
import { DEFAULT_THROTTLE_THRESHOLDS, decideThrottle, initialThrottle, overload } from './throttle.js';

const config: ThrottleConfig = { min: 1, max: 8, intervalMs: 1000, backoff: 0.7, thresholds: { ...DEFAULT_THROTTLE_THRESHOLDS } };
const calm: HostSample = { cpu: 0.3, mem: 0.4, lagMs: 5 };
const hot: HostSample = { cpu: 0.93, mem: 0.4, lagMs: 5 };

/** Runs `n` decisions one interval apart, from `state` at time `t0`. */
function steps(state: ThrottleState, sample: HostSample, inFlight: number, n: number, c: ThrottleConfig = config): ThrottleState {
  let s = state;
  for (let i = 0; i < n; i++) s = decideThrottle(c, s, sample, inFlight, i * c.intervalMs).state;
  return s;
}

describe('decideThrottle', () => {
  it('multiplies the limit by the backoff when CPU is over its threshold, and says why', () => {
    const r = decideThrottle(config, initialThrottle(config), hot, 8, 0);
    expect(r.state.limit).toBe(5); // floor(8 * 0.7)
    expect(r.change).toEqual({ from: 8, to: 5, reason: 'cpu 93 % > 80 %' });
    expect(r.state.reason).toBe('cpu 93 % > 80 %');
  });

  it('decreases from the slots in use when fewer than the limit run', () => {
    const r = decideThrottle({ ...config, max: 256 }, { limit: 256 }, hot, 4, 0);
    expect(r.change).toEqual({ from: 256, to: 2, reason: 'cpu 93 % > 80 %' });
  });

  it('never goes below the floor, and an idle node keeps one slot', () => {
    expect(steps(initialThrottle(config), hot, 8, 10).limit).toBe(1);
    expect(decideThrottle(config, initialThrottle(config), hot, 0, 0).state.limit).toBe(1);
    // At the floor and still hot: no change to report.
    expect(decideThrottle(config, { limit: 1, decidedAt: 0 }, hot, 1, 1000).change).toBeUndefined();
    // A floor of 3 holds.
    expect(steps(initialThrottle(config), hot, 8, 10, { ...config, min: 3 }).limit).toBe(3);
    // A floor of 0 is taken as 1: the only machine there is never stalls.
    expect(decideThrottle({ ...config, min: 0 }, { limit: 1 }, hot, 1, 0).state.limit).toBe(1);
  });

  it('recovers by one slot per interval back up to the maximum', () => {
    let s: ThrottleState = { limit: 1, decidedAt: 0, reason: 'cpu 93 % > 80 %' };
    const seen: number[] = [];
    for (let i = 1; i <= 9; i++) {
      const r = decideThrottle(config, s, calm, s.limit, i * 1000);
      s = r.state;
      seen.push(s.limit);
      if (r.change) expect(r.change.reason).toBe('recovered');
    }
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8, 8, 8]);
    // Back at the maximum, the reason is gone; below it, it stays for people to read.
    expect(s.reason).toBeUndefined();
    expect(decideThrottle(config, { limit: 3, decidedAt: 0, reason: 'x' }, calm, 0, 1000).state.reason).toBe('x');
  });

  it('throttles on memory and on event-loop lag too', () => {
    expect(decideThrottle(config, { limit: 8 }, { cpu: 0.1, mem: 0.85, lagMs: 1 }, 8, 0).change?.reason).toBe('memory 85 % > 80 %');
    expect(decideThrottle(config, { limit: 8 }, { cpu: 0.1, mem: 0.1, lagMs: 250 }, 8, 0).change?.reason).toBe('event-loop lag 250 ms > 200 ms');
    expect(overload(calm, config.thresholds)).toBeUndefined();
    // Exactly at the threshold is not over it.
    expect(overload({ cpu: 0.8, mem: 0.8, lagMs: 200 }, config.thresholds)).toBeUndefined();
  });

  it('changes nothing within the interval of the last decision', () => {
    const first = decideThrottle(config, initialThrottle(config), hot, 8, 10_000);
    expect(first.state.limit).toBe(5);
    const early = decideThrottle(config, first.state, hot, 8, 10_999);
    expect(early.change).toBeUndefined();
    expect(early.state).toBe(first.state);
    const calmEarly = decideThrottle(config, first.state, calm, 8, 10_500);
    expect(calmEarly.state.limit).toBe(5);
    expect(decideThrottle(config, first.state, hot, 8, 11_000).state.limit).toBe(3);
  });

  it('a threshold above any sample turns its signal off', () => {
    const off: ThrottleConfig = { ...config, thresholds: { cpu: 1000, mem: 1, lagMs: Infinity } };
    expect(steps(initialThrottle(off), { cpu: 1, mem: 1, lagMs: 10_000 }, 8, 5, off).limit).toBe(8);
  });
});
