#!/usr/bin/env node
// Accuracy and cost of the ETA (src/observe/eta), off the built dist.
// Accuracy: replays a recorded history of runs generated from a seeded model of step
// durations — log-normal per step (its own median and sigma), occasional slow outliers,
// some failed first attempts retried after a backoff — on several DAG shapes: those of the
// repository's example workflows (examples/) and a few synthetic ones. History is fed
// progressively: each run is predicted only from the runs before it (the latest 50 of each
// step, as the service reads them). In simulated time: no real waiting.
// Cost: one ETA recomputation (the pure estimate, and the service on a real SQLite store
// with a changed run) against the engine's CPU per step (trivial steps through a real
// embedded engine, process CPU divided by steps).
// Usage: node bench/eta.js [--runs 60] [--seed 1]   (or npm run bench -- --only eta)
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWorkflow, loadWorkflowFile, openSqliteStore, processOnStore, workflowVersion } from '../dist/index.js';
import { createEtaService, estimateEta, STEP_SAMPLES, RUN_SAMPLES } from '../dist/observe/eta/index.js';
import { remainingPaths } from '../dist/runtime/index.js';
import { fmt, median, opt, rng } from './lib.js';

const RUNS = Number(opt('runs', 60));
const SEED = Number(opt('seed', 1));
const FRACTIONS = [0.25, 0.5, 0.75];
/** The model: share of step runs that take `OUTLIER_FACTOR` longer, and that fail their first attempt. */
const OUTLIER_P = 0.02;
const FAIL_P = 0.03;
const BACKOFF_MS = 5_000;

const rand = rng(SEED);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/** DAG shapes: the example workflows' (their steps' ids, needs and concurrency), then synthetic ones. */
async function shapes() {
  const root = fileURLToPath(new URL('../examples/', import.meta.url));
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(f) && !f.startsWith('baton')) files.push(p);
    }
  };
  walk(root);
  const out = [];
  for (const f of files.sort()) {
    try {
      const spec = await loadWorkflowFile(f);
      if (!spec.steps.length) continue;
      out.push({
        name: `example ${spec.name}`, concurrency: spec.concurrency,
        steps: spec.steps.filter((s) => s.hook === undefined).map((s) => ({ id: s.id, needs: s.needs })),
      });
    } catch {
      // not a workflow file (or one needing what this machine lacks): its shape is left out
    }
  }
  const chain = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, needs: i ? [`c${i - 1}`] : [] }));
  const fan = [{ id: 'start', needs: [] }, ...Array.from({ length: 8 }, (_, i) => ({ id: `m${i}`, needs: ['start'] })), { id: 'end', needs: Array.from({ length: 8 }, (_, i) => `m${i}`) }];
  const diamond = [{ id: 'a', needs: [] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['a'] }, { id: 'd', needs: ['b', 'c'] }];
  out.push({ name: 'chain of 6', concurrency: 16, steps: chain });
  out.push({ name: 'fan-out 1 -> 8 -> 1, concurrency 3', concurrency: 3, steps: fan });
  out.push({ name: 'diamond', concurrency: 16, steps: diamond });
  return out;
}

/** Per step of a shape: median 1 s .. 2 min (log-uniform), sigma uniform in [lo, hi]. */
function model(shape, lo, hi) {
  return new Map(shape.steps.map((s) => [s.id, { median: 1000 * Math.exp(rand() * Math.log(120)), sigma: lo + (hi - lo) * rand() }]));
}

/**
 * One run's truth: each step's attempts and times, list-scheduled as the engine does
 * (concurrency; ready steps by longest remaining path, then definition order). Times from 0.
 */
