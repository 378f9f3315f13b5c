#!/usr/bin/env node
// baton HTTP API benchmark (SQLite): `POST /api/v1/runs` against a real `baton server`
// process on loopback, driven from this process by loadtest and autocannon. The server executes
// every run it accepts (one no-op handler step each), as it would in production.
// Prints medians of several rounds:
// - latency p50/p99 at a steady 500 requests/s (goal: p99 under 20 ms): an open-loop load
//   (loadtest's requestsPerSecond: one request every 2 ms, whether or not earlier ones were
//   answered), beside the same server's GET /healthz under the same load (the floor of this
//   machine, Node's HTTP stack and the load generator);
// - the same 500 requests/s as autocannon sends them (`overallRate`): each connection sends its
//   share of the second at once and then waits for the next second, so the server sees bursts of
//   500 requests in about a quarter of a second; kept beside the steady figure for comparison;
// - the most run creations per second at 32 connections (autocannon).
//
// Usage: node bench/api.js [--rounds 3] [--rate 500] [--seconds 10]
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadTest } from 'loadtest';
import { fmt, median, opt, startBatonServer } from './lib.js';

const ROUNDS = Number(opt('rounds', 3));
const RATE = Number(opt('rate', 500));
const SECONDS = Number(opt('seconds', 10));

/** Starts `baton server` on a fresh SQLite file; resolves with its URL, a token and a stop function. */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-api-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'noop.mjs'), 'export function noop() { return null; }\n');
  writeFileSync(join(flows, 'flow.yaml'), 'name: api-bench\nsteps:\n  - id: a\n    uses: ./noop.mjs#noop\n');
  return startBatonServer(dir, flows);
}

function cannon(o) {
  return new Promise((resolve, reject) => {
    autocannon(o, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * An open-loop load of `rate` requests/s for `seconds` (loadtest): a request is sent every
 * 1000/rate ms on a fresh or idle keep-alive connection, so a slow answer does not hold back the
 * next request. Latencies are each request's own, send to last byte, in whole ms (loadtest
 * truncates them).
 */
async function steady(o, rate, seconds) {
  const latencies = [];
  let errors = 0;
  await loadTest({
    url: o.url, method: o.method ?? 'GET', headers: o.headers ?? {}, ...(o.body ? { body: o.body, contentType: 'application/json' } : {}),
    requestsPerSecond: rate, maxSeconds: seconds, agentKeepAlive: true, quiet: true,
    statusCallback(err, res) {
      if (err || !res || res.statusCode >= 300) errors++;
      else latencies.push(res.requestElapsed);
    },
  });
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), errors };
}

/** Whole milliseconds as loadtest gives them: a value under 1 ms is printed as such, not as 0. */
const ms = (n) => (n < 1 ? '< 1' : fmt(n));

const request = (s) => ({
  url: `${s.url}/api/v1/runs`,
  method: 'POST',
  headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ workflow: 'api-bench' }),
});

const fixed = { p50: [], p99: [], errors: [] };
const floor = { p50: [], p99: [] };
const burst = { p50: [], p99: [] };
const peak = [];
for (let round = 0; round < ROUNDS; round++) {
  const s = await startServer();
  try {
    await cannon({ ...request(s), connections: 10, amount: 500 }); // warm-up
    // The floor of this machine, HTTP stack and load generator in the same round: a route that does nothing.
    const h = await steady({ url: `${s.url}/healthz` }, RATE, SECONDS);
    floor.p50.push(h.p50);
    floor.p99.push(h.p99);
    const r = await steady(request(s), RATE, SECONDS);
    fixed.p50.push(r.p50);
    fixed.p99.push(r.p99);
    fixed.errors.push(r.errors);
    const b = await cannon({ ...request(s), connections: 16, overallRate: RATE, duration: SECONDS });
    burst.p50.push(b.latency.p50);
    burst.p99.push(b.latency.p99);
    const p = await cannon({ ...request(s), connections: 32, duration: 5 });
    peak.push(p.requests.average);
    process.stderr.write(`round ${round + 1}: steady ${RATE}/s p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms (${r.errors} errors), /healthz p50 ${ms(h.p50)} p99 ${ms(h.p99)} ms; `
      + `bursts of ${RATE} each second p50 ${b.latency.p50} p99 ${b.latency.p99} ms; peak ${fmt(p.requests.average)} runs/s\n`);
  } finally {
    await s.stop();
  }
}
console.log(`\nHTTP API on SQLite (baton server process on loopback, medians of ${ROUNDS} rounds)`);
console.log(`| figure | baton | same round | goal |`);
console.log(`| --- | --- | --- | --- |`);
console.log(`| POST /runs at a steady ${RATE}/s for ${SECONDS} s (loadtest): latency p50 / p99 | ${ms(median(fixed.p50))} / ${ms(median(fixed.p99))} ms (errors: ${median(fixed.errors)}) | GET /healthz at ${RATE}/s: ${ms(median(floor.p50))} / ${ms(median(floor.p99))} ms | p99 < 20 ms |`);
console.log(`| POST /runs, ${RATE} sent at the start of each second (autocannon overallRate, 16 connections): p50 / p99 | ${fmt(median(burst.p50), 1)} / ${fmt(median(burst.p99), 1)} ms | | |`);
console.log(`| POST /runs, 32 connections (autocannon): run creations/s | ${fmt(median(peak))} | | |`);
