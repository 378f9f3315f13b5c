/**
 * What a workflow asks of alerting itself, through a real `serve()`: its own `alerts:`
 * replacing the server's rule of the same name, `notify: { on: [...] }` post-run reports,
 * and a schedule's `notify: { before }` notice. Alerting runs on a virtual clock; the
 * workflow's steps are real processes.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkflowFile, openSqliteStore, VirtualClock, workflowVersion } from '../src/index.js';
import type { Store } from '../src/index.js';
import { processOnStore, serve } from '../src/modes/index.js';
import type { RunningServer } from '../src/modes/index.js';
import { createChannel } from '../src/observe/index.js';
import type { Notification } from '../src/observe/index.js';
import { tempDir, waitFor } from './helpers.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';

let dir: string;
let store: Store;
let receiver: Receiver<Notification>;
const got = (): Notification[] => receiver.received.map((r) => r.body);
let running: RunningServer;
let clock: VirtualClock;

beforeEach(async () => {
  dir = tempDir('baton-alerts-wf-');
  receiver = await startReceiver<Notification>();
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  clock = new VirtualClock(Date.UTC(2026, 11, 2, 1, 52, 0));
});

afterEach(async () => {
  await running.close();
  await store.close();
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(flows: string): Promise<void> {
  const url = receiver.url('/ops');
  const ops = createChannel({ name: 'ops', type: 'webhook', sendResolved: true, mask: (t) => t, webhook: { url, format: 'baton', headers: {}, timeoutMs: 2000 } });
  running = await serve(processOnStore({ mode: 'server', store, dataDir: dir }), {
    report: () => undefined, api: false, workflowsDir: flows, alertClock: clock, channels: new Map([['ops', ops]]),
    config: { baseDir: dir, alerts: [{ name: 'run-failed', rule: 'run-failed', notify: ['ops'] }], defaultNotify: ['ops'] },
  });
}

async function runToEnd(file: string): Promise<string> {
  const spec = await loadWorkflowFile(file);
  const record = await running.loop.startNew(spec, workflowVersion(spec), { trigger: 'manual' });
  await waitFor(async () => ['succeeded', 'failed'].includes((await store.getRun(record.id))?.state ?? ''), 15_000, 'the run to end');
  await running.alerts.idle();
  await running.alerts.pass();
  return record.id;
}

describe("a workflow's own alerting", () => {
  it("its alerts: replace the server's rule of that name; notify: on failure sends a report once", async () => {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    const file = join(flows, 'nightly.yaml');
    writeFileSync(file, [
      'name: nightly',
      'notify: { on: [failure] }',
      'alerts:',
      '  - name: run-failed',
      '    rule: run-failed',
      '    severity: info',
      '    notify: [ops]',
      '    group: { wait: 0s }',
      'steps:',
      '  - id: load',
      '    run: "exit 4"',
      '',
    ].join('\n'));
    await start(flows);
    const runId = await runToEnd(file);
    await waitFor(() => got().length >= 2, 5_000, 'the report and the alert');
    const report = got().find((n) => n.type === 'run-report');
    expect(report).toMatchObject({ type: 'run-report', workflow: 'nightly', runId, state: 'failed', failedSteps: [{ id: 'load' }] });
    const alert = got().find((n) => n.type === 'alert');
    // The workflow's rule (severity info, no group wait) replaced the server's (30 s wait).
    expect(alert).toMatchObject({ type: 'alert', reason: 'new' });
    expect(alert?.type === 'alert' && alert.alerts[0]!.severity).toBe('info');
    await running.alerts.pass();
    expect(got().filter((n) => n.type === 'run-report')).toHaveLength(1);
  }, 30_000);

  it('a schedule with notify: { before: 10m } sends one notice per tick within ten minutes of it', async () => {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'batch.yaml'), 'name: batch\nschedule:\n  cron: "0 2 * * *"\n  notify: { before: 10m }\nsteps:\n  - id: go\n    run: "true"\n');
    await start(flows);
    await running.alerts.idle();
    // 01:52: the 02:00 tick is 8 minutes away.
    await running.alerts.pass();
    await waitFor(() => got().length >= 1, 5_000, 'the notice');
    expect(got()[0]).toMatchObject({ type: 'run-upcoming', workflow: 'batch', schedule: 'batch/default', scheduledFor: '2026-12-02T02:00:00.000Z' });
    clock.advance(20_000);
    await running.alerts.pass();
    expect(got()).toHaveLength(1);
  }, 30_000);

  it('memory: an attempt whose process tree peaked above the limit fires, from the usage on its end event', async () => {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    const file = join(flows, 'heavy.yaml');
    writeFileSync(file, 'name: heavy\nalerts:\n  - name: memory\n    rule: memory\n    maxMemoryMb: 0.5\n    notify: [ops]\n    group: { wait: 0s }\nsteps:\n  - id: crunch\n    run: "sleep 0.3"\n');
    await start(flows);
    const runId = await runToEnd(file);
    const [alert] = await store.alerts.list({ rule: 'memory' });
    expect(alert).toMatchObject({ kind: 'memory', subject: { workflow: 'heavy', stepId: 'crunch' } });
    expect(alert!.summary).toContain(runId);
    expect(Number(alert!.details?.peakRssBytes)).toBeGreaterThan(512 * 1024);
  }, 30_000);
});