function playRun(shape, m) {
  const steps = shape.steps;
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const paths = remainingPaths(steps);
  const rank = steps.map((s, i) => [-(paths.get(s.id) ?? 0), i]);
  const cmp = (a, b) => rank[a][0] - rank[b][0] || a - b;
  const dependents = steps.map(() => []);
  const waiting = steps.map((s) => s.needs.filter((n) => index.has(n)).length);
  steps.forEach((s, i) => s.needs.forEach((n) => index.has(n) && dependents[index.get(n)].push(i)));
  const rec = steps.map((s) => {
    const p = m.get(s.id);
    let d = p.median * Math.exp(p.sigma * gauss());
    if (rand() < OUTLIER_P) d *= 3 + 5 * rand();
    const fail = rand() < FAIL_P ? d * (0.2 + 0.8 * rand()) : undefined;
    return { dur: d, fail };
  });
  let t = 0;
  let free = shape.concurrency;
  let ready = steps.map((_, i) => i).filter((i) => waiting[i] === 0).sort(cmp);
  const readyAt = steps.map(() => 0);
  const running = []; // [end, i]
  const times = steps.map(() => ({}));
  for (;;) {
    for (let k = 0; k < ready.length && free > 0;) {
      const i = ready[k];
      if (readyAt[i] > t) { k++; continue; }
      ready.splice(k, 1);
      free--;
      const r = rec[i];
      const tm = times[i];
      if (r.fail !== undefined && tm.firstStart === undefined) {
        // The failed first attempt, then the backoff: the slot is free meanwhile.
        tm.firstStart = t;
        tm.failEnd = t + r.fail;
        tm.dueAt = tm.failEnd + BACKOFF_MS;
        running.push([tm.failEnd, i, true]);
      } else {
        tm.start = t;
        tm.end = t + r.dur;
        running.push([tm.end, i, false]);
      }
    }
    if (!running.length && !ready.length) break;
    let next = Math.min(...running.map((r) => r[0]), ...ready.map((i) => (readyAt[i] > t ? readyAt[i] : Infinity)));
    t = next;
    for (let k = running.length - 1; k >= 0; k--) {
      if (running[k][0] > t) continue;
      const [, i, failed] = running.splice(k, 1)[0];
      free++;
      if (failed) {
        readyAt[i] = times[i].dueAt;
        ready.push(i);
      } else for (const d of dependents[i]) if (--waiting[d] === 0) ready.push(d);
    }
    ready.sort(cmp);
  }
  const end = Math.max(...times.map((x) => x.end));
  return { times, rec, end };
}

/** The run's steps as they stand at `now` (ms from the run's start). */
function statesAt(shape, run, now) {
  const done = new Set();
  for (let i = 0; i < shape.steps.length; i++) if (run.times[i].end <= now) done.add(shape.steps[i].id);
  return shape.steps.map((s, i) => {
    const tm = run.times[i];
    const base = { id: s.id, needs: s.needs };
    if (tm.end <= now) return { ...base, state: 'succeeded' };
    if (tm.start !== undefined && tm.start <= now) return { ...base, state: 'running', startedAt: tm.start };
    if (tm.firstStart !== undefined && tm.firstStart <= now) {
      return now < tm.failEnd ? { ...base, state: 'running', startedAt: tm.firstStart } : { ...base, state: 'retrying', dueAt: tm.dueAt };
    }
    return { ...base, state: s.needs.every((n) => done.has(n)) ? 'queued' : 'pending' };
  });
}

const all = await shapes();
console.log(`ETA accuracy: ${all.length} DAG shapes x ${RUNS} runs = ${all.length * RUNS} runs (seed ${SEED}); each predicted from the runs before it only`);
console.log(`  shapes: ${all.map((s) => `${s.name} (${s.steps.length} steps)`).join('; ')}`);
console.log('  "within ±10 %": |predicted p50 end - actual end| <= 0.1 x the run\'s actual duration (start to end)');
console.log('  "p90 covers": the run actually ended at or before the predicted p90 end\n');

