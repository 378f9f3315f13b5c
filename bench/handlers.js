#!/usr/bin/env node
// Handler threads: what running `uses: ./file.ts#export` handlers in the worker-thread pool
// costs and buys, against `inline: true` (the engine's own thread). Two cases, each timed in
// the same round both ways, in-process on a fresh SQLite store, assembled as `baton run` does:
// - 10,000 independent no-op path handlers (slots 256): steps/s in threads vs inline.
// - a CPU-bound, forecast-like handler (Holt-Winters backtests, bench/forecast.js's code)
//   over many items, split into steps, at slots 2: wall time in 2 threads vs one at a time
//   on the engine's thread, and their ratio (about 0.5 on a machine with 2 free cores).
//
// Usage: npm run build && node bench/handlers.js [--rounds 3] [--steps 10000] [--items 48]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWorkflow, openSqliteStore, processOnStore, workflowVersion } from '../dist/index.js';
import { fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const STEPS = Number(opt('steps', 10_000));
const ITEMS = Number(opt('items', 48));
const CPU_STEPS = 8;
const SYNC = process.env.BATON_SQLITE_SYNCHRONOUS === 'full' ? 'full' : 'normal';
const HOLT_WINTERS = new URL('../dist/observe/forecast/holt-winters.js', import.meta.url).href;

const dir = mkdtempSync(join(tmpdir(), 'baton-bench-handlers-'));
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
writeFileSync(join(dir, 'noop.ts'), 'export function noop(): void {}\n');
writeFileSync(join(dir, 'forecast.ts'), `import { backtest } from ${JSON.stringify(HOLT_WINTERS)};
/** Backtests Holt-Winters on items from..to of seeded hourly series, 4 weeks each. */
export function forecast(ctx: { inputs: { from: number; to: number } }): number {
  let mae = 0;
  for (let item = ctx.inputs.from; item < ctx.inputs.to; item++) {
    let a = item + 1;
    const r = (): number => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const series = Array.from({ length: 4 * 168 }, (_, t) => 200 + 120 * Math.sin((2 * Math.PI * t) / 24) + 0.1 * t + 60 * (r() - 0.5));
    mae += backtest(series, 24, 24).holtWinters.mae;
  }
  return mae;
}
`);

/** Runs `steps` on a fresh store with `slots`; returns wall ms from start to result. */
async function timeRun(steps, slots) {
  const runDir = mkdtempSync(join(dir, 'run-'));
  const store = openSqliteStore(join(runDir, 'baton.db'), { synchronous: SYNC });
  await store.migrate();
  const proc = processOnStore({ mode: 'embedded', store, dataDir: runDir, slots });
  const engine = proc.engine();
  const spec = compileWorkflow({ name: 'bench', concurrency: slots, steps }, { baseDir: dir });
  // Threads start (and load tsx and the module) outside the timing, as in a process that ran
  // such handlers before: one for the no-ops; for the CPU case, slots of them (a task waiting
  // behind one that ran 25 ms makes the pool start the next).
  if (steps.some((s) => !s.inline)) {
    const warmSteps = steps[0].uses.startsWith('./forecast')
      ? Array.from({ length: slots }, (_, i) => ({ id: `w${i}`, uses: './forecast.ts#forecast', with: { from: 0, to: 2 } }))
      : [{ id: 'w', uses: './noop.ts#noop' }];
    const warm = compileWorkflow({ name: 'warm', steps: warmSteps }, { baseDir: dir });
    await (await engine.startRun(warm, workflowVersion(warm))).result;
    // The second thread may still be loading the module when the first finished both: once more.
    await (await engine.startRun(warm, workflowVersion(warm))).result;
  }
  const t0 = performance.now();
  const run = await engine.startRun(spec, workflowVersion(spec));
  const res = await run.result;
  const ms = performance.now() - t0;
  if (res.state !== 'succeeded') throw new Error(`bench run ${res.state}: ${JSON.stringify(await store.getAttempts(run.id).then((a) => a.find((x) => x.error)?.error))}`);
  await proc.close();
  await store.close();
  rmSync(runDir, { recursive: true, force: true });
  return ms;
}

const report = (name, value, unit, note = '') => console.log(`${name.padEnd(48)} ${String(value).padStart(12)} ${unit.padEnd(10)} ${note}`);

const noops = (inline) => Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, uses: './noop.ts#noop', ...(inline ? { inline: true } : {}) }));
const per = Math.ceil(ITEMS / CPU_STEPS);
const cpu = (inline) => Array.from({ length: CPU_STEPS }, (_, i) => ({
  id: `f${i}`, uses: './forecast.ts#forecast', with: { from: i * per, to: Math.min(ITEMS, (i + 1) * per) }, ...(inline ? { inline: true } : {}),
}));

try {
  const threads = [];
  const inline = [];
  for (let r = 0; r < ROUNDS; r++) {
    threads.push(await timeRun(noops(false), 256));
    inline.push(await timeRun(noops(true), 256));
  }
  const t = (STEPS / median(threads)) * 1000;
  const i = (STEPS / median(inline)) * 1000;
  report(`${fmt(STEPS)} no-op path handlers, threads`, fmt(t), 'steps/s', `(${fmt(median(threads))} ms)`);
  report(`${fmt(STEPS)} no-op path handlers, inline: true`, fmt(i), 'steps/s', `(${fmt(median(inline))} ms; threads cost ${fmt((median(threads) / median(inline) - 1) * 100, 0)} %)`);

  const pooled = [];
  const serial = [];
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = await timeRun(cpu(false), 2);
    const b = await timeRun(cpu(true), 2);
    pooled.push(a);
    serial.push(b);
    ratios.push(a / b);
  }
  report(`forecast handler, ${ITEMS} items in ${CPU_STEPS} steps, 2 threads`, fmt(median(pooled)), 'ms');
  report(`forecast handler, ${ITEMS} items, one at a time`, fmt(median(serial)), 'ms', `(inline: true; ratio ${fmt(median(ratios), 2)}, same-round median)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
