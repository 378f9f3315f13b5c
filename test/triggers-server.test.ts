/**
 * The trigger server loop in-process, on a real SQLite file and a real engine, with the
 * scheduler's clock controlled: ticks are fired, promoted and started in one iteration,
 * and a run queued behind its schedule's previous run starts when that one ends. Also
 * the races between processes starting the same queued run.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowSpec } from '../src/index.js';
import { compileWorkflow, createEngine, ResumeError, RunHeldError, workflowVersion } from '../src/index.js';
import { cancelStoredRun, clockFrom, submitRun } from '../src/runtime/index.js';
import type { ServerReport } from '../src/modes/index.js';
import { RunLoop } from '../src/modes/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, waitFor } from './helpers.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const MIN = 60_000;

let rig: EngineRig;
let server: RunLoop | undefined;
let reports: ServerReport[];
beforeEach(async () => {
  rig = await engineRig();
  reports = [];
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await rig.cleanup();
});

describe('RunLoop', () => {
  it('fires a tick, promotes and starts its run; a run queued behind it (overlap: queue) starts when it ends', async () => {
    const flows = join(rig.dir, 'flows');
    mkdirSync(flows);
    const go = join(rig.dir, 'GO');
    writeFileSync(join(flows, 'gated.yaml'), [
      'name: gated',
      'schedule: { cron: "*/5 * * * *", overlap: queue }',
      'steps:',
      '  - id: wait',
      `    run: 'while [ ! -f "${go}" ]; do sleep 0.02; done'`,
      '',
    ].join('\n'));
    let now = T0;
    server = new RunLoop({ store: rig.store, engine: rig.engine, workflowsDir: flows, report: (r) => reports.push(r), clock: clockFrom(() => now), pollMs: 60_000 });
    expect(await server.start()).toEqual({ valid: 1, invalid: 0 });

    now = T0 + 5 * MIN;
    await server.runIteration();
    const first = reports.find((r) => r.kind === 'tick')!;
    expect(first).toMatchObject({ tick: { tickAt: T0 + 5 * MIN, outcome: 'created' } });
    const firstId = (first).tick.runId!;
    expect(server.activeRuns()).toEqual([firstId]);
    await waitFor(async () => (await rig.store.getRun(firstId))?.state === 'running', 5_000, 'the first run to run');

    now = T0 + 10 * MIN;
    await server.runIteration();
    const second = reports.filter((r) => r.kind === 'tick')[1] as Extract<ServerReport, { kind: 'tick' }>;
    expect(second.tick).toMatchObject({ tickAt: T0 + 10 * MIN, outcome: 'created' });
    const secondId = second.tick.runId!;
    expect((await rig.store.getRun(secondId))).toMatchObject({ state: 'pending', waitForSchedule: true });
    expect(server.activeRuns()).toEqual([firstId]);

    // The first ends; the server goes round again on its own and starts the second.
    writeFileSync(go, '');
    await waitFor(async () => (await rig.store.getRun(secondId))?.state === 'succeeded', 10_000, 'the second run to succeed');
    expect((await rig.store.getRun(firstId))!.state).toBe('succeeded');
    expect((await rig.store.getRun(secondId))!.startedAt!).toBeGreaterThanOrEqual((await rig.store.getRun(firstId))!.endedAt!);
    expect(reports.filter((r) => r.kind === 'error')).toEqual([]);
  });

  it('reports an invalid file and serves the rest; removing a served file removes its schedules', async () => {
    const flows = join(rig.dir, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'a.yaml'), 'name: a\nschedule: { cron: "0 * * * *" }\nsteps:\n  - id: x\n    run: "true"\n');
    writeFileSync(join(flows, 'b.yaml'), 'name: b\nschedule: { cron: "0 * * * *", timezone: Mars/Olympus }\nsteps:\n  - id: x\n    run: "true"\n');
    server = new RunLoop({ store: rig.store, engine: rig.engine, workflowsDir: flows, report: (r) => reports.push(r), clock: clockFrom(() => T0), pollMs: 60_000 });
    expect(await server.start()).toEqual({ valid: 1, invalid: 1 });
    const invalid = reports.find((r) => r.kind === 'invalid') as Extract<ServerReport, { kind: 'invalid' }>;
    expect(invalid.file).toMatch(/b\.yaml$/);
    expect(invalid.errors).toMatchObject([{ code: 'bad-timezone', line: 2 }]);
    expect((await rig.store.listSchedules()).map((s) => s.id)).toEqual(['a/default']);
    rmSync(join(flows, 'a.yaml'));
    await waitFor(async () => (await rig.store.listSchedules()).length === 0, 5_000, 'the schedule to be removed');
    expect(reports.some((r) => r.kind === 'removed' && r.workflow === 'a')).toBe(true);
  });

  it('skips JSON data files, dot-folders and node_modules, but reports a broken JSON workflow', async () => {
    const flows = join(rig.dir, 'flows');
    for (const d of ['out', '.baton', 'node_modules/pkg']) mkdirSync(join(flows, d), { recursive: true });
    writeFileSync(join(flows, 'flow.json'), JSON.stringify({ name: 'j', steps: [{ id: 'x', run: 'true' }] }));
    writeFileSync(join(flows, 'out', 'alerts.json'), JSON.stringify({ alerts: [] }));
    writeFileSync(join(flows, 'out', 'list.json'), '[1, 2]');
    writeFileSync(join(flows, '.baton', 'x.yaml'), 'not: a workflow\n');
    writeFileSync(join(flows, 'node_modules', 'pkg', 'package.json'), '{"name": "pkg"}');
    writeFileSync(join(flows, 'broken.json'), '{"name": "b", "steps": [');
    server = new RunLoop({ store: rig.store, engine: rig.engine, workflowsDir: flows, report: (r) => reports.push(r), clock: clockFrom(() => T0), pollMs: 60_000 });
    expect(await server.start()).toEqual({ valid: 1, invalid: 1 });
    expect(reports.filter((r) => r.kind === 'invalid').map((r) => (r).file)).toEqual([join(flows, 'broken.json')]);
  });
});

