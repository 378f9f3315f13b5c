#!/usr/bin/env node
// Retention must never block the engine: the step latency p99 of a run while a retention
// pass prunes 1,000,000 old events, against the same run without it. Prints both, their
// ratio, and how fast the pass deleted (medians of several rounds, each on a freshly seeded
// store).
//
// Usage: node bench/prune.js [--rounds 3] [--stores sqlite,postgres] [--events 1000000]
//          [--per-run 100] [--steps 100000 on SQLite, 20000 on PostgreSQL] [--batch 200] [--pause 20] [--idle 9]
//          [--phase 250] [--settle 50] [--design interleaved|sequential] [--none]
//          [--url postgres://postgres@127.0.0.1:5432/baton_bench_prune] [--keep-db]
// The workload is a chain of --steps no-op handler steps (each starts when the one before
// ended), so a step's latency is the time between two consecutive step starts: the
// completion's commit, the next step's readiness and its attempt's commit. The pass is the
// server's (Pruner with --batch/--pause/--idle, the serve() defaults). Alone and beside it
// are measured in one run, in turns: the pass is let through for --phase ms, then held back
// (between two batches) for --phase ms, and so on, so both sides see the same machine even
// when what else runs on it changes; steps that started within --settle ms after a turn
// count for neither side. The seed: --events / --per-run finished runs that ended 60 days
// ago, each with one step run, one attempt and --per-run events, bulk inserted. The
// PostgreSQL database in --url is created if missing and dropped at the end.
// --design sequential: a run alone, a run beside a pass, a run alone again (see sequential()).
// --none: the same turns beside a pass that deletes nothing, the method's noise floor.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { compileWorkflow, createEngine, openPostgresStore, openSqliteStore, workflowVersion } from '../dist/index.js';
import { Pruner } from '../dist/observe/index.js';
import { flag, fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const STORES = opt('stores', 'sqlite,postgres').split(',');
const EVENTS = Number(opt('events', 1_000_000));
const PER_RUN = Number(opt('per-run', 100));
/** Steps per round, by store: enough for a PostgreSQL chain (~2 ms a step) or an SQLite one (~0.1 ms) to run beside the pass for a while. */
const STEPS_OF = { sqlite: Number(opt('steps', 100_000)), postgres: Number(opt('steps', 20_000)) };
const BATCH = Number(opt('batch', 200));
const PAUSE = Number(opt('pause', 20));
const IDLE = Number(opt('idle', 9));
const PHASE = Number(opt('phase', 250));
const SETTLE = Number(opt('settle', 50));
const DESIGN = opt('design', 'interleaved');
const NONE = flag('none');
const URL_ = opt('url', process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/baton_bench_prune');
const DAY = 86_400_000;

const p99 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)];
};

// ---------------------------------------------------------------- seeding

const OLD = { version: 'vold', name: 'bench-old' };
const definition = (name) => ({ name, params: {}, concurrency: 1, retry: { attempts: 1, backoff: 'fixed', delayMs: 0, factor: 2, maxDelayMs: 0, jitter: 0 }, pools: {}, env: {}, schedules: [], steps: [], baseDir: '/' });

function seedSqlite(path, runs, at) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const run = db.prepare(`INSERT INTO runs (id, workflow, version, state, trigger, params, priority, step_count, created_at, started_at, ended_at)
    VALUES (?, ?, ?, 'succeeded', 'manual', '{}', 0, 1, ?, ?, ?)`);
  const step = db.prepare("INSERT INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts, started_at, ended_at) VALUES (?, 's', 0, 'succeeded', 1, 0, ?, ?)");
  const attempt = db.prepare("INSERT INTO attempts (id, run_id, step_id, number, state, started_at, ended_at) VALUES (?, ?, 's', 1, 'succeeded', ?, ?)");
  const event = db.prepare("INSERT INTO events (run_id, step_id, type, to_state, at) VALUES (?, 's', 'step', 'succeeded', ?)");
  db.transaction(() => {
    for (let i = 0; i < runs; i++) {
      const id = `old${String(i).padStart(7, '0')}`;
      run.run(id, OLD.name, OLD.version, at, at, at + 1000 + i);
      step.run(id, at, at + 1);
      attempt.run(`${id}.s.1`, id, at, at + 1);
      for (let e = 0; e < PER_RUN; e++) event.run(id, at);
    }
  })();
  db.close();
}

