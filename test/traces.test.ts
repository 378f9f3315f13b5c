/**
 * OpenTelemetry traces of real runs, received by a real OTLP/HTTP receiver on loopback
 * (test/otlp-receiver.ts): `baton run` of a 3-step workflow with a step that fails once and
 * is retried exports one trace whose id is the one `baton show --json` prints, one root span
 * and one span per attempt, with their attributes and the records' times; a run killed with
 * SIGKILL and resumed by another process still gets exactly one root span, with its
 * recorded start; an operator's re-run emits the root span again under the same id; a fleet run on PostgreSQL (worker process + coordinating `baton run`)
 * gets one root span and one span per attempt carrying the worker that ran it; `baton
 * server` traces the runs it starts and its API answers their trace id; without the
 * variables (or with `OTEL_SDK_DISABLED=true`) nothing is exported and the SDK never loads.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord, RunRecord } from '../src/index.js';
import { BATON_VERSION, traceIdOf } from '../src/shared/index.js';
import type { CliProcess } from './helpers.js';
import { BATON, baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.js';
import { ns, startOtlpReceiver } from './otlp-receiver.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let rx: OtlpReceiver;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  rx = await startOtlpReceiver();
  dir = tempDir('baton-traces-');
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The variables a process exports with; the traces-only endpoint cleared so the outer environment cannot redirect it. */
const otel = (extra: Record<string, string> = {}): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '', OTEL_SERVICE_NAME: '', ...extra,
});
/** No OpenTelemetry variable at all. */
const noOtel = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' };

/** 3 steps; `flaky` fails with exit code 3 on its first attempt and succeeds on its second. */
const RETRIED = `name: traced
steps:
  - id: prepare
    run: echo prepared
  - id: flaky
    needs: [prepare]
    retry: { attempts: 2, delay: 0s }
    run: |
      if [ ! -f flaky.failed ]; then touch flaky.failed; exit 3; fi
  - id: report
    needs: [flaky]
    run: "true"
`;

interface Shown {
  run: RunRecord;
  traceId: string;
  attempts: AttemptRecord[];
}

async function show(args: string[], runId: string): Promise<Shown> {
  const r = await baton([...args, 'show', runId, '--json'], dir, noOtel);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Shown;
}

/** The root spans and the attempt spans of one trace. */
function split(spans: ReceivedSpan[], traceId: string): { roots: ReceivedSpan[]; steps: ReceivedSpan[] } {
  const mine = spans.filter((s) => s.traceId === traceId);
  return { roots: mine.filter((s) => s.parentSpanId === undefined), steps: mine.filter((s) => s.parentSpanId !== undefined) };
}

/** Checks an attempt span against its stored attempt. */
function expectAttemptSpan(span: ReceivedSpan | undefined, a: AttemptRecord, parent: ReceivedSpan): void {
  expect(span, `a span for ${a.id}`).toBeDefined();
  expect(span!.name).toBe(`step ${a.stepId}`);
  expect(span!.parentSpanId).toBe(parent.spanId);
  expect(span!.startNs).toBe(ns(a.startedAt));
  expect(span!.endNs).toBe(ns(a.endedAt!));
  expect(span!.attributes).toMatchObject({
    'baton.step.id': a.stepId, 'baton.attempt.number': a.number, 'baton.attempt.id': a.id, 'baton.attempt.state': a.state,
    'baton.run.id': a.runId, 'baton.worker': a.worker,
  });
  const optional = { 'process.exit.code': a.exitCode, 'error.type': a.error?.type, 'baton.attempt.peak_rss_bytes': a.peakRssBytes, 'baton.attempt.cpu_ms': a.cpuMs };
  for (const [k, v] of Object.entries(optional)) expect(span!.attributes[k], k).toBe(v);
  expect(span!.status.code ?? 0).toBe(a.state === 'failed' || a.state === 'lost' ? 2 : 0);
}

