#!/usr/bin/env node
// baton dashboard benchmark: the built dashboard (dist/web, `npm run build`) in Debian's
// chromium (playwright-core) against a real `baton server` on SQLite. Prints medians of
// several rounds, each in a fresh browser context (nothing cached), of:
// - first useful render of a run page: navigation start to the DAG's first node drawn, for a
//   500-step and a 5,000-step run (goals: under 1 s and under 3 s);
// - live updates: a run making ~200 events/s watched on its page, the longest main-thread task
//   and how many took over 100 ms (PerformanceObserver 'longtask'; goal: none over 100 ms),
//   with the event rate the stream carried (read beside the page);
// - a 10 MiB log: the log view shown to its last line on screen (and navigation start to it),
//   a server-side search to its match listed, and the jump to the matched line (goals: under
//   500 ms);
// - the first page's JavaScript and CSS, gzipped (goal: JavaScript under 300 kB).
//
// Usage: node bench/web.js [--rounds 5] [--only render,live,log,bundle]
/* global window, document -- the functions given to page.evaluate run in the browser */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { fmt, median, opt, startBatonServer } from './lib.js';

const ROUNDS = Number(opt('rounds', 5));
const ONLY = opt('only', 'render,live,log,bundle').split(',');
const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));
const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
// The flags this machine's network needs (no background connections, no QUIC) and root needs (no sandbox).
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOG_LINES = 227_000; // 46 bytes each: 10.0 MiB
const NEEDLE_LINE = 113_500;

if (!existsSync(join(WEB, 'index.html'))) throw new Error('the dashboard is not built: run npm run build first');