/** Scores the ETA over the shapes with steps of log-normal sigma in [lo, hi]; returns the inputs of half-way estimates (for the cost). */
function accuracy(label, lo, hi) {
console.log(`${label}: per step log-normal, median 1 s..2 min, sigma ${lo}..${hi}; ${OUTLIER_P * 100} % of step runs 3-8x slower; ${FAIL_P * 100} % fail their first attempt and retry after ${BACKOFF_MS / 1000} s`);
  const within = new Map(FRACTIONS.map((f) => [f, 0]));
  // The same estimate given each step's true distribution (400 draws of the model, no outliers
  // or retries): what perfect knowledge of the steps would score, so the noise the model puts
  // in the runs themselves is told apart from the estimator's errors.
  const oracleWithin = new Map(FRACTIONS.map((f) => [f, 0]));
  const signed = [];
  const covered = new Map(FRACTIONS.map((f) => [f, 0]));
  const basis = { steps: 0, runs: 0, unknown: 0 };
  let predicted = 0;
  const costInputs = [];
  for (const shape of all) {
    const m = model(shape, lo, hi);
    const truth = new Map([...m].map(([id, p]) => [id, Array.from({ length: 400 }, () => p.median * Math.exp(p.sigma * gauss()))]));
    const stepHist = new Map(shape.steps.map((s) => [s.id, []]));
    let runHist = [];
    for (let k = 0; k < RUNS; k++) {
      const run = playRun(shape, m);
      const start = 1_700_000_000_000 + k * 86_400_000;
      let counted = false;
      for (const f of FRACTIONS) {
        const now = f * run.end;
        const steps = statesAt(shape, run, now).map((s) => ({
          ...s, ...(s.startedAt !== undefined ? { startedAt: start + s.startedAt } : {}), ...(s.dueAt !== undefined ? { dueAt: start + s.dueAt } : {}),
        }));
        const input = {
          steps, stepDurations: stepHist, runDurations: runHist, now: start + now, runStartedAt: start,
          parallelism: shape.concurrency, seed: `${shape.name}-${k}`,
        };
        const eta = estimateEta(input);
        if (f === 0.5) {
          basis[eta.basis]++;
          if (costInputs.length < 200 && eta.basis === 'steps') costInputs.push(input);
        }
        if (eta.p50 === null) continue;
        if (!counted) {
          predicted++;
          counted = true;
        }
        const actual = start + run.end;
        const o = estimateEta({ ...input, stepDurations: truth, samples: 64 });
        if (Math.abs(o.p50 - actual) <= 0.1 * run.end) oracleWithin.set(f, oracleWithin.get(f) + 1);
        if (f === 0.5) signed.push((eta.p50 - actual) / run.end);
        if (Math.abs(eta.p50 - actual) <= 0.1 * run.end) within.set(f, within.get(f) + 1);
        if (actual <= eta.p90) covered.set(f, covered.get(f) + 1);
      }
      // The run is recorded: each step's last (successful) attempt, and the run's duration.
      // New arrays, as the service's history cache hands out: the estimate memoizes by array.
      shape.steps.forEach((s, i) => stepHist.set(s.id, [run.rec[i].dur, ...stepHist.get(s.id)].slice(0, STEP_SAMPLES)));
      runHist = [run.end, ...runHist].slice(0, RUN_SAMPLES);
    }
  }
  const pct = (n) => `${fmt((100 * n) / predicted, 1)} %`;
  console.log(`runs with a prediction: ${predicted} of ${all.length * RUNS} (at half-way, basis: steps ${basis.steps}, runs ${basis.runs}, unknown ${basis.unknown}: a workflow's first run has no history)`);
  for (const f of FRACTIONS) {
    console.log(`at ${f * 100} % of elapsed time: p50 within ±10 % ${pct(within.get(f)).padStart(8)}   p90 covers ${pct(covered.get(f)).padStart(8)}   (knowing each step's true distribution: within ±10 % ${pct(oracleWithin.get(f))})`);
  }
  console.log(`error of the p50 end at half-way, share of the run's duration: median ${fmt(100 * median(signed), 1)} %, median absolute ${fmt(100 * median(signed.map(Math.abs)), 1)} %`);
  const half = (100 * within.get(0.5)) / predicted;
  const cover = (100 * covered.get(0.5)) / predicted;
  console.log(`goals at half-way: within ±10 % >= 90 %: ${half >= 90 ? 'met' : `NOT met (${fmt(90 - half, 1)} points short)`}; p90 covers >= 85 %: ${cover >= 85 ? 'met' : `NOT met (${fmt(85 - cover, 1)} points short)`}\n`);
  return costInputs;
}


const costInputs = accuracy('varied steps', 0.05, 0.3);
accuracy('steady steps', 0.02, 0.1);