describe('traces of baton run', () => {
  it('one trace per run, its id the one show prints: a root span and a span per attempt, with attributes and the records\' times', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    const r = await baton(['run', 'flow.yaml', '--json'], dir, otel({ OTEL_EXPORTER_OTLP_HEADERS: 'x-baton-test=yes' }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const runId = jsonEvents(r.stdout)[0]!.runId;
    // Flushed before the process exited: everything is there once it is gone.
    const shown = await show([], runId);
    expect(shown.traceId).toBe(traceIdOf(runId));
    expect(shown.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(rx.spans.map((s) => s.traceId))).toEqual(new Set([shown.traceId]));
    expect(rx.requests.every((h) => h['content-type'] === 'application/json' && h['x-baton-test'] === 'yes')).toBe(true);

    const { roots, steps } = split(rx.spans, shown.traceId);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.name).toBe('run traced');
    expect(root.startNs).toBe(ns(shown.run.startedAt!));
    expect(root.endNs).toBe(ns(shown.run.endedAt!));
    expect(root.attributes).toEqual({
      'baton.workflow': 'traced', 'baton.workflow.version': shown.run.version, 'baton.run.id': runId,
      'baton.run.trigger': 'manual', 'baton.run.state': 'succeeded',
    });
    expect(root.resource['service.name']).toBe('baton');
    expect(root.resource['service.version']).toBe(BATON_VERSION);
    expect(root.scope).toBe('baton');

    expect(shown.attempts.map((a) => [a.stepId, a.number, a.state])).toEqual([
      ['prepare', 1, 'succeeded'], ['flaky', 1, 'failed'], ['flaky', 2, 'succeeded'], ['report', 1, 'succeeded'],
    ]);
    expect(steps).toHaveLength(shown.attempts.length);
    for (const a of shown.attempts) expectAttemptSpan(steps.find((s) => s.attributes['baton.attempt.id'] === a.id), a, root);
    const failed = steps.find((s) => s.attributes['baton.attempt.id'] === `${runId}.flaky.1`)!;
    expect(failed.attributes).toMatchObject({ 'process.exit.code': 3, 'error.type': 'exit-code', 'baton.attempt.state': 'failed' });
    expect(failed.status).toMatchObject({ code: 2, message: 'exited with code 3' });
    expect(new Set(steps.map((s) => s.spanId)).size).toBe(steps.length);

    const text = await baton(['show', runId], dir, noOtel);
    expect(text.stdout).toMatch(new RegExp(`^trace +${shown.traceId}$`, 'm'));
  });

  it('a run killed with SIGKILL and resumed by another process: one root span, with the start the first process recorded', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: resumed
steps:
  - id: first
    run: "true"
  - id: slow
    needs: [first]
    run: |
      if [ -f go ]; then exit 0; fi
      sleep 30
`);
    // Exported within 50 ms, so the first process's span of 'first' leaves before the kill.
    const run = spawnBaton(['run', 'flow.yaml', '--json'], dir, otel({ OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_SERVICE_NAME: 'nightly-batch' }));
    procs.push(run);
    await waitFor(() => jsonEvents(run.stdout()).some((e) => e.stepId === 'slow' && e.to === 'running'), 10_000, 'slow to run');
    const runId = jsonEvents(run.stdout())[0]!.runId;
    await waitFor(() => rx.spans.some((s) => s.name === 'step first'), 10_000, "the first process's span of step first");
    run.child.kill('SIGKILL');
    await run.exited;
    writeFileSync(join(dir, 'go'), '');
    const resumed = await baton(['resume', runId, '--json'], dir, otel());
    expect(resumed.code, resumed.stderr).toBe(0);

    const shown = await show([], runId);
    const { roots, steps } = split(rx.spans, traceIdOf(runId));
    expect(roots).toHaveLength(1);
    expect(roots[0]!.startNs).toBe(ns(shown.run.startedAt!));
    expect(roots[0]!.endNs).toBe(ns(shown.run.endedAt!));
    expect(roots[0]!.attributes['baton.run.state']).toBe('succeeded');
    // Each process names itself: the first by OTEL_SERVICE_NAME, the resuming one by default.
    expect(steps.find((s) => s.name === 'step first')!.resource['service.name']).toBe('nightly-batch');
    expect(roots[0]!.resource['service.name']).toBe('baton');
    expect(shown.attempts.map((a) => [a.stepId, a.number, a.state])).toEqual([['first', 1, 'succeeded'], ['slow', 1, 'lost'], ['slow', 2, 'succeeded']]);
    expect(steps).toHaveLength(3);
    // The lost attempt's span comes from the resuming process, which recorded its loss.
    for (const a of shown.attempts) expectAttemptSpan(steps.find((s) => s.attributes['baton.attempt.id'] === a.id), a, roots[0]!);
  });

  it("an operator's re-run ends the run again: its root span is emitted again, same id and start, the later end; the new attempt is its child", async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    const first = await baton(['run', 'flow.yaml', '--json'], dir, otel());
    expect(first.code, first.stderr).toBe(0);
    const runId = jsonEvents(first.stdout)[0]!.runId;
    const before = await show([], runId);
    const again = await baton(['retry', runId, '--from', 'report', '--json'], dir, otel());
    expect(again.code, again.stderr).toBe(0);
    const after = await show([], runId);
    expect(after.run.startedAt).toBe(before.run.startedAt);
    const { roots, steps } = split(rx.spans, traceIdOf(runId));
    expect(roots).toHaveLength(2);
    expect(new Set(roots.map((r) => r.spanId)).size).toBe(1);
    expect(roots.map((r) => r.startNs)).toEqual([ns(after.run.startedAt!), ns(after.run.startedAt!)]);
    expect(roots.map((r) => r.endNs)).toEqual([ns(before.run.endedAt!), ns(after.run.endedAt!)]);
    const rerun = after.attempts.find((a) => a.stepId === 'report' && a.number === 2)!;
    expect(steps).toHaveLength(after.attempts.length);
    expectAttemptSpan(steps.find((s) => s.attributes['baton.attempt.id'] === rerun.id), rerun, roots[1]!);
  });

  it('a collector that refuses the spans costs the traces, not the run: exit code 0, one warning', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is: this path answers 415.
    const r = await baton(['run', 'flow.yaml', '--quiet'], dir, otel({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${rx.endpoint}/not-traces` }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[BATON_TRACES\] Warning: the last spans could not be exported/);
    expect(rx.spans).toEqual([]);
  });

  it('OTEL_SDK_DISABLED=true exports nothing, whatever the endpoint', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    const r = await baton(['run', 'flow.yaml'], dir, otel({ OTEL_SDK_DISABLED: 'TRUE' }));
    expect(r.code, r.stderr).toBe(0);
    expect(rx.requests).toEqual([]);
  });

  it('without the variables no export is attempted and no OpenTelemetry module is even loaded', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    // A resolve hook that logs every @opentelemetry/* module the process resolves.
    const log = join(dir, 'otel-loads.log');
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@opentelemetry/')) appendFileSync(${JSON.stringify(log)}, specifier + '\\n');
  return next(specifier, context);
}
`);
    writeFileSync(join(dir, 'probe.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const probed = (env: Record<string, string>): Promise<number | null> => new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'probe.mjs')).href, BATON, 'run', 'flow.yaml'], {
        cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'ignore',
      });
      child.on('close', (code) => resolve(code));
    });
    const loaded = (): string[] => {
      try {
        return readFileSync(log, 'utf8').split('\n').filter(Boolean);
      } catch {
        return [];
      }
    };
    expect(await probed(noOtel)).toBe(0);
    expect(loaded()).toEqual([]);
    expect(rx.requests).toEqual([]);
    // The probe sees the SDK when the variables ask for it.
    rmSync(join(dir, 'flaky.failed'));
    expect(await probed(otel())).toBe(0);
    expect(loaded()).toContain('@opentelemetry/sdk-trace-base');
    expect(rx.spans.length).toBeGreaterThan(0);
  });
});

describe('traces of baton server', () => {
  it('a run the server starts is traced, flushed when the server stops; the API answers the same trace id', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    const token = await baton(['token', 'create', '--role', 'viewer', '--name', 'traces'], dir, noOtel);
    expect(token.code, token.stderr).toBe(0);
    const queued = await baton(['run', 'flow.yaml', '--detach'], dir, noOtel);
    expect(queued.code, queued.stderr).toBe(0);
    const runId = queued.stdout.trim();
    const server = spawnBaton(['server', '--port', '0'], dir, otel());
    procs.push(server);
    const address = await waitFor(() => /API listening on (http:\/\/\S+)\/api\/v1 /.exec(server.stdout())?.[1], 10_000, 'the server to listen');
    await waitFor(async () => (await show([], runId)).run.state === 'succeeded', 10_000, 'the server to run it');
    const res = await fetch(`${address}/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { traceId: string };
    expect(answer.traceId).toBe(traceIdOf(runId));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const { roots, steps } = split(rx.spans, answer.traceId);
    expect(roots.map((r) => [r.name, r.attributes['baton.run.trigger'], r.attributes['baton.run.state']])).toEqual([['run traced', 'manual', 'succeeded']]);
    expect(steps.map((s) => s.name).sort()).toEqual(['step flaky', 'step flaky', 'step prepare', 'step report']);
  });
});

