/**
 * Alerting on one PostgreSQL shared by two servers: each reads the same event feed and
 * runs the same notifier, yet every alert opens once, every message is sent once, and an
 * acknowledgement made through one is seen by the other.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import type { Store } from '../src/index.js';
import { AlertService, compileRule, createChannel } from '../src/observe/index.js';
import type { AlertNotification } from '../src/observe/index.js';
import { baton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';

let db: TestDatabase;
let dir: string;
let receiver: Receiver<AlertNotification>;
let url: string;
const got = (): AlertNotification[] => receiver.received.map((r) => r.body);
const stores: Store[] = [];

beforeAll(async () => {
  db = await createTestDatabase({ migrated: true });
  dir = tempDir('baton-alerts-pg-');
  receiver = await startReceiver<AlertNotification>();
  url = receiver.url('/ops');
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await receiver.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

function server(): { store: Store; alerts: AlertService } {
  const store = openPostgresStore(db.url);
  stores.push(store);
  const ops = createChannel({ name: 'ops', type: 'webhook', sendResolved: true, mask: (t) => t, webhook: { url, format: 'baton', headers: {}, timeoutMs: 2000 } });
  const alerts = new AlertService({
    store, clock: { now: Date.now, setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); } },
    channels: new Map([['ops', ops]]),
    rules: [
      { name: 'any-run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } },
      { name: 'step-failed', rule: 'step-failed', notify: ['ops'], group: { wait: '0s' } },
    ],
  });
  return { store, alerts };
}

describe('two servers on one PostgreSQL', () => {
  it('fire each alert once and send each message once', async () => {
    const a = server();
    const b = server();
    // Both start reading the feed from here.
    await Promise.all([a.alerts.pass(), b.alerts.pass()]);
    const flow = join(dir, 'fails.yaml');
    writeFileSync(flow, 'name: fails\nsteps:\n  - id: one\n    run: "exit 1"\n  - id: two\n    run: "exit 2"\n');
    const run = await baton(['run', flow, '--local', '--json'], dir, { BATON_DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    // Many concurrent passes of both servers over the same events and alerts.
    for (let i = 0; i < 5; i++) await Promise.all([a.alerts.pass(), b.alerts.pass(), a.alerts.pass(), b.alerts.pass()]);
    const alerts = await a.store.alerts.list({});
    expect(alerts.map((x) => x.rule).sort()).toEqual(['any-run-failed', 'step-failed', 'step-failed']);
    await waitFor(() => got().length >= 2, 5_000, 'the messages');
    for (let i = 0; i < 3; i++) await Promise.all([a.alerts.pass(), b.alerts.pass()]);
    // One message per group: the run's alert, and the two steps' alerts together.
    expect(got().map((n) => [n.group.labels.rule, n.alerts.length]).sort()).toEqual([['any-run-failed', 1], ['step-failed', 2]]);
    for (const x of alerts) expect((await a.store.alerts.deliveriesFor(x.id)).length).toBe(1);

    const runFailed = alerts.find((x) => x.rule === 'any-run-failed')!;
    await b.alerts.book.acknowledge(runFailed.id, 'token:amy', 'on it');
    expect((await a.store.alerts.get(runFailed.id))!.state).toBe('acknowledged');
    await Promise.all([a.alerts.stop(), b.alerts.stop()]);
  }, 30_000);

  it('a rule set through one server\'s API applies on a second within the poll, fires once, and its delete restores the config\'s', async () => {
    const config = { baseDir: dir, channels: { ops: { webhook: { url } } }, alerts: [{ name: 'step-failed', rule: 'step-failed' as const, severity: 'critical' as const, notify: ['ops'] }] };
    const apis: TestApi[] = [];
    const fleets: PgFleetStore[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const store = openPostgresStore(db.url);
        stores.push(store);
        const fleet = openFleetStore(db.url, { max: 2 });
        fleets.push(fleet);
        const ops = createChannel({ name: 'ops', type: 'webhook', sendResolved: true, mask: (t) => t, webhook: { url, format: 'baton', headers: {}, timeoutMs: 2000 } });
        apis.push(await startApi({ store, fleet, config, channels: new Map([['ops', ops]]) }));
      }
      const [a, b] = apis as [TestApi, TestApi];
      const sourceOn = async (api: TestApi): Promise<string | undefined> =>
        ((await api.call('GET', '/api/v1/alerts/rules', { role: 'viewer' })).body as { rules: { name: string; source: string }[] }).rules.find((r) => r.name === 'step-failed')?.source;
      expect(await sourceOn(b)).toBe('config');
      const put = await a.call('PUT', '/api/v1/alert-rules/step-failed', { role: 'admin', body: { rule: 'step-failed', severity: 'info', notify: ['ops'], group: { wait: '0s' }, labels: { team: 'data' } } });
      expect(put.status).toBe(200);
      // b's alerting passes (every second) read the rules' version: it applies the rule within the poll.
      const started = Date.now();
      await waitFor(() => b.server.alerts.serverRules().some((r) => r.name === 'step-failed' && r.source === 'api'), 5_000, 'the second server to load the rule');
      expect(Date.now() - started).toBeLessThan(2_500);

      const flow = join(dir, 'api-rule.yaml');
      writeFileSync(flow, 'name: api-rule\nsteps:\n  - id: load\n    run: "exit 1"\n');
      expect((await baton(['run', flow, '--local', '--json'], dir, { BATON_DATABASE_URL: db.url })).code).toBe(1);
      await waitFor(async () => (await a.store.alerts.list({ workflow: 'api-rule' })).length >= 1, 10_000, 'the alert');
      for (let i = 0; i < 3; i++) await Promise.all([a.server.alerts.pass(), b.server.alerts.pass()]);
      const fired = await a.store.alerts.list({ workflow: 'api-rule' });
      expect(fired).toHaveLength(1);
      expect(fired[0]).toMatchObject({ rule: 'step-failed', severity: 'info', labels: { team: 'data' } });

      expect(((await b.call('DELETE', '/api/v1/alert-rules/step-failed', { role: 'admin' })).body as { restored?: unknown }).restored).toMatchObject({ source: 'config', severity: 'critical' });
      await waitFor(async () => (await sourceOn(a)) === 'config', 5_000, 'the first server to restore the config rule');
    } finally {
      for (const api of apis) await api.close();
      for (const f of fleets) await f.close();
    }
  }, 60_000);

  it('the unique open key holds under concurrent opens', async () => {
    const a = server();
    const rule = compileRule({ name: 'race', rule: 'run-failed', notify: [] }, []);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : server()).alerts.book.fire(rule, { workflow: 'race' }, 'x', undefined, [])));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
    expect(await a.store.alerts.list({ rule: 'race' })).toHaveLength(1);
  }, 30_000);
});
