/**
 * How alerting reads the event feed: the successful ends no rule can act on stay in the
 * database, yet an alert still clears on the success that follows it, whether that success
 * arrives in a later read or in the same read as the failure that opened it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileWorkflow, createEngine, openSqliteStore, VirtualClock, workflowVersion } from '../src/index.js';
import type { Engine, Store } from '../src/index.js';
import { AlertService } from '../src/observe/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let store: Store;
let engine: Engine;
let alerts: AlertService;
let fail = new Set<string>();

beforeEach(async () => {
  dir = tempDir('baton-alerts-feed-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  fail = new Set();
  alerts = new AlertService({ store, clock: new VirtualClock(Date.UTC(2026, 11, 3)), channels: new Map(), rules: [{ name: 'step-failed', rule: 'step-failed' }] });
  await alerts.pass();
  engine = createEngine({ store, dataDir: dir, slots: 8 });
});

afterEach(async () => {
  await engine.close();
  await alerts.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the nightly workflow once: its 40 steps succeed but those named in `fail`. */
async function nightly(): Promise<void> {
  const spec = compileWorkflow({
    name: 'nightly', concurrency: 8,
    steps: Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, retry: { attempts: 1 }, uses: () => { if (fail.has(`s${i}`)) throw new Error('boom'); } })),
  }, { baseDir: dir });
  await (await engine.startRun(spec, workflowVersion(spec))).result.catch(() => undefined);
}

const states = async (): Promise<string[]> => (await store.alerts.list({ limit: 100 })).map((a) => `${a.subject.stepId}:${a.state}`);

describe('the alerting feed', () => {
  it('leaves quiet successful ends unread, and clears on the success after a failure read earlier', async () => {
    await nightly();
    const read: number[] = [];
    const eventsAfter = store.api.eventsAfter.bind(store.api);
    store.api.eventsAfter = async (...a) => {
      const got = await eventsAfter(...a);
      read.push(got.length);
      return got;
    };
    await alerts.pass();
    // The run's creation, a first small batch of its ends, then only the run's end.
    expect(read.reduce((a, b) => a + b, 0)).toBeLessThan(40);
    fail = new Set(['s7']);
    await nightly();
    await alerts.pass();
    expect(await states()).toEqual(['s7:firing']);
    fail = new Set();
    await nightly();
    await alerts.pass();
    expect(await states()).toEqual(['s7:resolved']);
  });

  it('clears on a success read in the same batch as the failure that opened the alert', async () => {
    await nightly();
    await alerts.pass();
    fail = new Set(['s3', 's30']);
    await nightly();
    fail = new Set(['s30']);
    await nightly();
    await alerts.pass();
    expect((await states()).sort()).toEqual(['s30:firing', 's3:resolved']);
  });
});
