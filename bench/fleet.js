#!/usr/bin/env node
// baton fleet benchmarks (PostgreSQL): a coordinator engine in this process publishes
// attempts; worker *processes* (bench/fleet-worker.js, `createWorker`) claim and run them.
// Prints figures (medians of several rounds, ratios from the same round), not pass/fail.
//
// Usage: node bench/fleet.js [--rounds 3] [--only tp,lat,floor,peers] [--workers 1,2,4]
//          [--slots 16,128] [--n 10000] [--samples 200] [--url postgres://postgres@127.0.0.1:5432/baton_bench]
//          [--peers /tmp/peers] [--profile] [--keep-db] [--log-lines 3] [--ship off,on]
// The database named in --url is created if missing and dropped at the end (unless --keep-db).
// Peers: graphile.mjs from ../shared/peers run from --peers, a scratch folder outside the
// repo with `npm install graphile-worker@0.17.3 pg` done in it; skipped when absent.
// --slots: slots per worker; throughput is measured for each. The run's concurrency and the
// coordinator's slots are twice the fleet's slots (at least 256), so claimable attempts wait
// for every slot that frees: more slots per worker means more attempts per claim statement.
// --log-lines K: each step logs K lines (`ctx.log.info`, ~60 bytes each) instead of nothing.
// --ship off,on: measure throughput with the workers shipping attempt logs to the store
// (`store.logs`, as `baton worker` does) and without (logs in local files only), same round.
// --profile: also counts/times every statement in the coordinator and the workers and
// prints where one 4-worker run spends its round trips (slower; not used for the figures).
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { compileWorkflow, createEngine, openPostgresStore, workflowVersion } from '../dist/index.js';
import { openFleetStore } from '../dist/store/index.js';
import { profileQueries } from './pg-profile.js';
import { flag, fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const ONLY = opt('only', 'tp,lat,floor,peers').split(',');
const WORKERS = opt('workers', '1,2,4').split(',').map(Number);
const N = Number(opt('n', 10_000));
const SAMPLES = Number(opt('samples', 200));
const SLOTS = opt('slots', '16,128').split(',').map(Number);
const URL_ = opt('url', process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/baton_bench');
const PEERS = opt('peers', '/tmp/peers');
const PROFILE = flag('profile');
const LOG_LINES = Number(opt('log-lines', 0));
const SHIPS = opt('ship', 'off').split(',');
const WORKER_JS = fileURLToPath(new URL('./fleet-worker.js', import.meta.url));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wall = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- database

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
const db = new pg.Pool({ connectionString: URL_, max: 2 });
const one = async (sql, v) => (await db.query(sql, v)).rows[0];

async function resetBaton() {
  const { rows } = await db.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'
    AND tablename NOT IN ('schema_migrations', 'claim_jobs')`);
  if (rows.length) await db.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')}`);
  await db.query('VACUUM ANALYZE');
}

/** CPU ms of every postgres process on the machine (server and backends), from /proc. */
function postgresCpuMs() {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      if (!st.slice(st.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const f = st.slice(close + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ = 100
}
const xactCommits = async () => Number((await one('SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()')).n);
const walBytes = async () => Number((await one("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS n")).n);

// ---------------------------------------------------------------- workers

function startWorkers(n, slots, env = {}) {
  return Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const child = fork(WORKER_JS, [URL_, String(slots)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
    const waiters = [];
    child.on('message', (m) => {
      if (m.ready) resolve(w);
      else waiters.shift()?.(m);
    });
    child.on('error', reject);
    child.on('exit', (code) => code && reject(new Error(`worker exited ${code}`)));
    const w = {
      child,
      ask: (msg) => new Promise((r) => {
        waiters.push(r);
        child.send(msg);
      }),
    };
  })));
}
const stopWorkers = (ws) => Promise.all(ws.map((w) => w.ask('stop')));

// ---------------------------------------------------------------- our engine

const handlersDir = mkdtempSync(join(tmpdir(), 'baton-fleet-bench-'));
writeFileSync(join(handlersDir, 'noop.mjs'), `export function noop() {}
export function stamp() { return { t: performance.timeOrigin + performance.now() }; }
export function talk(ctx) { for (let i = 0; i < ${LOG_LINES}; i++) ctx.log.info('step line', { i, step: ctx.step.id }); }
`);

async function coordinator(slots = 256) {
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-fleet-data-'));
  const store = openPostgresStore(URL_);
  await store.migrate();
  const fleet = openFleetStore(URL_);
  const engine = createEngine({ store, dataDir, fleet, slots });
  return {
    engine, fleet,
    close: async () => {
      await engine.close();
      await fleet.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const workflow = (steps, concurrency = 256) => {
  const spec = compileWorkflow({ name: 'fleet-bench', concurrency, steps }, { baseDir: handlersDir });
  return { spec, version: workflowVersion(spec) };
};

/** Attempts out at once for `nw` workers of `slots` slots: twice the fleet's slots, at least 256. */
const inFlight = (nw, slots) => Math.max(256, 2 * nw * slots);

/** steps/s of N independent no-op handler steps on `nw` worker processes of `slots` slots. */
async function throughput(nw, slots, { profile = false, ship = 'off' } = {}) {
  await resetBaton();
  const ws = await startWorkers(nw, slots, { ...(profile ? { BENCH_FLEET_PROFILE: '1' } : {}), ...(ship === 'on' ? { BENCH_FLEET_SHIP: '1' } : {}) });
  const prof = profile ? profileQueries() : undefined;
  const c = await coordinator(inFlight(nw, slots));
  const handler = LOG_LINES > 0 ? './noop.mjs#talk' : './noop.mjs#noop';
  const { spec, version } = workflow(Array.from({ length: N }, (_, i) => ({ id: `s${i}`, uses: handler, inline: true })), inFlight(nw, slots));
  await Promise.all(ws.map((w) => w.ask('mark')));
  prof?.reset();
  const [x0, wal0, pgCpu0, cpu0] = [await xactCommits(), await walBytes(), postgresCpuMs(), process.cpuUsage()];
  const t0 = performance.now();
  const run = await c.engine.startRun(spec, version);
  const res = await run.result;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const pgCpu = postgresCpuMs() - pgCpu0;
  const [x1, wal1] = [await xactCommits(), await walBytes()];
  const reports = (await Promise.all(ws.map((w) => w.ask('report')))).map((m) => m.report);
  const coordQueries = prof?.snapshot();
  prof?.restore();
  await c.close();
  await stopWorkers(ws);
  for (const r of reports) if (r.errors.length) console.error(`worker errors: ${r.errors.join('; ')}`);
  if (res.state !== 'succeeded') throw new Error(`fleet run ${res.state} ${res.reason ?? ''}`);
  return {
    ms, stepsPerS: (N / ms) * 1000,
    cpu: { coordinatorMs: (cpu.user + cpu.system) / 1000, workersMs: reports.reduce((a, r) => a + r.cpuMs, 0), postgresMs: pgCpu },
    commitsPerStep: (x1 - x0) / N, walBytesPerStep: (wal1 - wal0) / N,
    ...(profile ? { coordQueries, workerQueries: reports.map((r) => r.queries) } : {}),
  };
}

/**
 * Submit-to-start latency on an idle fleet of `nw` workers: (a) from engine.startRun of a
 * one-step run to the handler's first line; (b) from fleet.enqueueAttempts of one attempt
 * (no engine in the path) to the handler's first line. Wall clocks of one machine.
 */
async function latency(nw) {
  await resetBaton();
  const ws = await startWorkers(nw, SLOTS[0]);
  const c = await coordinator();
  const { spec, version } = workflow([{ id: 's0', uses: './noop.mjs#stamp' }]);
  const warm = 5;
  const runT0 = new Map();
  const e2e = [];
  for (let i = 0; i < SAMPLES + warm; i++) {
    const t0 = wall();
    const run = await c.engine.startRun(spec, version);
    runT0.set(run.id, { t0, keep: i >= warm });
    const r = await run.result;
    if (r.state !== 'succeeded') throw new Error(`latency run ${r.state}`);
    if (i >= warm) e2e.push(wall() - t0);
    await sleep(10);
  }
  const { rows } = await db.query("SELECT run_id, output FROM attempts WHERE run_id = ANY($1) AND state = 'succeeded'", [[...runT0.keys()]]);
  const viaRun = rows.filter((r) => runT0.get(r.run_id).keep).map((r) => r.output.t - runT0.get(r.run_id).t0);

  // (b) publish one attempt directly, reusing a stored task with a fresh attempt id.
  const base = (await db.query("SELECT run_id, task FROM attempts WHERE state = 'succeeded' LIMIT 1")).rows[0];
  const viaPublish = [];
  for (let i = 0; i < SAMPLES + warm; i++) {
    const id = `${base.run_id}.s0.${1000 + i}`;
    const task = { ...base.task, attemptId: id, attempt: 1000 + i };
    const t0 = wall();
    await c.fleet.enqueueAttempts([{ id, runId: base.run_id, stepId: 's0', number: 1000 + i, startedAt: Date.now(), priority: 0, task, logPath: task.logPath }]);
    let out;
    for (let k = 0; k < 2000 && !out; k++) {
      await sleep(1);
      out = (await one("SELECT output FROM attempts WHERE id = $1 AND state = 'succeeded'", [id]))?.output;
    }
    if (!out) throw new Error(`attempt ${id} did not complete`);
    if (i >= warm) viaPublish.push(out.t - t0);
    await sleep(10);
  }
  await c.close();
  await stopWorkers(ws);
  return {
    run: { p50: pct(viaRun, 50), p99: pct(viaRun, 99), n: viaRun.length },
    publish: { p50: pct(viaPublish, 50), p99: pct(viaPublish, 99), n: viaPublish.length },
    e2e: { p50: pct(e2e, 50), p99: pct(e2e, 99) },
  };
}

// ---------------------------------------------------------------- floor (as ../shared/peers/floors.mjs)

const CLAIM = `update claim_jobs set state = 'running', locked_by = $1, locked_at = now()
  where id = (select id from claim_jobs where state = 'queued' order by id limit 1 for update skip locked)
  returning id`;

/**
 * `conns` connections claim N rows one statement at a time. `notify`: each claim also
 * `pg_notify`s a channel that `listeners` other connections LISTEN on (as each baton
 * completion NOTIFYs `baton_done` while the coordinator and every worker listen).
 */
async function pgClaim(conns, { notify = false, listeners = 0 } = {}) {
  await db.query('drop table if exists claim_jobs');
  await db.query(`create table claim_jobs (id bigserial primary key, state text not null default 'queued',
    payload jsonb not null default '{}', locked_by text, locked_at timestamptz)`);
  await db.query("create index claim_jobs_queued on claim_jobs (id) where state = 'queued'");
  await db.query(`insert into claim_jobs (payload) select jsonb_build_object('i', g) from generate_series(1, ${N}) g`);
  await db.query('vacuum analyze claim_jobs');
  const clients = [];
  for (let k = 0; k < conns; k++) {
    const cl = new pg.Client({ connectionString: URL_ });
    await cl.connect();
    clients.push(cl);
  }
  const ls = [];
  let heard = 0;
  for (let k = 0; k < listeners; k++) {
    const cl = new pg.Client({ connectionString: URL_ });
    await cl.connect();
    await cl.query(k === 0 ? 'LISTEN bench_done' : 'LISTEN bench_other');
    cl.on('notification', () => heard++);
    ls.push(cl);
  }
  const text = notify ? `WITH c AS (${CLAIM}) SELECT c.id, pg_notify('bench_done', c.id::text) FROM c` : CLAIM;
  let claimed = 0;
  const t0 = performance.now();
  await Promise.all(clients.map(async (cl, k) => {
    for (;;) {
      const r = await cl.query({ name: notify ? 'claim_notify' : 'claim', text, values: [`w${k}`] });
      if (r.rowCount === 0) break;
      claimed++;
    }
  }));
  const ms = performance.now() - t0;
  for (const cl of [...clients, ...ls]) await cl.end();
  await db.query('drop table claim_jobs');
  if (claimed !== N) throw new Error(`claimed ${claimed} of ${N}`);
  return (N / ms) * 1000;
}

// ---------------------------------------------------------------- peers

function graphile() {
  return new Promise((resolve) => {
    const script = join(PEERS, 'graphile.mjs');
    if (!existsSync(script) || !existsSync(join(PEERS, 'node_modules', 'graphile-worker'))) {
      resolve({ skipped: `no ${script} with graphile-worker installed` });
      return;
    }
    const child = spawn(process.execPath, [script], { cwd: PEERS, env: { ...process.env, BENCH_PG_URL: URL_, BENCH_N: String(N) } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) return resolve({ skipped: `graphile.mjs exited ${code}: ${err.slice(-300)}` });
      const m = Object.fromEntries(out.trim().split('\n').map((l) => JSON.parse(l)).map((j) => [j.metric, j.value]));
      resolve({
        c1: m['drain_jobs_per_s c=1'], c16: m['drain_jobs_per_s c=16'],
        tuned: m['drain_jobs_per_s c=16 localQueue=500 completeJobBatchDelay=0'],
        p50: m.latency_p50_ms, p99: m.latency_p99_ms,
      });
    });
  });
}

// ---------------------------------------------------------------- main

if (!(await admin(`SELECT 1 FROM pg_database WHERE datname = '${dbName}'`)).rowCount) await admin(`CREATE DATABASE "${dbName}"`);
{
  const s = openPostgresStore(URL_);
  await s.migrate();
  await s.close();
}
const version = (await one('SHOW server_version')).server_version;
console.log(`baton fleet bench: ${ROUNDS} rounds, medians; N=${fmt(N)}; ${SLOTS.join(' and ')} slots per worker; PostgreSQL ${version} at ${new URL(URL_).host}; node ${process.version}\n`);

const rounds = [];
const groups = ['tp', 'lat', 'floor', 'peers'].filter((g) => ONLY.includes(g));
for (let r = 0; r < ROUNDS; r++) {
  const R = { tp: {}, cpu: {}, commits: {}, wal: {} };
  // rotate the order each round, as ../shared/peers/run-all.mjs does
  for (const g of [...groups.slice(r % groups.length), ...groups.slice(0, r % groups.length)]) {
    if (g === 'tp') {
      for (const slots of SLOTS) for (const w of WORKERS) for (const ship of SHIPS) {
        const t = await throughput(w, slots, { ship });
        const k = `${w}x${slots}${ship === 'on' ? '+ship' : ''}`;
        R.tp[k] = t.stepsPerS;
        R.cpu[k] = t.cpu;
        R.commits[k] = t.commitsPerStep;
        R.wal[k] = t.walBytesPerStep;
        console.error(`  round ${r + 1}: ${w} worker(s) x ${slots} slots${ship === 'on' ? ', logs shipped' : ''} ${fmt(t.stepsPerS)} steps/s (${fmt(t.ms)} ms; CPU ms coordinator ${fmt(t.cpu.coordinatorMs)}, workers ${fmt(t.cpu.workersMs)}, postgres ${fmt(t.cpu.postgresMs)}; ${fmt(t.commitsPerStep, 2)} commits/step)`);
      }
    } else if (g === 'lat') {
      R.lat = await latency(1);
      console.error(`  round ${r + 1}: latency startRun->start p50 ${fmt(R.lat.run.p50, 2)} p99 ${fmt(R.lat.run.p99, 2)}; publish->start p50 ${fmt(R.lat.publish.p50, 2)} p99 ${fmt(R.lat.publish.p99, 2)} ms`);
    } else if (g === 'floor') {
      R.claim1 = await pgClaim(1);
      R.claim4 = await pgClaim(4);
      R.claim4n = await pgClaim(4, { notify: true, listeners: 5 });
      console.error(`  round ${r + 1}: PG claim 1 conn ${fmt(R.claim1)}/s, 4 conns ${fmt(R.claim4)}/s, 4 conns + NOTIFY ${fmt(R.claim4n)}/s`);
    } else if (g === 'peers') {
      R.graphile = await graphile();
      console.error(`  round ${r + 1}: graphile ${JSON.stringify(R.graphile)}`);
    }
  }
  rounds.push(R);
}

const rows = [];
const report = (name, value, unit, note = '') => {
  rows.push({ name, value, unit, note });
  console.log(`${name.padEnd(58)} ${String(value).padStart(14)} ${unit.padEnd(9)} ${note}`);
};
const col = (f) => rounds.map(f).filter((v) => v !== undefined && !Number.isNaN(v));
const mm = (xs, d = 0) => `${fmt(Math.min(...xs), d)}-${fmt(Math.max(...xs), d)}`;
console.log('');
if (groups.includes('tp')) {
  const what = LOG_LINES > 0 ? `handler steps logging ${LOG_LINES} lines` : 'no-op handler steps';
  for (const slots of SLOTS) for (const w of WORKERS) for (const ship of SHIPS) {
    const k = `${w}x${slots}${ship === 'on' ? '+ship' : ''}`;
    const xs = col((R) => R.tp[k]);
    const cpu = ['coordinatorMs', 'workersMs', 'postgresMs'].map((c) => median(col((R) => R.cpu[k][c])) / N * 1000);
    report(`${fmt(N)} ${what}, ${w} worker${w > 1 ? 's' : ''} x ${slots} slots${SHIPS.length > 1 || ship === 'on' ? (ship === 'on' ? ', shipped' : ', files only') : ''}`, fmt(median(xs)), 'steps/s',
      `(min-max ${mm(xs)}; CPU µs/step coord ${fmt(cpu[0])} + workers ${fmt(cpu[1])} + postgres ${fmt(cpu[2])}; ${fmt(median(col((R) => R.commits[k])), 2)} commits/step, ${fmt(median(col((R) => R.wal[k])))} WAL B/step; ${fmt(inFlight(w, slots))} out at once)`);
  }
}
if (groups.includes('lat')) {
  const a50 = col((R) => R.lat.run.p50); const a99 = col((R) => R.lat.run.p99);
  const b50 = col((R) => R.lat.publish.p50); const b99 = col((R) => R.lat.publish.p99);
  const e50 = col((R) => R.lat.e2e.p50);
  report(`submit->start, startRun of a 1-step run (1 idle worker)`, `${fmt(median(a50), 2)} / ${fmt(median(a99), 2)}`, 'ms p50/99', `(${SAMPLES} samples/round; p50 ${mm(a50, 2)}, p99 ${mm(a99, 2)}; run done p50 ${fmt(median(e50), 1)} ms)`);
  report(`submit->start, enqueueAttempts of 1 attempt (no engine)`, `${fmt(median(b50), 2)} / ${fmt(median(b99), 2)}`, 'ms p50/99', `(p50 ${mm(b50, 2)}, p99 ${mm(b99, 2)})`);
}
if (groups.includes('floor')) {
  const c1 = col((R) => R.claim1); const c4 = col((R) => R.claim4);
  report('floor: PG SKIP LOCKED claim, 1 connection', fmt(median(c1)), 'claims/s', `(min-max ${mm(c1)})`);
  report('floor: PG SKIP LOCKED claim, 4 connections', fmt(median(c4)), 'claims/s', `(min-max ${mm(c4)})`);
  const c4n = col((R) => R.claim4n);
  report('floor: same, 4 conns, + pg_notify each (5 listeners)', fmt(median(c4n)), 'claims/s', `(min-max ${mm(c4n)}; same-round ratio to plain ${fmt(median(col((R) => R.claim4n / R.claim4)), 2)}x)`);
}
if (groups.includes('peers')) {
  const g = rounds.map((R) => R.graphile).filter((x) => x && !x.skipped);
  if (!g.length) report('graphile-worker', 'skipped', '', rounds[0]?.graphile?.skipped ?? '');
  else {
    const c16 = g.map((x) => x.c16); const t = g.map((x) => x.tuned); const c1 = g.map((x) => x.c1);
    report('peer: graphile-worker drain, concurrency 1', fmt(median(c1)), 'jobs/s', `(min-max ${mm(c1)})`);
    report('peer: graphile-worker drain, concurrency 16', fmt(median(c16)), 'jobs/s', `(min-max ${mm(c16)})`);
    report('peer: graphile-worker c=16, localQueue 500, batch compl.', fmt(median(t)), 'jobs/s', `(min-max ${mm(t)})`);
    report('peer: graphile-worker submit->start (c=1)', `${fmt(median(g.map((x) => x.p50)), 2)} / ${fmt(median(g.map((x) => x.p99)), 2)}`, 'ms p50/99', '');
  }
}
// Same-round ratios.
const top = Math.max(...WORKERS);
if (groups.includes('tp') && SHIPS.includes('on') && SHIPS.includes('off')) {
  for (const slots of SLOTS) for (const w of WORKERS) {
    const r = col((R) => R.tp[`${w}x${slots}+ship`] / R.tp[`${w}x${slots}`]);
    report(`ratio: shipped / files only, ${w} worker${w > 1 ? 's' : ''} x ${slots} (same round)`, fmt(median(r), 2), 'x', `(min-max ${mm(r, 2)})`);
  }
}
if (groups.includes('tp') && groups.includes('floor')) {
  for (const slots of SLOTS) {
    const r4 = col((R) => R.tp[`${top}x${slots}`] / R.claim4); const r1 = col((R) => R.tp[`1x${slots}`] / R.claim1);
    report(`ratio: ${top} workers x ${slots} / PG claim floor 4 conns (same round)`, fmt(median(r4), 2), 'x', `(min-max ${mm(r4, 2)})`);
    if (WORKERS.includes(1)) report(`ratio: 1 worker x ${slots} / PG claim floor 1 conn (same round)`, fmt(median(r1), 2), 'x', `(min-max ${mm(r1, 2)})`);
  }
}
if (groups.includes('tp') && groups.includes('peers')) {
  const rg = col((R) => (R.graphile && !R.graphile.skipped ? R.tp[`${top}x${SLOTS[0]}`] / R.graphile.c16 : undefined));
  if (rg.length) report(`ratio: ${top} workers x ${SLOTS[0]} / graphile-worker c=16 (same round)`, fmt(median(rg), 2), 'x', `(min-max ${mm(rg, 2)})`);
}

if (PROFILE) {
  const slots = Math.max(...SLOTS);
  console.log(`\nprofile: one run of ${fmt(N)} steps on ${top} workers x ${slots} slots with every statement counted and timed (slower than above)`);
  const t = await throughput(top, slots, { profile: true });
  console.log(`  ${fmt(t.stepsPerS)} steps/s, ${fmt(t.ms)} ms; CPU ms: coordinator ${fmt(t.cpu.coordinatorMs)}, workers ${fmt(t.cpu.workersMs)}, postgres ${fmt(t.cpu.postgresMs)} (2 cores x ${fmt(t.ms)} ms = ${fmt(2 * t.ms)} available)`);
  const show = (who, q) => {
    for (const [k, s] of Object.entries(q).sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${who.padEnd(12)} ${k.padEnd(34)} ${fmt(s.n).padStart(7)} calls ${fmt(s.n / N, 3).padStart(7)}/step  ${fmt(s.ms / s.n, 2).padStart(7)} ms avg  ${fmt(s.ms).padStart(8)} ms total`);
    }
  };
  show('coordinator', t.coordQueries);
  const merged = {};
  for (const q of t.workerQueries) for (const [k, s] of Object.entries(q)) merged[k] = { n: (merged[k]?.n ?? 0) + s.n, ms: (merged[k]?.ms ?? 0) + s.ms };
  show('workers', merged);
}

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ rows, rounds }, null, 2));
await db.end();
rmSync(handlersDir, { recursive: true, force: true });
if (!flag('keep-db')) await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