describe('traces of a fleet run on PostgreSQL', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    procs = [];
    await db.drop();
  });

  it('a worker process executes, the coordinating baton run emits: one root span, one span per attempt with the worker that ran it', async () => {
    writeFileSync(join(dir, 'flow.yaml'), RETRIED);
    // The worker exports too (it is also a coordinator of runs nobody holds): it must not add spans of this run.
    const worker = spawnBaton(['worker', '--database-url', db.url, '--slots', '2', '--max-cpu', '1000', '--max-mem', '1'], dir, otel({ OTEL_BSP_SCHEDULE_DELAY: '50' }));
    procs.push(worker);
    await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= 1, 10_000, 'the worker');
    const r = await baton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir, otel());
    expect(r.code, r.stderr).toBe(0);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    // Stopped gracefully, the worker flushes whatever it had.
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const shown = await show(['--database-url', db.url], runId);
    expect(shown.traceId).toBe(traceIdOf(runId));
    const { roots, steps } = split(rx.spans, shown.traceId);
    expect(roots).toHaveLength(1);
    expect(roots[0]!.startNs).toBe(ns(shown.run.startedAt!));
    expect(roots[0]!.endNs).toBe(ns(shown.run.endedAt!));
    const rows = await sql<{ id: string; claimed_by: string }>(db.url, 'SELECT id, claimed_by FROM attempts WHERE run_id = $1', [runId]);
    expect(rows).toHaveLength(4);
    expect(steps).toHaveLength(4);
    for (const a of shown.attempts) {
      const row = rows.find((x) => x.id === a.id)!;
      // Executed by the worker, whose id the span carries, with the end the worker stored.
      expect(a.worker).toBe(row.claimed_by);
      expectAttemptSpan(steps.find((s) => s.attributes['baton.attempt.id'] === a.id), a, roots[0]!);
    }
  });
});