// Cost of one recomputation, pure: the estimate of half-way states of the shapes above.
const pure = [];
for (let r = 0; r < 5; r++) {
  for (const input of costInputs) {
    const t0 = process.hrtime.bigint();
    estimateEta(input);
    pure.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
}

// The engine's CPU per step: trivial steps through a real embedded engine on SQLite.
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-eta-'));
const store = openSqliteStore(join(dir, 'baton.db'));
await store.migrate();
const proc = processOnStore({ mode: 'embedded', store, dataDir: dir });
const engine = proc.engine();
const noop = () => undefined;
const fanSpec = compileWorkflow({
  name: 'eta-bench', concurrency: 4,
  steps: [{ id: 'start', uses: noop }, ...Array.from({ length: 8 }, (_, i) => ({ id: `m${i}`, uses: noop, needs: ['start'] })), { id: 'end', uses: noop, needs: Array.from({ length: 8 }, (_, i) => `m${i}`) }],
}, { baseDir: dir });
const version = workflowVersion(fanSpec);
const ROUNDS = 100;
const cpu0 = process.cpuUsage();
for (let r = 0; r < ROUNDS; r++) {
  const run = await engine.startRun(fanSpec, version);
  const res = await run.result;
  if (res.state !== 'succeeded') throw new Error(`bench run ${res.state}`);
}
const cpu = process.cpuUsage(cpu0);
const perStepUs = (cpu.user + cpu.system) / (ROUNDS * fanSpec.steps.length);

// The service on that store: a run of the same workflow made to change before every ask
// (a new marker: the cache cannot answer), history cached as between transitions.
const runId = 'etabench00000000';
await store.createRun({ id: runId, workflow: 'eta-bench', version, state: 'running', trigger: 'manual', params: {}, priority: 0, stepCount: fanSpec.steps.length, createdAt: Date.now(), startedAt: Date.now() },
  fanSpec.steps.map((s, position) => ({ runId, stepId: s.id, position, state: position === 0 ? 'running' : 'pending', attempts: position === 0 ? 1 : 0, lostAttempts: 0, ...(position === 0 ? { startedAt: Date.now() } : {}) })), []);
const etas = createEtaService({ store, maxAgeMs: 0 });
const first = await etas.forRun(runId);
if (first.basis !== 'steps') throw new Error(`bench: service ETA basis ${first.basis}`);
const service = [];
for (let r = 0; r < 500; r++) {
  const t0 = process.hrtime.bigint();
  await etas.forRun(runId);
  service.push(Number(process.hrtime.bigint() - t0) / 1000);
}
// With the run and its step rows in hand (as GET /runs/{id} has them): the estimate and the cache bookkeeping.
const heldRun = await store.getRun(runId);
const heldSteps = await store.getStepRuns(runId);
const inHand = [];
for (let r = 0; r < 500; r++) {
  const t0 = process.hrtime.bigint();
  await etas.ofRun(heldRun, heldSteps);
  inHand.push(Number(process.hrtime.bigint() - t0) / 1000);
}
await proc.close();
await store.close();
rmSync(dir, { recursive: true, force: true });

const pureUs = median(pure);
const serviceUs = median(service);
console.log(`ETA recomputation, pure estimate (64 draws, the shapes above at half-way): ${fmt(pureUs, 1)} µs median over ${pure.length}`);
console.log(`ETA recomputation through the service on SQLite (10-step run, reads + estimate): ${fmt(serviceUs, 1)} µs median over ${service.length}`);
console.log(`ETA recomputation through the service with the run's records in hand (no reads): ${fmt(median(inHand), 1)} µs median over ${inHand.length}`);
console.log(`engine CPU per step (no-op handler steps, 10-step fan-out x ${ROUNDS} runs, embedded SQLite): ${fmt(perStepUs, 1)} µs`);
const ratioPure = (100 * pureUs) / perStepUs;
const ratioService = (100 * serviceUs) / perStepUs;
console.log(`one recomputation per step vs the step's engine CPU: pure ${fmt(ratioPure, 1)} %, through the service ${fmt(ratioService, 1)} % (goal < 5 %: ${ratioPure < 5 ? 'pure met' : 'pure NOT met'}, ${ratioService < 5 ? 'service met' : 'service NOT met'})`);
