#!/usr/bin/env node
// Alerting figures (`npm run bench -- --only alerts`):
// 1. evaluation cost: CPU of reading and evaluating one run's committed events, per step,
//    as a share of the engine's CPU per step for the same run (goal: under 5 %), for a
//    version alerting has seen before and, apart, for the first run of a version;
// 2. failure to webhook: from the commit of a step's failure to the POST arriving at a
//    local receiver, with no grouping wait (goal: p99 under 1 s).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWorkflow, createEngine, openSqliteStore, workflowVersion } from '../dist/index.js';
import { processOnStore, serve } from '../dist/modes/index.js';
import { AlertService, createChannel } from '../dist/observe/index.js';
import { fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const STEPS = Number(opt('steps', 5000));
const FAILURES = Number(opt('failures', 100));
const noop = () => undefined;
const cpuMs = (u) => (u.user + u.system) / 1000;
const clock = { now: Date.now, setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); } };

async function evaluationCost() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-alerts-'));
  const store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  const alerts = new AlertService({ store, clock, channels: new Map() });
  await alerts.pass(); // sets the feed cursor before the run
  const engine = createEngine({ store, dataDir: dir, slots: 256 });
  const spec = compileWorkflow({ name: 'bench', concurrency: 256, steps: Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, uses: noop })) }, { baseDir: dir });
  // The first run of a version also pays for reading its definition once; a server
  // evaluating its nightly batch has read it before. Both are measured.
  const measure = async () => {
    let c0 = process.cpuUsage();
    const run = await engine.startRun(spec, workflowVersion(spec));
    await run.result;
    const engineMs = cpuMs(process.cpuUsage(c0));
    const events = (await store.getEvents(run.id, 0, 1_000_000)).length;
    c0 = process.cpuUsage();
    await alerts.pass();
    return { engineMs, alertMs: cpuMs(process.cpuUsage(c0)), events };
  };
  const first = await measure();
  const { engineMs, alertMs, events } = await measure();
  await engine.close();
  await alerts.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { engineUsPerStep: (engineMs * 1000) / STEPS, alertUsPerStep: (alertMs * 1000) / STEPS, alertUsPerEvent: (alertMs * 1000) / events, firstUsPerStep: (first.alertMs * 1000) / STEPS, firstEngineUsPerStep: (first.engineMs * 1000) / STEPS };
}

async function failureToWebhook() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-alerts-'));
  const arrivals = new Map();
  const receiver = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
      const body = JSON.parse(text);
      for (const a of body.alerts ?? []) arrivals.set(a.subject.stepId, performance.timeOrigin + performance.now());
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${receiver.address().port}/ops`;
  const store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  const ops = createChannel({ name: 'ops', type: 'webhook', sendResolved: true, mask: (t) => t, webhook: { url, format: 'baton', headers: {}, timeoutMs: 5000 } });
  const server = await serve(processOnStore({ mode: 'server', store, dataDir: dir }), {
    report: () => undefined, api: false, channels: new Map([['ops', ops]]),
    config: { baseDir: dir, alerts: [{ name: 'step-failed', rule: 'step-failed', notify: ['ops'], group: { wait: '0s', by: ['workflow', 'step'] } }] },
  });
  await server.alerts.idle();
  const latencies = [];
  for (let i = 0; i < FAILURES; i++) {
    const stepId = `fail-${i}`;
    const spec = compileWorkflow({ name: 'latency', steps: [{ id: stepId, uses: () => { throw new Error('boom'); }, retry: { attempts: 1 } }] }, { baseDir: dir });
    const handle = await server.engine.startRun(spec, workflowVersion(spec));
    await handle.result;
    const failedAt = (await store.getEvents(handle.id)).find((e) => e.type === 'step' && e.to === 'failed').at;
    const t0 = Date.now();
    while (!arrivals.has(stepId)) {
      if (Date.now() - t0 > 10_000) throw new Error(`no webhook for ${stepId}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    latencies.push(arrivals.get(stepId) - failedAt);
  }
  await server.close();
  await store.close();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: q(0.5), p99: q(0.99) };
}

console.log(`alerts: ${ROUNDS} rounds, medians; ${STEPS} no-op steps; ${FAILURES} failures per round`);
const costs = [];
const lat = [];
for (let r = 0; r < ROUNDS; r++) {
  costs.push(await evaluationCost());
  lat.push(await failureToWebhook());
}
const eng = median(costs.map((c) => c.engineUsPerStep));
const alr = median(costs.map((c) => c.alertUsPerStep));
console.log(`${'engine CPU per step'.padEnd(48)} ${fmt(eng, 1).padStart(12)} µs`);
console.log(`${'alert evaluation CPU per step'.padEnd(48)} ${fmt(alr, 1).padStart(12)} µs        ${fmt(median(costs.map((c) => c.alertUsPerEvent)), 1)} µs per event; ${fmt((100 * alr) / eng, 1)} % of the engine's (goal < 5 %)`);
console.log(`${'  the first run of a version (reads its definition)'.padEnd(48)} ${fmt(median(costs.map((c) => c.firstUsPerStep)), 1).padStart(12)} µs        ${fmt((100 * median(costs.map((c) => c.firstUsPerStep))) / median(costs.map((c) => c.firstEngineUsPerStep)), 1)} % of the engine's on that run (${fmt(median(costs.map((c) => c.firstEngineUsPerStep)), 1)} µs)`);
console.log(`${'step failure -> webhook arrival p50'.padEnd(48)} ${fmt(median(lat.map((l) => l.p50)), 0).padStart(12)} ms`);
console.log(`${'step failure -> webhook arrival p99'.padEnd(48)} ${fmt(median(lat.map((l) => l.p99)), 0).padStart(12)} ms        goal < 1000 ms`);
