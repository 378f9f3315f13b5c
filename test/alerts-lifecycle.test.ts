/**
 * The alert lifecycle on a virtual clock (no test waits real minutes): Alertmanager-style
 * grouping (wait, interval, repeat), resolve messages, silences that expire, escalation
 * chains, the acknowledgement timeout, delivery retries and a channel that keeps failing.
 * Messages travel over real HTTP to a real receiver; only time is virtual.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, VirtualClock } from '../src/index.js';
import type { Store } from '../src/index.js';
import { AlertService, compileRule, createChannel, RuleSet } from '../src/observe/index.js';
import type { AlertNotification, Channel } from '../src/observe/index.js';
import type { ParsedAlertRule } from '../src/workflow/index.js';
import { tempDir } from './helpers.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';

let dir: string;
let store: Store;
let receiver: Receiver<AlertNotification>;
let clock: VirtualClock;

beforeEach(async () => {
  dir = tempDir('baton-alerts-life-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  receiver = await startReceiver<AlertNotification>();
  clock = new VirtualClock(Date.UTC(2026, 11, 2, 2, 0, 0));
});

afterEach(async () => {
  await store.close();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

function channels(...names: string[]): Map<string, Channel> {
  return new Map(names.map((name) => [name, createChannel({
    name, type: 'webhook', sendResolved: true, mask: (t) => t,
    webhook: { url: receiver.url(`/${name}`), format: 'baton', headers: {}, timeoutMs: 2000 },
  })]));
}

function service(names: string[], rules: ParsedAlertRule[] = []): AlertService {
  return new AlertService({ store, clock, channels: channels(...names), rules });
}

const sent = (name: string): AlertNotification[] => receiver.at(`/${name}`);

describe('grouping: wait, interval, repeat (Alertmanager defaults 30s / 5m / 4h)', () => {
  it('40 failed steps of one run make one message after the group wait; a later one an update after the interval; then a repeat until acknowledged', async () => {
    const alerts = service(['ops']);
    const rule = compileRule({ name: 'step-failed', rule: 'step-failed', notify: ['ops'] }, []);
    for (let i = 0; i < 40; i++) await alerts.book.fire(rule, { workflow: 'nightly', stepId: `report-${i}` }, `step report-${i} failed`, undefined, []);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    clock.advance(29_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    clock.advance(1_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(1);
    expect(sent('ops')[0]).toMatchObject({ type: 'alert', reason: 'new', status: 'firing' });
    expect(sent('ops')[0]!.alerts).toHaveLength(40);
    expect(sent('ops')[0]!.group.labels).toMatchObject({ rule: 'step-failed', workflow: 'nightly' });

    clock.advance(60_000);
    await alerts.book.fire(rule, { workflow: 'nightly', stepId: 'late' }, 'step late failed', undefined, []);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(1);
    clock.advance(4 * 60_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(2);
    expect(sent('ops')[1]).toMatchObject({ reason: 'update' });
    expect(sent('ops')[1]!.alerts).toHaveLength(41);

    clock.advance(4 * 3_600_000 - 1);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(2);
    clock.advance(1);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(3);
    expect(sent('ops')[2]).toMatchObject({ reason: 'repeat' });

    for (const a of await store.alerts.list({ state: ['firing'], limit: 1000 })) await alerts.book.acknowledge(a.id, 'cli:amy', 'on it');
    clock.advance(8 * 3_600_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(3);
  });

  it('a group whose alerts all resolve says so once; an alert resolved before anyone was told sends nothing', async () => {
    const alerts = service(['ops']);
    const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } }, []);
    await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    await alerts.pass();
    expect(sent('ops').map((n) => n.reason)).toEqual(['new']);
    await alerts.book.clear('run-failed', { workflow: 'nightly' }, 'run succeeded');
    clock.advance(5 * 60_000);
    await alerts.pass();
    expect(sent('ops').map((n) => [n.reason, n.status])).toEqual([['new', 'firing'], ['resolved', 'resolved']]);
    clock.advance(24 * 3_600_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(2);

    const quick = compileRule({ name: 'quick', rule: 'run-failed', notify: ['ops'] }, []);
    await alerts.book.fire(quick, { workflow: 'other' }, 'run failed', undefined, []);
    await alerts.book.clear('quick', { workflow: 'other' }, 'run succeeded');
    clock.advance(60_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(2);
    expect(await store.alerts.active()).toEqual([]);
  });
});

describe('silences', () => {
  it('a matching alert is silenced while the silence lasts and notifies once it expires', async () => {
    const alerts = service(['ops']);
    const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } }, []);
    await alerts.silence({ matchers: [{ name: 'workflow', value: 'night*', glob: true }], endsAt: clock.now() + 2 * 3_600_000, createdBy: 'cli:amy' });
    await alerts.pass();
    await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, await store.alerts.silences(clock.now()));
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    expect((await store.alerts.list({}))[0]!.state).toBe('silenced');
    clock.advance(2 * 3_600_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(1);
    expect((await store.alerts.list({}))[0]!.state).toBe('firing');
  });

  it('unsilencing early lets a firing alert that a silence covered notify', async () => {
    const alerts = service(['ops']);
    const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } }, []);
    await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    const s = await alerts.silence({ matchers: [{ name: 'rule', value: 'run-failed' }], endsAt: clock.now() + 3_600_000, createdBy: 'cli:amy' });
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    expect(await alerts.unsilence(s.id)).toBe(true);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(1);
  });
});

describe('escalation and the acknowledgement timeout', () => {
  const chain: ParsedAlertRule = {
    name: 'run-failed', rule: 'run-failed', group: { wait: '0s' },
    escalate: { levels: [{ notify: ['ops'], after: '5m' }, { notify: ['oncall'], after: '10m' }], repeat: 2, ackTimeout: '1h' },
  };

  it('an unacknowledged alert walks the chain at most `repeat` times; acknowledging stops it', async () => {
    const alerts = service(['ops', 'oncall']);
    const rule = compileRule(chain, []);
    await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([1, 0]);
    clock.advance(10 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([1, 1]);
    expect(sent('oncall')[0]).toMatchObject({ reason: 'escalation', escalation: { level: 1, round: 0 } });
    clock.advance(5 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([2, 1]);
    expect(sent('ops')[1]).toMatchObject({ reason: 'escalation', escalation: { level: 0, round: 1 } });
    clock.advance(10 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([2, 2]);
    // The chain is spent after two rounds: nothing more until the 4 h repeat.
    clock.advance(60 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([2, 2]);
  });

  it('acknowledging stops escalation; an acknowledged alert not resolved within the timeout fires again', async () => {
    const alerts = service(['ops', 'oncall']);
    const rule = compileRule(chain, []);
    const { alert } = await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    await alerts.pass();
    await alerts.book.acknowledge(alert.id, 'token:amy', 'looking');
    clock.advance(59 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length]).toEqual([1, 0]);
    clock.advance(60_000);
    await alerts.pass();
    expect(sent('ops').map((n) => n.reason)).toEqual(['new', 'refire']);
    const events = (await store.alerts.events(alert.id)).map((e) => e.type);
    expect(events).toEqual(['fired', 'notified', 'acknowledged', 'refired', 'notified']);
    expect((await store.alerts.get(alert.id))!.state).toBe('firing');
  });
});

describe('defaultEscalate: the chain of every rule without its own', () => {
  it('a config rule and a built-in rule without escalate walk the default chain; a rule with its own keeps its own', async () => {
    const alerts = new AlertService({
      store, clock, channels: channels('ops', 'oncall', 'boss'),
      rules: [
        { name: 'run-failed', rule: 'run-failed', group: { wait: '0s' } },
        { name: 'own-chain', rule: 'step-failed', group: { wait: '0s' }, escalate: { levels: [{ notify: ['ops'] }, { notify: ['boss'], after: '1h' }] } },
      ],
      defaultEscalate: { levels: [{ notify: ['ops'] }, { notify: ['oncall'], after: '10m' }] },
    });
    const [plain, own] = alerts.serverRules();
    expect(plain!.notify).toEqual(['ops']);
    await alerts.book.fire(plain!, { workflow: 'nightly' }, 'run failed', undefined, []);
    await alerts.book.fire(own!, { workflow: 'nightly', stepId: 'load' }, 'step failed', undefined, []);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length, sent('boss').length]).toEqual([2, 0, 0]);
    clock.advance(10 * 60_000);
    await alerts.pass();
    // The plain rule escalates to oncall after 10 min; the other waits its own hour for boss.
    expect([sent('ops').length, sent('oncall').length, sent('boss').length]).toEqual([2, 1, 0]);
    expect(sent('oncall')[0]).toMatchObject({ reason: 'escalation', escalation: { level: 1, round: 0 } });
    expect(sent('oncall')[0]!.alerts[0]!.rule).toBe('run-failed');
    clock.advance(50 * 60_000);
    await alerts.pass();
    expect([sent('ops').length, sent('oncall').length, sent('boss').length]).toEqual([2, 1, 1]);
    expect(sent('boss')[0]!.alerts[0]!.rule).toBe('own-chain');
    await alerts.stop();

    // Built-in rules (no alerts: in the config) get the chain too, as does channel-failing.
    const builtin = new AlertService({ store, clock, channels: channels('ops', 'oncall'), defaultNotify: ['ops'], defaultEscalate: { levels: [{ notify: ['oncall'], after: '5m' }], repeat: 3 } });
    for (const r of builtin.serverRules()) expect(r.escalate).toEqual({ levels: [{ notify: ['oncall'], afterMs: 300_000 }], repeat: 3 });
    await builtin.stop();
    // A workflow's own rule too, unless it has its own chain.
    const set = new RuleSet([], ['ops'], undefined, { levels: [{ notify: ['oncall'], after: '5m' }] });
    const [wfPlain, wfOwn] = set.forWorkflow('v1', { alerts: [{ name: 'mine', rule: 'run-failed' }, { name: 'theirs', rule: 'run-failed', escalate: { levels: [{ notify: ['ops'] }] } }] });
    expect(wfPlain!.escalate!.levels).toEqual([{ notify: ['oncall'], afterMs: 300_000 }]);
    expect(wfOwn!.escalate!.levels).toEqual([{ notify: ['ops'], afterMs: 900_000 }]);
    // And a rule set through the API.
    set.setApiRules([{ name: 'from-api', rule: 'step-failed' }]);
    expect(set.server.find((r) => r.name === 'from-api')).toMatchObject({ source: 'api', escalate: { levels: [{ notify: ['oncall'], afterMs: 300_000 }] } });
  });
});

describe('deliveries', () => {
  it('a refused delivery is retried with backoff and recorded with its attempts', async () => {
    const alerts = service(['ops']);
    receiver.answer('/ops', 500, 503);
    const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } }, []);
    const { alert } = await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    clock.advance(1_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(0);
    clock.advance(2_000);
    await alerts.pass();
    expect(sent('ops')).toHaveLength(1);
    const [d] = await store.alerts.deliveriesFor(alert.id);
    expect(d).toMatchObject({ channel: 'ops', state: 'delivered', attempts: 3, statusCode: 204 });
  });

  it('a channel that keeps failing raises its own alert on the other channels', async () => {
    const alerts = service(['ops', 'backup']);
    receiver.answer('/ops', 500, 500, 500, 500);
    const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: ['ops'], group: { wait: '0s' } }, []);
    await alerts.book.fire(rule, { workflow: 'nightly' }, 'run failed', undefined, []);
    for (const wait of [0, 1_000, 2_000, 4_000]) {
      clock.advance(wait);
      await alerts.pass();
    }
    await alerts.pass();
    const failing = await store.alerts.list({ rule: 'channel-failing' });
    expect(failing).toHaveLength(1);
    expect(failing[0]!.subject).toEqual({ channel: 'ops' });
    expect(sent('backup').map((n) => n.alerts[0]!.rule)).toEqual(['channel-failing']);
    clock.advance(8_000);
    await alerts.pass();
    // The fifth attempt got through: the channel's alert resolves.
    expect(sent('ops')).toHaveLength(1);
    await alerts.pass();
    expect((await store.alerts.get(failing[0]!.id))!.state).toBe('resolved');
  });
});
