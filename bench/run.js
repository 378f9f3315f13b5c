#!/usr/bin/env node
// baton benchmarks: prints figures (medians of several rounds), not pass/fail.
// Usage: npm run bench [-- --rounds 5 --only steps,map,chain,fanout,shell,rss,startup]
// PostgreSQL fleet figures: --only fleet (runs bench/fleet.js; needs PostgreSQL, see that file).
// HTTP API figures: --only api (runs bench/api.js: POST /runs against a baton server process).
// Alerting figures: --only alerts (runs bench/alerts.js: evaluation cost per step, failure to webhook latency).
// Dashboard figures in Debian's chromium: --only web (runs bench/web.js: first render of 500- and
// 5,000-step runs, long tasks under live updates, a 10 MiB log, bundle size).
// Load forecast accuracy: --only forecast (runs bench/forecast.js: double seasonal Holt-Winters vs naive seasonal backtest).
// Retention beside a run: --only prune (runs bench/prune.js: step latency p99 while pruning
// 1,000,000 events, SQLite and PostgreSQL; needs PostgreSQL, see that file).
// Handler threads: --only handlers (runs bench/handlers.js: 10,000 no-op path handlers in threads vs
// inline: true, and a CPU-bound forecast-like handler at slots 2 in threads vs one at a time).
// ETA accuracy and cost: --only eta (runs bench/eta.js: a replayed history of 360 seeded runs on the
// example workflows' shapes and synthetic ones, p50 within ±10 % and p90 coverage at 25/50/75 %
// of each run, and one recomputation's cost against the engine's CPU per step).
// Scheduling order: --only makespan (runs bench/makespan.js: simulated makespan of baton's ready
// order vs FIFO vs the lower bound on seeded random DAGs; no store, no real waiting).
// Each case runs on a fresh SQLite file (WAL, synchronous=NORMAL unless BATON_SQLITE_SYNCHRONOUS=full).
// In-process cases assemble the process as `baton run` does (processOnStore), so OTEL_* variables
// apply; --otlp starts a local OTLP/HTTP receiver (bench/otlp-sink.js) and points them at it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileWorkflow, openSqliteStore, processOnStore, workflowVersion } from '../dist/index.js';
import { flag, fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 5));
const ONLY = opt('only', 'steps,map,chain,fanout,shell,startup,rss,api,eta').split(',');
const SYNC = process.env.BATON_SQLITE_SYNCHRONOUS === 'full' ? 'full' : 'normal';
const BIN = fileURLToPath(new URL('../bin/baton.js', import.meta.url));

const noop = () => undefined;

/** Runs a workflow built from `steps` in-process on a fresh store; returns wall ms. */
async function timeRun(steps, { concurrency = 256 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const store = openSqliteStore(join(dir, 'baton.db'), { synchronous: SYNC });
  await store.migrate();
  const proc = processOnStore({ mode: 'embedded', store, dataDir: dir, slots: concurrency });
  const engine = proc.engine();
  const spec = compileWorkflow({ name: 'bench', concurrency, steps }, { baseDir: dir });
  const t0 = performance.now();
  const run = await engine.startRun(spec, workflowVersion(spec));
  const res = await run.result;
  const ms = performance.now() - t0;
  if (res.state !== 'succeeded') throw new Error(`bench run ${res.state}`);
  // Closes the engine and, with traces, exports the last spans (not timed).
  await proc.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const independent = (n) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: noop }));
const chain = (n) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: noop, ...(i ? { needs: [`s${i - 1}`] } : {}) }));
const fanout = (n) => [
  { id: 'start', uses: noop },
  ...Array.from({ length: n }, (_, i) => ({ id: `m${i}`, uses: noop, needs: ['start'] })),
  { id: 'end', uses: noop, needs: Array.from({ length: n }, (_, i) => `m${i}`) },
];

/** Spawns `true` n times with `inFlight` at once; returns wall ms. */
function rawSpawn(n, inFlight) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let started = 0;
    let done = 0;
    const next = () => {
      if (started >= n) return;
      started++;
      const c = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      c.on('error', reject);
      c.on('close', () => {
        done++;
        if (done === n) resolve(performance.now() - t0);
        else next();
      });
    };
    for (let i = 0; i < inFlight; i++) next();
  });
}

const rows = [];
const report = (name, value, unit, note = '') => {
  rows.push({ name, value, unit, note });
  console.log(`${name.padEnd(48)} ${String(value).padStart(12)} ${unit.padEnd(10)} ${note}`);
};