describe('two processes starting the same queued run', () => {
  const spec = (dir: string): WorkflowSpec => compileWorkflow({ name: 'once', steps: [{ id: 'a', run: `echo x >> "${join(dir, 'marks')}"` }] }, { baseDir: dir });

  it('the second engine to start a run another engine holds gets RunHeldError', async () => {
    const s = spec(rig.dir);
    const id = await submitRun(rig.store, s, workflowVersion(s), {}, Date.now());
    const other = createEngine({ store: rig.store, dataDir: rig.dir, graceMs: 200, heartbeatMs: 100 });
    try {
      const h = await rig.engine.startQueuedRun(id);
      await expect(other.startQueuedRun(id)).rejects.toBeInstanceOf(RunHeldError);
      expect(await h.result).toMatchObject({ state: 'succeeded' });
    } finally {
      await other.close();
    }
  });

  // The server lists queued runs, then starts each: a `baton cancel` in between must win.
  it('starting a run that was cancelled while queued leaves it cancelled', async () => {
    const s = spec(rig.dir);
    const id = await submitRun(rig.store, s, workflowVersion(s), {}, Date.now());
    expect(await cancelStoredRun(rig.store, id, Date.now())).toBe('cancelled');
    try {
      const h = await rig.engine.startQueuedRun(id);
      await h.result;
    } catch {
      // refusing to start is fine too
    }
    expect((await rig.store.getRun(id))!.state).toBe('cancelled');
    expect(existsSync(join(rig.dir, 'marks'))).toBe(false);
  });

  // Another server started and finished it between this server's listing and its start.
  it('starting a run another engine already finished throws ResumeError and takes no ownership', async () => {
    const s = spec(rig.dir);
    const id = await submitRun(rig.store, s, workflowVersion(s), {}, Date.now());
    const other = createEngine({ store: rig.store, dataDir: rig.dir, graceMs: 200, heartbeatMs: 100 });
    try {
      expect(await (await other.startQueuedRun(id)).result).toMatchObject({ state: 'succeeded' });
    } finally {
      await other.close();
    }
    const err = await rig.engine.startQueuedRun(id).catch((e: unknown) => e);
    expect((await rig.store.getRun(id))!.owner).toBeUndefined();
    expect(err).toBeInstanceOf(ResumeError);
  });
});
