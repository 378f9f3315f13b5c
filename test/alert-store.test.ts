/**
 * The alert store's guarantees, on both stores (one SQL implementation, two executors):
 * one open alert per key, versioned writes that roll back whole, deliveries leased to one
 * sender at a time, feed cursors moved by compare-and-set, pruning of resolved alerts only.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore } from '../src/index.js';
import type { Store } from '../src/index.js';
import type { AlertRecord, DeliveryRecord } from '../src/store/index.js';
import { tempDir } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

const T0 = Date.UTC(2026, 11, 2);
const alert = (id: string, key: string, o: Partial<AlertRecord> = {}): AlertRecord => ({
  id, key, rule: 'run-failed', kind: 'run-failed', severity: 'critical', state: 'firing', summary: 's', subject: { workflow: 'w' },
  labels: { rule: 'run-failed', workflow: 'w' }, groupKey: 'run-failed|workflow=w', firedAt: T0, updatedAt: T0, count: 1, level: 0, round: 0, escalationDone: false, version: 0, ...o,
});
const delivery = (id: string, nextAt = T0): DeliveryRecord => ({ id, channel: 'ops', body: { x: 1 }, alertIds: ['a1'], reason: 'new', state: 'pending', attempts: 0, nextAt, createdAt: T0 });
const fired = (alertId: string) => ({ alertId, at: T0, type: 'fired', actor: 'system' });

const kinds: [string, () => Promise<{ store: Store; done: () => Promise<void> }>][] = [
  ['sqlite', async () => {
    const dir = tempDir('baton-alert-store-');
    const store = openSqliteStore(join(dir, 'b.db'));
    await store.migrate();
    return { store, done: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }],
  ['postgres', async () => {
    const db: TestDatabase = await createTestDatabase({ migrated: true });
    const store = openPostgresStore(db.url);
    return { store, done: async () => { await store.close(); await db.drop(); } };
  }],
];

for (const [kind, open] of kinds) {
  describe(`alert store: ${kind}`, () => {
    let store: Store;
    let done: () => Promise<void>;
    beforeAll(async () => ({ store, done } = await open()));
    afterAll(async () => done());

    it('rules set through the API: put creates then replaces, delete removes; each moves the version once', async () => {
      expect(await store.alerts.storedRules()).toEqual({ version: 0, rules: [] });
      const rule = { name: 'slow', definition: { name: 'slow', rule: 'step-duration', after: '10m' }, updatedAt: T0, updatedBy: 'token:amy' };
      expect(await store.alerts.putRule(rule)).toEqual({ created: true });
      expect(await store.alerts.rulesVersion()).toBe(1);
      expect(await store.alerts.putRule({ ...rule, definition: { name: 'slow', rule: 'step-duration', after: '20m' }, updatedAt: T0 + 1 })).toEqual({ created: false });
      await store.alerts.putRule({ name: 'a-first', definition: { name: 'a-first', rule: 'run-failed' }, updatedAt: T0, updatedBy: 'cli:bob' });
      expect(await store.alerts.storedRules()).toEqual({
        version: 3,
        rules: [
          { name: 'a-first', definition: { name: 'a-first', rule: 'run-failed' }, updatedAt: T0, updatedBy: 'cli:bob' },
          { name: 'slow', definition: { name: 'slow', rule: 'step-duration', after: '20m' }, updatedAt: T0 + 1, updatedBy: 'token:amy' },
        ],
      });
      expect(await store.alerts.deleteRule('slow')).toBe(true);
      expect(await store.alerts.deleteRule('slow')).toBe(false);
      expect(await store.alerts.rulesVersion()).toBe(4);
      expect((await store.alerts.storedRules()).rules.map((r) => r.name)).toEqual(['a-first']);
      expect(await store.alerts.deleteRule('a-first')).toBe(true);
      // Concurrent puts of one name: one creates, every one moves the version.
      const puts = await Promise.all(Array.from({ length: 6 }, (_, i) => store.alerts.putRule({ ...rule, updatedAt: T0 + i })));
      expect(puts.filter((p) => p.created)).toHaveLength(1);
      expect(await store.alerts.rulesVersion()).toBe(11);
      expect(await store.alerts.deleteRule('slow')).toBe(true);
    });

    it('one open alert per key; a resolved key may open again', async () => {
      expect((await store.alerts.open(alert('a1', 'k'), fired('a1'))).created).toBe(true);
      const again = await store.alerts.open(alert('a2', 'k'), fired('a2'));
      expect(again).toMatchObject({ created: false, alert: { id: 'a1' } });
      expect(await store.alerts.events('a2')).toEqual([]);
      expect(await store.alerts.apply({ updates: [{ id: 'a1', version: 0, patch: { state: 'resolved', resolvedAt: T0 + 1 } }] })).toBe(true);
      expect((await store.alerts.open(alert('a3', 'k'), fired('a3'))).created).toBe(true);
      expect((await store.alerts.list({ state: ['resolved'] })).map((a) => a.id)).toEqual(['a1']);
      // Resolved and never notified: nothing left for the notifier.
      expect((await store.alerts.active()).map((a) => a.id)).toEqual(['a3']);
    });

    it('a change whose guard fails writes nothing, deliveries included', async () => {
      const a3 = (await store.alerts.get('a3'))!;
      expect(await store.alerts.apply({
        updates: [{ id: 'a3', version: a3.version + 5, patch: { summary: 'no' } }],
        deliveries: [delivery('d-never')],
      })).toBe(false);
      expect((await store.alerts.get('a3'))!.summary).toBe('s');
      expect(await store.alerts.claimDeliveries('x', T0 + 10, 1000, 10)).toEqual([]);
      expect(await store.alerts.apply({ group: { key: 'g', version: undefined, sentAt: T0 }, deliveries: [delivery('d1'), delivery('d2', T0 + 100)] })).toBe(true);
      // A second "first send" of the same group loses.
      expect(await store.alerts.apply({ group: { key: 'g', version: undefined, sentAt: T0 }, deliveries: [delivery('d3')] })).toBe(false);
      expect(await store.alerts.groups(['g'])).toEqual([{ key: 'g', sentAt: T0, version: 1 }]);
    });

    it('deliveries are leased to one sender; an expired lease makes them due again; only the holder finishes', async () => {
      const first = await store.alerts.claimDeliveries('s1', T0 + 10, 1000, 10);
      expect(first.map((d) => d.id)).toEqual(['d1']);
      expect(await store.alerts.claimDeliveries('s2', T0 + 20, 1000, 10)).toEqual([]);
      const later = await store.alerts.claimDeliveries('s2', T0 + 1011, 1000, 10);
      expect(later.map((d) => d.id)).toEqual(['d1', 'd2']);
      expect(await store.alerts.finishDelivery('d1', 's1', { state: 'delivered', attempts: 1, nextAt: T0 })).toBe(false);
      expect(await store.alerts.finishDelivery('d1', 's2', { state: 'delivered', attempts: 2, nextAt: T0, statusCode: 204, deliveredAt: T0 + 1012 })).toBe(true);
      expect(await store.alerts.deliveriesFor('a1')).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'd1', state: 'delivered', attempts: 2, statusCode: 204 })]));
    });

    it('feed cursors move by compare-and-set', async () => {
      expect(await store.alerts.moveCursor('c', undefined, '5')).toBe(true);
      expect(await store.alerts.moveCursor('c', undefined, '6')).toBe(false);
      expect(await store.alerts.moveCursor('c', '4', '6')).toBe(false);
      expect(await store.alerts.moveCursor('c', '5', '7')).toBe(true);
      expect(await store.alerts.getCursor('c')).toBe('7');
    });

    it('silences end when expired; pruning removes resolved alerts only', async () => {
      await store.alerts.createSilence({ id: 's1', matchers: [{ name: 'workflow', value: 'w' }], startsAt: T0, endsAt: T0 + 1000, createdBy: 'x', createdAt: T0 });
      expect((await store.alerts.silences(T0 + 1)).map((s) => s.id)).toEqual(['s1']);
      expect(await store.alerts.expireSilence('s1', T0 + 2)).toBe(true);
      expect(await store.alerts.silences(T0 + 3)).toEqual([]);
      expect(await store.alerts.prune(T0 + 10, 100)).toBe(1);
      expect(await store.alerts.get('a1')).toBeUndefined();
      expect(await store.alerts.get('a3')).toBeDefined();
      const counts = await store.alerts.counts();
      expect(counts.alerts).toEqual([{ rule: 'run-failed', state: 'firing', n: 1 }]);
    });
  });
}