let sink;
if (flag('otlp')) {
  sink = spawn(process.execPath, [fileURLToPath(new URL('./otlp-sink.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(/listening (\d+)/.exec(String(d))[1])));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
}
const traced = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? `traces to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}` : 'no traces';
console.log(`baton bench: ${ROUNDS} rounds, medians; SQLite synchronous=${SYNC}; ${traced}; node ${process.version}\n`);

if (ONLY.includes('steps')) {
  const n = 10_000;
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) ms.push(await timeRun(independent(n)));
  report(`${fmt(n)} independent no-op handler steps`, fmt((n / median(ms)) * 1000), 'steps/s', `(min-max ${fmt((n / Math.max(...ms)) * 1000)}-${fmt((n / Math.min(...ms)) * 1000)})`);
}
if (ONLY.includes('map')) {
  // One step mapped over 10,000 items against 10,000 independent steps, alternated in the same
  // rounds: the expansion and the item bookkeeping should cost what independent steps do.
  const n = 10_000;
  const mapped = [
    { id: 'list', uses: () => ({ items: Array.from({ length: n }, (_, i) => i) }) },
    { id: 'each', needs: ['list'], uses: noop, with: { n: '${{ item }}' }, map: { items: '${{ steps.list.output.items }}' } },
  ];
  const ms = [];
  const base = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await timeRun(independent(n)));
    ms.push(await timeRun(mapped));
  }
  report(`1 step mapped over ${fmt(n)} items (no-op handler)`, fmt((n / median(ms)) * 1000), 'items/s',
    `(independent steps in the same rounds: ${fmt((n / median(base)) * 1000)} steps/s; ratio ${fmt(median(base) / median(ms), 2)})`);
}
if (ONLY.includes('chain')) {
  const n = 1_000;
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) ms.push(await timeRun(chain(n)));
  report(`${fmt(n)}-step chain`, fmt(median(ms) / n, 3), 'ms/step', `(min-max ${fmt(Math.min(...ms) / n, 3)}-${fmt(Math.max(...ms) / n, 3)})`);
}
if (ONLY.includes('fanout')) {
  const n = 5_000;
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) ms.push(await timeRun(fanout(n)));
  report(`fan-out/fan-in 1 -> ${fmt(n)} -> 1`, fmt(((n + 2) / median(ms)) * 1000), 'steps/s', `(${fmt(median(ms))} ms per run)`);
}
if (ONLY.includes('shell')) {
  const n = 500;
  const inFlight = 8;
  const baton = [];
  const raw = [];
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await rawSpawn(n, inFlight);
    const b = await timeRun(Array.from({ length: n }, (_, i) => ({ id: `t${i}`, run: 'true' })), { concurrency: inFlight });
    raw.push(a);
    baton.push(b);
    ratios.push(b / a);
  }
  report(`${n} 'true' shell steps, ${inFlight} at once`, fmt(median(baton) / n, 3), 'ms/step', `raw spawn ${fmt(median(raw) / n, 3)} ms; ratio ${fmt(median(ratios), 2)}x (same-round median)`);
}
if (ONLY.includes('startup')) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
  const mark = join(dir, 'mark');
  writeFileSync(join(dir, 'first.yaml'), `name: first\nsteps:\n  - id: first\n    run: date +%s%N > "$MARK"\n`);
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) {
    // The step writes the wall clock in ns when it starts; compare with the clock at spawn.
    const t0ns = BigInt(Date.now()) * 1_000_000n;
    spawnSync(process.execPath, [BIN, 'run', join(dir, 'first.yaml'), '--quiet', '--db', join(dir, `b${r}.db`)], {
      env: { ...process.env, MARK: mark },
      stdio: 'ignore',
    });
    const started = BigInt(readFileSync(mark, 'utf8').trim());
    ms.push(Number(started - t0ns) / 1e6);
  }
  rmSync(dir, { recursive: true, force: true });
  report('baton run -> first step started', fmt(median(ms), 0), 'ms', `(min-max ${fmt(Math.min(...ms))}-${fmt(Math.max(...ms))})`);
}
if (ONLY.includes('rss')) {
  // A fresh process so the peak belongs to this workflow alone.
  const n = 100_000;
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./rss.js', import.meta.url)), String(n)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  const { ms, maxRssBytes } = JSON.parse(child.stdout);
  report(`${fmt(n)}-step workflow: peak RSS`, fmt(maxRssBytes / 2 ** 20), 'MiB', `(completed in ${fmt(ms / 1000, 1)} s, ${fmt((n / ms) * 1000)} steps/s)`);
}

if (ONLY.includes('handlers')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./handlers.js', import.meta.url)), '--rounds', String(Math.min(ROUNDS, 3))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/handlers.js exited ${r.status}`);
}

if (ONLY.includes('makespan')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./makespan.js', import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}

if (ONLY.includes('eta')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./eta.js', import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/eta.js exited ${r.status}`);
}

if (ONLY.includes('fleet')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./fleet.js', import.meta.url)), '--rounds', String(ROUNDS)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/fleet.js exited ${r.status}`);
}

if (ONLY.includes('alerts')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./alerts.js', import.meta.url)), '--rounds', String(Math.min(ROUNDS, 3))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/alerts.js exited ${r.status}`);
}

if (ONLY.includes('api')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./api.js', import.meta.url)), '--rounds', String(Math.min(ROUNDS, 3))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/api.js exited ${r.status}`);
}

if (ONLY.includes('web')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./web.js', import.meta.url)), '--rounds', String(ROUNDS)], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/web.js exited ${r.status}`);
}

if (ONLY.includes('forecast')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./forecast.js', import.meta.url))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/forecast.js exited ${r.status}`);
}

if (ONLY.includes('prune')) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./prune.js', import.meta.url)), '--rounds', String(Math.min(ROUNDS, 3))], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench/prune.js exited ${r.status}`);
}

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));

if (sink) {
  const counted = new Promise((resolve) => sink.stdout.on('data', (d) => {
    const m = /spans (\d+)/.exec(String(d));
    if (m) resolve(Number(m[1]));
  }));
  sink.kill('SIGTERM');
  console.log(`\nOTLP receiver: ${fmt(await counted)} spans received`);
}
