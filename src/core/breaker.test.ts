import { describe, expect, it } from 'vitest';
import type { BreakerOutcome, BreakerPolicy, BreakerRecord } from './breaker.js';
import { BREAKER_DEFAULTS, admission, claimTrial, newBreaker, recordCall, resetBreaker } from './breaker.js';

const policy = (p: Partial<BreakerPolicy> = {}): BreakerPolicy => ({ ...BREAKER_DEFAULTS, ...p });

/** Feeds outcomes one ms apart from `t0`; returns the record and the transitions seen. */
function feed(rec: BreakerRecord, p: BreakerPolicy, outcomes: BreakerOutcome[], t0 = 1_000) {
  const seen: string[] = [];
  outcomes.forEach((o, i) => {
    const step = recordCall(rec, p, `a${i}`, o, t0 + i);
    rec = step.record;
    if (step.transition) seen.push(`${step.transition.from}->${step.transition.to}`);
  });
  return { rec, seen };
}

describe('breaker: consecutive failures', () => {
  it('opens on the Nth failure in a row, with the cool-down as its next trial', () => {
    const { rec, seen } = feed(newBreaker('k', 0), policy({ failures: 3, cooldownMs: 60_000 }), ['failed', 'failed', 'failed']);
    expect(seen).toEqual(['closed->open']);
    expect(rec).toMatchObject({ state: 'open', openedAt: 1_002, nextTrialAt: 61_002, reason: '3 consecutive failures' });
  });

  it('a success in between starts the count again', () => {
    const { rec, seen } = feed(newBreaker('k', 0), policy({ failures: 3 }), ['failed', 'failed', 'succeeded', 'failed', 'failed']);
    expect(seen).toEqual([]);
    expect(rec).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('lost and cancelled attempts (ignored) are not calls: they neither count nor reset', () => {
    const { rec, seen } = feed(newBreaker('k', 0), policy({ failures: 3 }), ['failed', 'ignored', 'failed', 'ignored', 'failed']);
    expect(seen).toEqual(['closed->open']);
    expect(rec.calls.length).toBe(3);
  });
});

describe('breaker: failure rate over a window', () => {
  it('does not judge the rate below minCalls', () => {
    const p = policy({ failures: 100, rate: 0.5, minCalls: 4, windowMs: 10_000 });
    const { rec, seen } = feed(newBreaker('k', 0), p, ['failed', 'succeeded', 'failed']);
    expect(seen).toEqual([]);
    expect(rec.state).toBe('closed');
  });

  it('opens once minCalls are in the window and the rate is reached', () => {
    const p = policy({ failures: 100, rate: 0.5, minCalls: 4, windowMs: 10_000 });
    const { rec, seen } = feed(newBreaker('k', 0), p, ['failed', 'succeeded', 'succeeded', 'failed']);
    expect(seen).toEqual(['closed->open']);
    expect(rec.reason).toBe('2 of 4 calls failed within 10 s');
  });

  it('calls older than the window drop out of it', () => {
    const p = policy({ failures: 100, rate: 0.5, minCalls: 3, windowMs: 1_000 });
    let rec = feed(newBreaker('k', 0), p, ['failed', 'failed'], 0).rec;
    // Far later: the two old failures no longer count, so 1 of 3 is under the rate.
    rec = feed(rec, p, ['succeeded', 'succeeded', 'failed'], 50_000).rec;
    expect(rec.state).toBe('closed');
    expect(rec.calls.length).toBe(3);
  });
});

describe('breaker: half-open single trial', () => {
  const opened = (): BreakerRecord => feed(newBreaker('k', 0), policy({ failures: 1, cooldownMs: 5_000 }), ['failed'], 0).rec;

  it('waits until the cool-down ends, then offers one trial', () => {
    const rec = opened();
    expect(admission(rec, 4_999)).toEqual({ kind: 'wait', until: 5_000 });
    expect(admission(rec, 5_000)).toEqual({ kind: 'trial' });
    expect(claimTrial(rec, 'x', 4_999)).toBeUndefined();
  });

  it('one trial only: a second claim fails and other attempts wait', () => {
    const first = claimTrial(opened(), 't1', 5_000)!;
    expect(first.transition).toMatchObject({ from: 'open', to: 'half-open' });
    expect(first.record).toMatchObject({ state: 'half-open', trialAttempt: 't1' });
    expect(claimTrial(first.record, 't2', 5_001)).toBeUndefined();
    expect(admission(first.record, 5_001, 't1')).toEqual({ kind: 'pass' });
    expect(admission(first.record, 5_001, 't2')).toEqual({ kind: 'wait' });
  });

  it('the trial succeeding closes it; failing re-opens it for another cool-down', () => {
    const p = policy({ failures: 1, cooldownMs: 5_000 });
    const trial = claimTrial(opened(), 't1', 5_000)!.record;
    expect(recordCall(trial, p, 'other', 'failed', 5_100).record).toBe(trial); // not the trial: no say
    const ok = recordCall(trial, p, 't1', 'succeeded', 6_000);
    expect(ok.transition).toMatchObject({ from: 'half-open', to: 'closed', reason: 'trial succeeded' });
    expect(ok.record).toMatchObject({ state: 'closed', consecutiveFailures: 0, calls: [] });
    const bad = recordCall(trial, p, 't1', 'failed', 6_000);
    expect(bad.transition).toMatchObject({ from: 'half-open', to: 'open', nextTrialAt: 11_000 });
  });

  it('a lost trial gives the trial up at once, without counting as a failure', () => {
    const p = policy({ failures: 1, cooldownMs: 5_000 });
    const trial = claimTrial(opened(), 't1', 5_000)!.record;
    const lost = recordCall(trial, p, 't1', 'ignored', 5_500);
    expect(lost.transition).toBeUndefined();
    expect(lost.record.state).toBe('half-open');
    expect(admission(lost.record, 5_500)).toEqual({ kind: 'trial' });
    const again = claimTrial(lost.record, 't2', 5_500)!;
    expect(again.transition).toBeUndefined(); // still half-open, now with t2
    expect(again.record.trialAttempt).toBe('t2');
  });

  it('while open, late ends of attempts started before it opened change nothing', () => {
    const rec = opened();
    expect(recordCall(rec, policy(), 'late', 'succeeded', 100).record).toBe(rec);
  });

  it('a reset closes it from any state', () => {
    expect(resetBreaker(opened(), 10, 'cli:ann').transition).toMatchObject({ from: 'open', to: 'closed', reason: 'reset by cli:ann' });
    expect(resetBreaker(newBreaker('k', 0), 10, 'x').transition).toBeUndefined();
  });
});