async function seedPostgres(pool, runs, at) {
  const id = "'old' || lpad(g::text, 7, '0')";
  await pool.query(`INSERT INTO runs (id, workflow, version, state, trigger, params, priority, step_count, created_at, started_at, ended_at)
    SELECT ${id}, $1, $2, 'succeeded', 'manual', '{}', 0, 1, $3::bigint, $3::bigint, $3::bigint + 1000 + g FROM generate_series(0, $4 - 1) g`, [OLD.name, OLD.version, at, runs]);
  await pool.query(`INSERT INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts, started_at, ended_at)
    SELECT ${id}, 's', 0, 'succeeded', 1, 0, $1::bigint, $1::bigint + 1 FROM generate_series(0, $2 - 1) g`, [at, runs]);
  await pool.query(`INSERT INTO attempts (id, run_id, step_id, number, state, started_at, ended_at)
    SELECT ${id} || '.s.1', ${id}, 's', 1, 'succeeded', $1::bigint, $1::bigint + 1 FROM generate_series(0, $2 - 1) g`, [at, runs]);
  await pool.query(`INSERT INTO events (run_id, step_id, type, to_state, at)
    SELECT 'old' || lpad((g / $3)::text, 7, '0'), 's', 'step', 'succeeded', $1::bigint FROM generate_series(0, $2 - 1) g`, [at, runs * PER_RUN, PER_RUN]);
  await pool.query('VACUUM ANALYZE');
}

// ---------------------------------------------------------------- one round

/** A pass that only waits, as a Pruner between batches does, and deletes nothing. */
function idlePass() {
  const counts = { runs: { runs: 0, stepRuns: 0, attempts: 0, events: 0, batchGroups: 0, logFiles: 0, webhookDeliveries: 0 }, events: 0, logs: 0, extra: {} };
  return {
    async prune(_now, keepGoing) {
      const t = performance.now();
      while (await keepGoing()) await new Promise((r) => setTimeout(r, PAUSE));
      return { counts, elapsedMs: performance.now() - t, batches: 0, warnings: [] };
    },
  };
}

/** Most steps in one workflow (the validation bound): longer chains are several runs in a row. */
const MAX_STEPS = 10_000;

/**
 * Runs chains of `n` steps in all (runs of at most MAX_STEPS, one after another) on `store`.
 * Returns each run's step starts (performance.now()).
 */
async function chain(store, dir, n) {
  const engine = createEngine({ store, dataDir: dir, slots: 256 });
  const runs = [];
  for (let left = n; left > 0; left -= MAX_STEPS) {
    const marks = [];
    const mark = () => {
      marks.push(performance.now());
      return null;
    };
    const size = Math.min(left, MAX_STEPS);
    const steps = Array.from({ length: size }, (_, i) => ({ id: `s${i}`, uses: mark, ...(i ? { needs: [`s${i - 1}`] } : {}) }));
    const spec = compileWorkflow({ name: 'bench-chain', concurrency: 4, steps }, { baseDir: dir });
    const run = await engine.startRun(spec, workflowVersion(spec));
    const res = await run.result;
    if (res.state !== 'succeeded') throw new Error(`bench run ${res.state}`);
    runs.push(marks);
  }
  await engine.close();
  return runs;
}

/** Latencies within each run: from one step's start to the next one's. */
const gaps = (runs) => runs.flatMap((marks) => marks.slice(1).map((t, i) => t - marks[i]));

