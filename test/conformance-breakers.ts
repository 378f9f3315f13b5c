/**
 * The circuit-breaker part of the Store conformance suite: attempt ends folded into a
 * breaker in the engine's commit (`Batch.breakerCalls`) with a `breaker` event in the same
 * transaction, the half-open trial taken by exactly one of several racing claims, a reset,
 * and a queued step run's `circuit` kept and cleared. Time is an argument throughout.
 */
import { expect } from 'vitest';
import type { Store } from '../src/index.js';
import type { BreakerCall } from '../src/store/index.js';
import { BREAKER_DEFAULTS } from '../src/core/index.js';
import type { Test } from './conformance-history.js';

const T0 = 1_700_000_000_000;
const policy = { ...BREAKER_DEFAULTS, failures: 2, cooldownMs: 1_000 };
const empty = () => ({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [] });
const call = (n: number, outcome: BreakerCall['outcome'], at = T0 + n): BreakerCall =>
  ({ key: 'http:api.example.com', policy, runId: 'r1', stepId: 'a', attemptId: `r1.a.${n}`, outcome, at });

/** Adds the breaker cases; `store()` is the store under test, `create(id)` makes a run with steps a, b, c. */
export function breakerConformance(test: Test, store: () => Store, create: (id: string) => Promise<void>): void {
  test('breakers: failures in commits open the breaker, with a breaker event in the same commit; lost ones do not count', async () => {
    const s = store();
    await create('r1');
    expect(await s.breakers.list()).toEqual([]);
    await s.commit({ ...empty(), breakerCalls: [call(1, 'failed'), call(2, 'ignored')] });
    expect(await s.breakers.list()).toEqual([expect.objectContaining({ key: 'http:api.example.com', state: 'closed', consecutiveFailures: 1, calls: [[T0 + 1, 1]] })]);
    await s.commit({ ...empty(), breakerCalls: [call(3, 'failed')] });
    const [b] = await s.breakers.list(['http:api.example.com', 'other']);
    expect(b).toEqual({
      key: 'http:api.example.com', state: 'open', consecutiveFailures: 2, calls: [[T0 + 1, 1], [T0 + 3, 1]],
      openedAt: T0 + 3, nextTrialAt: T0 + 1_003, reason: '2 consecutive failures', updatedAt: T0 + 3,
    });
    const events = (await s.getEvents('r1')).filter((e) => e.type === 'breaker');
    expect(events).toEqual([expect.objectContaining({
      runId: 'r1', stepId: 'a', attemptId: 'r1.a.3', from: 'closed', to: 'open', at: T0 + 3,
      data: { key: 'http:api.example.com', reason: '2 consecutive failures', nextTrialAt: T0 + 1_003 },
    })]);
  });

  test('breakers: one of several racing claims takes the half-open trial, none before the cool-down; its success closes it', async () => {
    const s = store();
    await create('r1');
    await s.commit({ ...empty(), breakerCalls: [call(1, 'failed'), call(2, 'failed')] });
    const key = 'http:api.example.com';
    expect(await s.breakers.claimTrial(key, { runId: 'r1', stepId: 'b', attemptId: 'r1.b.1' }, T0 + 500)).toBeUndefined();
    const claims = await Promise.all(['x', 'y', 'z', 'w'].map((id) => s.breakers.claimTrial(key, { runId: 'r1', stepId: 'b', attemptId: `r1.b.${id}` }, T0 + 1_002)));
    const won = claims.filter((c) => c !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ state: 'half-open' });
    const trial = won[0]!.trialAttempt!;
    expect((await s.breakers.list())[0]).toMatchObject({ state: 'half-open', trialAttempt: trial });
    // The end of another attempt has no say; the trial's success closes it.
    await s.commit({ ...empty(), breakerCalls: [{ ...call(9, 'failed'), attemptId: 'r1.a.9' }] });
    expect((await s.breakers.list())[0]?.state).toBe('half-open');
    await s.commit({ ...empty(), breakerCalls: [{ ...call(10, 'succeeded', T0 + 1_100), attemptId: trial }] });
    expect((await s.breakers.list())[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0, calls: [] });
    expect((await s.getEvents('r1')).filter((e) => e.type === 'breaker').map((e) => `${e.from}->${e.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  test('breakers: a reset closes an open breaker with an event; an unknown key is undefined', async () => {
    const s = store();
    await create('r1');
    await s.commit({ ...empty(), breakerCalls: [call(1, 'failed'), call(2, 'failed')] });
    expect(await s.breakers.reset('nope', T0 + 5, 'cli:ann')).toBeUndefined();
    expect(await s.breakers.reset('http:api.example.com', T0 + 5, 'cli:ann')).toMatchObject({ state: 'closed', reason: 'reset by cli:ann' });
    expect((await s.breakers.list())[0]?.state).toBe('closed');
  });

  test('breakers: a queued step run keeps why it waits (circuit) until a later write leaves it out', async () => {
    const s = store();
    await create('r1');
    const row = { runId: 'r1', stepId: 'a', position: 0, state: 'queued' as const, attempts: 0, lostAttempts: 0, queuedAt: T0 };
    await s.commit({ ...empty(), stepRuns: [{ ...row, circuit: { reason: 'circuit-open', breaker: 'pool:db', until: T0 + 60_000 } }] });
    expect((await s.getStepRun('r1', 'a'))?.circuit).toEqual({ reason: 'circuit-open', breaker: 'pool:db', until: T0 + 60_000 });
    await s.commit({ ...empty(), stepRuns: [{ ...row, state: 'running', startedAt: T0 + 1 }] });
    expect((await s.getStepRun('r1', 'a'))?.circuit).toBeUndefined();
  });
}