/** A layered DAG of `layers` × `width` no-op steps, each needing two of the layer before. */
function dag(name, layers, width) {
  const lines = [`name: ${name}`, `concurrency: 16`, 'steps:'];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      lines.push(`  - id: s${l}-${w}`, '    uses: ./noop.mjs#noop');
      if (l > 0) lines.push(`    needs: [s${l - 1}-${w}, s${l - 1}-${(w + 1) % width}]`);
    }
  }
  return lines.join('\n') + '\n';
}

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-web-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'noop.mjs'), 'export function noop() { return null; }\nexport async function wait() { await new Promise((r) => setTimeout(r, 100)); return null; }\n');
  writeFileSync(join(flows, 'dag500.yaml'), dag('dag-500', 20, 25));
  writeFileSync(join(flows, 'dag5000.yaml'), dag('dag-5000', 50, 100));
  // 600 steps of 100 ms, 7 at a time: ~70 steps/s, each a few events.
  writeFileSync(join(flows, 'live.yaml'), ['name: live', 'concurrency: 7', 'steps:', ...Array.from({ length: 600 }, (_, i) => `  - id: t${i}\n    uses: ./noop.mjs#wait`)].join('\n') + '\n');
  writeFileSync(join(flows, 'biglog.yaml'), `name: biglog
steps:
  - id: big
    run: awk 'BEGIN { for (i = 1; i <= ${LOG_LINES}; i++) if (i == ${NEEDLE_LINE}) printf "line %07d NEEDLE in the middle of the log....\\n", i; else printf "line %07d some log text to fill the row ok\\n", i }'
`);
  const { url, token, stop } = await startBatonServer(dir, flows);
  const api = async (method, path, body) => {
    const res = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    url, token, api,
    async waitRun(id, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const { run } = await api('GET', `/api/v1/runs/${id}`);
        if (['succeeded', 'failed', 'cancelled'].includes(run.state)) return run;
        if (Date.now() > until) throw new Error(`run ${id} still ${run.state}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop,
  };
}

/** A fresh browser context signed in as the bench token (nothing cached), and a page in it. */
async function signedIn(browser, srv) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const res = await context.request.post(`${srv.url}/api/v1/session`, { data: { token: srv.token } });
  if (res.status() !== 201) throw new Error(`log-in: ${res.status()}`);
  const page = await context.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  return { context, page, violations };
}

const srv = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const rows = [];
try {
  if (ONLY.includes('render')) {
    const later = Date.now() + 86_400_000;
    for (const [name, steps, goal] of [['dag-500', 500, 1000], ['dag-5000', 5000, 3000]]) {
      // A run due tomorrow: every step pending, the page's work is the whole graph.
      const { run } = await srv.api('POST', '/api/v1/runs', { workflow: name, at: later });
      const ms = [];
      for (let r = 0; r < ROUNDS; r++) {
        const { context, page, violations } = await signedIn(browser, srv);
        await page.goto(`${srv.url}/runs/${run.id}`);
        await page.waitForSelector('[data-testid=dag] .react-flow__node', { timeout: 60_000 });
        ms.push(await page.evaluate(() => performance.now()));
        if (violations.length) throw new Error(`CSP violations: ${violations.join('; ')}`);
        await context.close();
      }
      rows.push([`first useful render, ${fmt(steps)}-step run`, `${fmt(median(ms))} ms`, `goal < ${fmt(goal)} ms`, ms.map((x) => fmt(x)).join(' / ')]);
    }
  }

  if (ONLY.includes('live')) {
    const longest = [];
    const over = [];
    const rates = [];
    for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
      const { context, page } = await signedIn(browser, srv);
      await page.addInitScript(() => {
        window.__longTasks = [];
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
      });
      const { run } = await srv.api('POST', '/api/v1/runs', { workflow: 'live', at: Date.now() + 3_000 });
      // The stream the page reads, read here too: how many events it carried, how fast.
      const abort = new AbortController();
      let events = 0;
      let first = 0;
      let last = 0;
      const reading = (async () => {
        const res = await fetch(`${srv.url}/api/v1/events?run=${run.id}`, { headers: { authorization: `Bearer ${srv.token}` }, signal: abort.signal });
        const dec = new TextDecoder();
        try {
          for await (const chunk of res.body) {
            const n = (dec.decode(chunk, { stream: true }).match(/^id: /gm) ?? []).length;
            if (n) {
              events += n;
              last = performance.now();
              first ||= last;
            }
          }
        } catch { /* aborted */ }
      })();
      await page.goto(`${srv.url}/runs/${run.id}`);
      await page.waitForSelector('[data-testid=dag] .react-flow__node');
      // The first tasks belong to loading the page: only what the live updates cost counts.
      await page.evaluate(() => { window.__longTasks = []; });
      await srv.waitRun(run.id);
      await page.waitForTimeout(500);
      const tasks = await page.evaluate(() => window.__longTasks);
      abort.abort();
      await reading;
      longest.push(tasks.length ? Math.max(...tasks) : 0);
      over.push(tasks.filter((t) => t > 100).length);
      rates.push(events / ((last - first) / 1000));
      await context.close();
    }
    rows.push(['live updates: events/s on the stream', fmt(median(rates)), 'goal 200', rates.map((x) => fmt(x)).join(' / ')]);
    rows.push(['live updates: longest main-thread task', `${fmt(median(longest))} ms`, 'goal < 100 ms', longest.map((x) => fmt(x)).join(' / ')]);
    rows.push(['live updates: tasks over 100 ms', fmt(median(over)), 'goal 0', over.map((x) => fmt(x)).join(' / ')]);
  }

  if (ONLY.includes('log')) {
    const { run } = await srv.api('POST', '/api/v1/runs', { workflow: 'biglog' });
    const done = await srv.waitRun(run.id);
    if (done.state !== 'succeeded') throw new Error(`biglog ${done.state}`);
    const nav = [];
    const open = [];
    const search = [];
    const jump = [];
    const lastLine = `line ${String(LOG_LINES).padStart(7, '0')}`;
    for (let r = 0; r < ROUNDS; r++) {
      const { context, page } = await signedIn(browser, srv);
      await page.goto(`${srv.url}/runs/${run.id}?step=big`);
      await page.waitForSelector('[data-testid=log]', { state: 'attached', timeout: 30_000 });
      const shown = await page.evaluate(() => performance.now());
      await page.waitForFunction((t) => document.querySelector('[data-testid=log]')?.textContent?.includes(t), lastLine, { timeout: 30_000, polling: 'raf' });
      const last = await page.evaluate(() => performance.now());
      nav.push(last);
      open.push(last - shown);
      await page.getByLabel('Text to find in the logs').fill('NEEDLE');
      const t0 = await page.evaluate(() => performance.now());
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForSelector('[data-testid=log-matches] li button', { timeout: 30_000 });
      const t1 = await page.evaluate(() => performance.now());
      search.push(t1 - t0);
      await page.locator('[data-testid=log-matches] li button').first().click();
      await page.waitForFunction((n) => document.querySelector('[data-testid=log] .line.hit')?.textContent?.includes(n), `line ${String(NEEDLE_LINE).padStart(7, '0')}`, { timeout: 30_000, polling: 'raf' });
      jump.push((await page.evaluate(() => performance.now())) - t1);
      await context.close();
    }
    rows.push(['10 MiB log: log view shown to its last line', `${fmt(median(open))} ms`, 'goal < 500 ms', open.map((x) => fmt(x)).join(' / ')]);
    rows.push(['10 MiB log: navigation to its last line', `${fmt(median(nav))} ms`, '', nav.map((x) => fmt(x)).join(' / ')]);
    rows.push(['10 MiB log: search to match listed', `${fmt(median(search))} ms`, 'goal < 500 ms', search.map((x) => fmt(x)).join(' / ')]);
    rows.push(['10 MiB log: match clicked to its line shown', `${fmt(median(jump))} ms`, '', jump.map((x) => fmt(x)).join(' / ')]);
  }

  if (ONLY.includes('bundle')) {
    const html = readFileSync(join(WEB, 'index.html'), 'utf8');
    const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(js|css))"/g)];
    const size = (ext) => files.filter((f) => f[2] === ext).reduce((n, f) => n + gzipSync(readFileSync(join(WEB, f[1]))).length, 0);
    rows.push(['first page JavaScript, gzipped', `${fmt(size('js') / 1024, 1)} kB`, 'goal < 300 kB', '']);
    rows.push(['first page CSS, gzipped', `${fmt(size('css') / 1024, 1)} kB`, '', '']);
  }
} finally {
  await browser.close();
  await srv.stop();
}

console.log(`\ndashboard (chromium ${CHROMIUM}, ${ROUNDS} rounds, medians; each round a fresh browser context)`);
const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(`  ${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2].padEnd(w[2])}  ${r[3]}`);