async function round(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-prune-'));
  let store;
  let pool;
  const now = Date.now();
  const runs = Math.ceil(EVENTS / PER_RUN);
  const t0 = performance.now();
  if (kind === 'sqlite') {
    const path = join(dir, 'baton.db');
    store = openSqliteStore(path);
    await store.migrate();
    await store.saveWorkflow({ ...OLD, definition: definition(OLD.name), createdAt: now - 90 * DAY });
    await store.close();
    seedSqlite(path, runs, now - 60 * DAY);
    store = openSqliteStore(path);
  } else {
    await resetPostgres();
    store = openPostgresStore(URL_, { max: 10 });
    await store.migrate();
    await store.saveWorkflow({ ...OLD, definition: definition(OLD.name), createdAt: now - 90 * DAY });
    pool = new pg.Pool({ connectionString: URL_, max: 2 });
    await seedPostgres(pool, runs, now - 60 * DAY);
    await pool.query('CHECKPOINT');
  }
  const seedMs = performance.now() - t0;
  try {
    await chain(store, dir, 500); // warm-up: JIT, statement caches, pages
    if (DESIGN === 'sequential') return { seedMs, ...(await sequential(store, dir, now, STEPS_OF[kind])) };
    // One chain; the pass is let through and held back in turns of PHASE ms, so both sides
    // see the same machine (whatever else it runs changes slowly next to a phase).
    let on = false;
    let stop = false;
    const phases = [];
    const flip = () => {
      on = !on;
      phases.push({ at: performance.now(), on });
    };
    flip();
    const timer = setInterval(flip, PHASE);
    // --none: the same turns with a pass that touches nothing: what the method reads as a
    // difference when there is none (its noise floor).
    const pruner = NONE ? idlePass() : new Pruner({ store, dataDir: dir, batchSize: BATCH, pauseMs: PAUSE, idleRatio: IDLE });
    let busyMs = 0;
    const pass = pruner.prune(now, async () => {
      const t = performance.now();
      while (!on && !stop) await new Promise((r) => setTimeout(r, 2));
      busyMs -= performance.now() - t;
      return !stop;
    });
    const started = performance.now();
    const runsMarks = await chain(store, dir, STEPS_OF[kind]);
    const ended = performance.now();
    clearInterval(timer);
    stop = true;
    const report = await pass;
    busyMs += report.elapsedMs;
    if (report.elapsedMs < ended - started - 1000) console.log(`  (the pass ended before the run: ${fmt(report.elapsedMs)} ms of ${fmt(ended - started)} ms)`);
    // A step's latency: from the start of the step before to its own start. Steps that began
    // within SETTLE ms after a flip are left out: a batch in flight belongs to neither side.
    const lat = { on: [], off: [] };
    for (const marks of runsMarks) {
      let k = 0;
      for (let i = 1; i < marks.length; i++) {
        while (k + 1 < phases.length && phases[k + 1].at <= marks[i - 1]) k++;
        const phase = phases[k];
        const next = phases[k + 1];
        if (marks[i - 1] - phase.at < SETTLE || (next && marks[i] > next.at)) continue;
        lat[phase.on ? 'on' : 'off'].push(marks[i] - marks[i - 1]);
      }
    }
    const deleted = report.counts.runs.events;
    return {
      seedMs, base: p99(lat.off), during: p99(lat.on), baseMedian: median(lat.off), duringMedian: median(lat.on),
      samples: [lat.off.length, lat.on.length], deleted, rate: deleted / (busyMs / 1000), load: loadavg()[0],
    };
  } finally {
    await store.close();
    await pool?.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The other design: a run alone, then a run beside a pass started just before it (and
 * stopped when it ends), then a run alone again; alone is the runs before and after
 * together. What a pass leaves behind (PostgreSQL's autovacuum of the deleted rows, more WAL
 * to flush) weighs on the run after it; a machine whose load drifts weighs on all three.
 */
async function sequential(store, dir, now, steps) {
  const before = gaps(await chain(store, dir, steps));
  let stop = false;
  const pruner = new Pruner({ store, dataDir: dir, batchSize: BATCH, pauseMs: PAUSE, idleRatio: IDLE });
  const pass = pruner.prune(now, () => !stop);
  const during = gaps(await chain(store, dir, steps));
  stop = true;
  const report = await pass;
  const after = gaps(await chain(store, dir, steps));
  const alone = [...before, ...after];
  const deleted = report.counts.runs.events;
  return {
    base: p99(alone), during: p99(during), baseMedian: median(alone), duringMedian: median(during),
    samples: [alone.length, during.length], deleted, rate: deleted / (report.elapsedMs / 1000), load: loadavg()[0],
  };
}

// ---------------------------------------------------------------- PostgreSQL database

const dbName = new URL(URL_).pathname.slice(1);
const adminUrl = Object.assign(new URL(URL_), { pathname: '/postgres' }).href;
async function admin(sql) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
async function resetPostgres() {
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${dbName}`);
}

// ---------------------------------------------------------------- main

console.log(`baton prune bench (${DESIGN}${NONE ? ', a pass that deletes nothing' : ''}): ${ROUNDS} rounds, medians; ${fmt(EVENTS)} old events (${fmt(PER_RUN)} per run), chains of ${fmt(STEPS_OF.sqlite)} (SQLite) and ${fmt(STEPS_OF.postgres)} (PostgreSQL) steps; batch ${BATCH}, pause ${PAUSE} ms, idle ratio ${IDLE}; node ${process.version}\n`);
for (const kind of STORES) {
  const rs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const x = await round(kind);
    rs.push(x);
    console.log(`  ${kind} round ${r + 1} (load average ${fmt(x.load, 1)}): seeded in ${fmt(x.seedMs / 1000, 1)} s; step p99 ${fmt(x.base, 3)} ms alone (median ${fmt(x.baseMedian, 3)}, ${fmt(x.samples[0])} steps), ${fmt(x.during, 3)} ms while pruning (median ${fmt(x.duringMedian, 3)}, ${fmt(x.samples[1])} steps): ${fmt(x.during / x.base, 2)}x; the pass deleted ${fmt(x.deleted)} events, ${fmt(x.rate)} events/s while let through`);
  }
  const ratios = rs.map((x) => x.during / x.base);
  console.log(`${kind.padEnd(10)} step latency p99: ${fmt(median(rs.map((x) => x.base)), 3)} ms alone, ${fmt(median(rs.map((x) => x.during)), 3)} ms while pruning; ratio ${fmt(median(ratios), 2)}x (median of same-round ratios ${ratios.map((x) => fmt(x, 2)).join(', ')}); median step ${fmt(median(rs.map((x) => x.baseMedian)), 3)} ms; pruning ${fmt(median(rs.map((x) => x.rate)))} events/s\n`);
}
if (STORES.includes('postgres') && !flag('keep-db')) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
