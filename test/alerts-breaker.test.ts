/**
 * The `circuit-open` alert on a virtual clock: a breaker that opens (here through the store's
 * commit, as an engine records attempt ends) fires one alert per breaker at the next sweep,
 * kept while it is open or half-open, resolved once it closes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, VirtualClock } from '../src/index.js';
import type { Store } from '../src/index.js';
import { BREAKER_DEFAULTS } from '../src/core/index.js';
import { AlertService } from '../src/observe/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let store: Store;
let clock: VirtualClock;
beforeEach(async () => {
  dir = tempDir('baton-alerts-breaker-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  clock = new VirtualClock(Date.UTC(2026, 11, 2, 2, 0, 0));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('circuit-open alert', () => {
  it('fires when a breaker opens, one alert while it stays open, resolved when it closes', async () => {
    const alerts = new AlertService({ store, clock, channels: new Map(), rules: [{ name: 'breakers', rule: 'circuit-open', notify: [] }] });
    await alerts.pass();
    const fail = (n: number) => ({ key: 'http:api.example.com', policy: { ...BREAKER_DEFAULTS, failures: 2 }, runId: 'r', stepId: 's', attemptId: `r.s.${n}`, outcome: 'failed' as const, at: clock.now() });
    await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [], breakerCalls: [fail(1)] });
    clock.advance(20_000);
    await alerts.pass();
    expect(await store.alerts.list({ rule: 'breakers' })).toEqual([]); // 1 failure of 2: closed
    await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [], breakerCalls: [fail(2)] });
    clock.advance(20_000);
    await alerts.pass();
    const fired = await store.alerts.list({ rule: 'breakers' });
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ state: 'firing', kind: 'circuit-open', severity: 'warning', subject: { breaker: 'http:api.example.com' } });
    expect(fired[0]!.summary).toMatch(/^circuit breaker http:api\.example\.com is open: 2 consecutive failures; next trial in \d+ s; steps behind it wait$/);
    clock.advance(20_000);
    await alerts.pass();
    expect(await store.alerts.list({ rule: 'breakers' })).toHaveLength(1);
    await store.breakers.reset('http:api.example.com', clock.now(), 'test');
    clock.advance(20_000);
    await alerts.pass();
    expect((await store.alerts.list({ rule: 'breakers' })).map((a) => a.state)).toEqual(['resolved']);
    await alerts.stop();
  });
});
