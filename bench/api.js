#!/usr/bin/env node
// baton HTTP API benchmark (SQLite): `POST /api/v1/runs` against a real `baton server`
// process on loopback, driven by autocannon from this process. The server also executes
// every run it accepts (one no-op handler step each), as it would in production.
// Prints medians of several rounds: latency p50/p99 at a fixed 500 requests/s (goal: p99 under
// 20 ms) beside the same server's GET /healthz at the same rate (the floor of this machine,
// Node's HTTP stack and autocannon), and the most run creations per second at 32 connections.
//
// Usage: node bench/api.js [--rounds 3] [--rate 500] [--seconds 10]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fmt, median, opt } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const RATE = Number(opt('rate', 500));
const SECONDS = Number(opt('seconds', 10));
const BIN = fileURLToPath(new URL('../bin/baton.js', import.meta.url));

/** Starts `baton server` on a fresh SQLite file; resolves with its URL, a token and a stop function. */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-api-'));
  const db = join(dir, 'data', 'baton.db');
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'noop.mjs'), 'export function noop() { return null; }\n');
  writeFileSync(join(flows, 'flow.yaml'), 'name: api-bench\nsteps:\n  - id: a\n    uses: ./noop.mjs#noop\n');
  const token = spawnSync(process.execPath, [BIN, '--db', db, 'token', 'create', '--role', 'operator'], { encoding: 'utf8' }).stdout.trim();
  const server = spawn(process.execPath, [BIN, '--db', db, 'server', '--port', '0', '--workflows', flows], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = /API listening on (http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`baton server exited ${code}: ${out}`)));
  });
  server.stdout.resume();
  return {
    url, token,
    async stop() {
      server.kill('SIGINT');
      await new Promise((r) => server.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function cannon(o) {
  return new Promise((resolve, reject) => {
    autocannon(o, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const request = (s) => ({
  url: `${s.url}/api/v1/runs`,
  method: 'POST',
  headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ workflow: 'api-bench' }),
});

const fixed = { p50: [], p99: [], errors: [] };
const floor = { p50: [], p99: [] };
const peak = [];
for (let round = 0; round < ROUNDS; round++) {
  const s = await startServer();
  try {
    await cannon({ ...request(s), connections: 10, amount: 500 }); // warm-up
    // The floor of this machine and HTTP stack in the same round: a route that does nothing.
    const h = await cannon({ url: `${s.url}/healthz`, connections: 16, overallRate: RATE, duration: SECONDS });
    floor.p50.push(h.latency.p50);
    floor.p99.push(h.latency.p99);
    const r = await cannon({ ...request(s), connections: 16, overallRate: RATE, duration: SECONDS });
    fixed.p50.push(r.latency.p50);
    fixed.p99.push(r.latency.p99);
    fixed.errors.push(r.non2xx + r.errors);
    const p = await cannon({ ...request(s), connections: 32, duration: 5 });
    peak.push(p.requests.average);
    process.stderr.write(`round ${round + 1}: ${RATE}/s p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms (${r.non2xx + r.errors} errors), /healthz p50 ${h.latency.p50} p99 ${h.latency.p99} ms; peak ${fmt(p.requests.average)} runs/s\n`);
  } finally {
    await s.stop();
  }
}
console.log(`\nHTTP API on SQLite (baton server process, autocannon on loopback, medians of ${ROUNDS} rounds)`);
console.log(`| figure | baton | same round | goal |`);
console.log(`| --- | --- | --- | --- |`);
console.log(`| POST /runs at ${RATE}/s for ${SECONDS} s: latency p50 / p99 | ${fmt(median(fixed.p50), 1)} / ${fmt(median(fixed.p99), 1)} ms (errors: ${median(fixed.errors)}) | GET /healthz at ${RATE}/s: ${fmt(median(floor.p50), 1)} / ${fmt(median(floor.p99), 1)} ms | p99 < 20 ms |`);
console.log(`| POST /runs, 32 connections: run creations/s | ${fmt(median(peak))} | | |`);
