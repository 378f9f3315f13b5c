/**
 * The dashboard in a real browser against a real `baton server` (one server and one
 * browser for the file): signing in and out, what a viewer may not do, an operator
 * cancelling through the confirmation, the DAG following a run live, the event stream
 * resuming after a dropped connection with nothing missed or repeated, user text that
 * never becomes markup, no Content-Security-Policy violation anywhere, and no serious
 * accessibility problem on any page (axe-core). Needs `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { BatonServer, PageWatch, Relay } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, startRelay, startServer, watchedPage } from './browser.js';
import { waitFor } from '../helpers.js';

const XSS = ['<img src=x onerror=window.__xss=1>', '</script><script>window.__xss=1</script>', 'javascript:window.__xss=1'];
const wait = (step: string): string => `while [ ! -f @GATES@/$BATON_RUN_ID.${step} ]; do sleep 0.05; done`;

const WORKFLOWS = {
  'gated.yaml': `name: gated\nsteps:\n  - id: a\n    run: "${wait('a')}; echo a done"\n  - id: b\n    needs: [a]\n    run: "${wait('b')}; echo b done"\n  - id: c\n    needs: [b]\n    run: "echo c done"\n`,
  'hostile.yaml': [
    'name: hostile',
    'params:',
    '  note: { type: string, default: "" }',
    'steps:',
    '  - id: out',
    '    run: "cat @GATES@/payload.txt; cp @GATES@/payload.json $BATON_OUTPUT"',
    '  - id: boom',
    '    uses: ./boom.mjs#boom',
    '',
  ].join('\n'),
  'boom.mjs': `export function boom() { throw new Error(${JSON.stringify(XSS.join(' '))}); }\n`,
  'wide.yaml': wideWorkflow(5_000),
  // A refused connection, for the Diagnosis panel (port 1 on loopback: nothing listens there).
  'refused.yaml': `name: refused\nsteps:\n  - id: call\n    run: ${JSON.stringify(`node -e "require('net').connect(1,'127.0.0.1').on('error',(e)=>{console.error('Error: '+e.message);process.exit(1)})"`)}\n`,
  'breaks.yaml': `name: breaks\nsteps:\n  - id: boom\n    run: "${wait('boom')}; exit 4"\n`,
};

/** A workflow of `n` steps: a gated root, then ranks of 100 steps each needing two of the rank above. */
function wideWorkflow(n: number): string {
  const lines = ['name: wide', 'steps:', '  - id: root', `    run: "${wait('root')}"`];
  let above = ['root'];
  for (let rank = 0, made = 1; made < n; rank++) {
    const ids: string[] = [];
    for (let i = 0; i < 100 && made < n; i++, made++) {
      const id = `r${rank}-${i}`;
      lines.push(`  - id: ${id}`, `    needs: [${above[i % above.length]}, ${above[(i * 7 + 3) % above.length]}]`, '    run: "true"');
      ids.push(id);
    }
    above = ids;
  }
  return lines.join('\n') + '\n';
}

let server: BatonServer;
let relay: Relay;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];

beforeAll(async () => {
  server = await startServer(WORKFLOWS);
  relay = await startRelay(server.port);
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await relay?.close();
  await server?.close();
});

afterEach(() => closeWatched(pages));

/** A watched page, checked for CSP violations, errors and dialogs after the test. */
async function open(viewport?: { width: number; height: number }): Promise<PageWatch> {
  const w = await watchedPage(browser, viewport);
  pages.push(w);
  return w;
}

/** Opens a step gate of a run. */
const release = (runId: string, step: string): void => writeFileSync(join(server.gates, `${runId}.${step}`), '');

/** The state a DAG node shows. */
const nodeState = (w: PageWatch, step: string): Promise<string | null> => w.page.locator(`[data-testid=dag] [data-step="${step}"]`).getAttribute('data-state', { timeout: 10_000 });

async function waitRun(id: string, pred: (r: Awaited<ReturnType<BatonServer['run']>>) => boolean, what: string): Promise<void> {
  await waitFor(async () => pred(await server.run(id)), 15_000, what);
}

describe('the dashboard', () => {
  it('is served under a Content-Security-Policy whose violations the harness records', async () => {
    const w = await watchedPage(browser);
    try {
      await w.page.goto(server.url + '/');
      await w.page.getByLabel('API token').waitFor();
      // An inline script, as an injection would add: refused, and recorded.
      await w.page.evaluate(() => {
        const d = (globalThis as unknown as { document: { createElement(t: string): { textContent: string }; head: { append(n: unknown): void } } }).document;
        const s = d.createElement('script');
        s.textContent = 'window.__xss = 1';
        d.head.append(s);
      });
      await waitFor(() => w.csp.length > 0, 5_000, 'the violation to be recorded');
      expect(w.csp.join('\n')).toMatch(/script-src/);
      expect(await w.page.evaluate(() => (globalThis as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    } finally {
      await w.context.close();
    }
  });

  it('signs in with a token (a bad one is refused), and logs out', async () => {
    const w = await open();
    await w.page.goto(server.url + '/');
    await w.page.getByLabel('API token').fill('baton_not-a-real-token');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.getByRole('alert').filter({ hasText: 'unknown, malformed or revoked' }).waitFor();
    await login(w, server.url, server.tokens.viewer);
    expect(await w.page.getByTestId('who').textContent()).toBe('web-viewer (viewer)');
    expect(await w.page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), 'the session cookie is HttpOnly').toBe('');
    await w.page.getByRole('button', { name: 'Log out' }).click();
    await w.page.getByLabel('API token').waitFor();
    expect(await w.page.evaluate(async () => (await fetch('/api/v1/session')).status)).toBe(401);
    await w.page.reload();
    await w.page.getByLabel('API token').waitFor();
  });

  it('shows a viewer no action, and the API refuses a viewer anyway', async () => {
    const id = await server.startRun('gated');
    const w = await open();
    await login(w, server.url, server.tokens.viewer);
    await w.page.goto(`${server.url}/runs/${id}`);
    await w.page.getByTestId('dag').waitFor();
    expect(await nodeState(w, 'a')).toMatch(/queued|running/);
    expect(await w.page.getByTestId('run-actions').count()).toBe(0);
    expect(await w.page.getByRole('button', { name: /Cancel|Pause|Retry|Re-run|Priority/ }).count()).toBe(0);
    const answer = await w.page.evaluate(async (runId) => {
      const s = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
      const r = await fetch(`/api/v1/runs/${runId}/cancel`, { method: 'POST', headers: { 'X-CSRF-Token': s.csrfToken } });
      return { status: r.status, body: await r.json() as { error: { code: string } } };
    }, id);
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe('forbidden');
    release(id, 'a');
    release(id, 'b');
    await waitRun(id, (r) => r.run.state === 'succeeded', 'the run to succeed');
  });

  it('lets an operator cancel a run through the confirmation dialog', async () => {
    const id = await server.startRun('gated');
    const w = await open();
    await login(w, server.url, server.tokens.operator);
    await w.page.goto(`${server.url}/runs/${id}`);
    await w.page.getByRole('button', { name: 'Cancel…' }).click();
    const dialog = w.page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Cancel run ${id}?`);
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await server.run(id)).run.state).not.toBe('cancelled');
    await w.page.getByRole('button', { name: 'Cancel…' }).click();
    await w.page.getByRole('dialog').getByRole('button', { name: 'Cancel run' }).click();
    await waitRun(id, (r) => r.run.state === 'cancelled', 'the run to be cancelled');
    await w.page.locator('h1 + .state.s-cancelled').waitFor({ timeout: 10_000 });
    await w.page.getByRole('button', { name: 'Cancel…' }).waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('colours the DAG live as the run progresses, without reloading', async () => {
    const id = await server.startRun('gated');
    const w = await open();
    await login(w, server.url, server.tokens.viewer);
    await w.page.goto(`${server.url}/runs/${id}`);
    await waitFor(async () => (await nodeState(w, 'a')) === 'running', 10_000, 'a running');
    expect(await nodeState(w, 'b')).toBe('pending');
    // The chain still to run holds the end back: named above the DAG, marked in it.
    await waitFor(async () => (await w.page.getByTestId('critical-path').textContent())?.includes('a → b → c'), 10_000, 'the path a → b → c');
    expect(await w.page.locator('[data-testid=dag] .dag-node[data-step="b"]').getAttribute('data-critical')).toBe('true');
    release(id, 'a');
    await waitFor(async () => (await nodeState(w, 'a')) === 'succeeded' && (await nodeState(w, 'b')) === 'running', 10_000, 'a succeeded, b running');
    release(id, 'b');
    await waitFor(async () => (await nodeState(w, 'c')) === 'succeeded', 10_000, 'c succeeded');
    await w.page.locator('h1 + .state.s-succeeded').waitFor();
    expect(await w.page.getByTestId('critical-path').count(), 'an ended run has nothing left to hold it back').toBe(0);
    // The Gantt has a bar per attempt, and choosing its row selects the step everywhere.
    const gantt = w.page.getByTestId('gantt');
    await waitFor(async () => (await gantt.locator('.gantt-bar[data-kind=attempt].s-succeeded').count()) === 3, 10_000, 'three attempt bars');
    await gantt.locator('.gantt-row[data-step="c"]').click();
    await waitFor(async () => (await w.page.getByTestId('step-panel').locator('h2').textContent())?.includes('Step c'), 10_000, 'step c selected');
    expect(await gantt.locator('.gantt-row.selected').getAttribute('data-step')).toBe('c');
  });

  it('resumes a dropped event stream with Last-Event-ID, missing and repeating nothing', async () => {
    const id = await server.startRun('gated');
    await waitRun(id, (r) => r.steps.find((s) => s.stepId === 'a')?.state === 'running', 'a running');
    const db = new Database(server.db, { readonly: true });
    try {
      const events = (after: number): { n: number; max: number | null } => db.prepare('SELECT count(*) AS n, max(seq) AS max FROM events WHERE seq > ?').get(after) as { n: number; max: number | null };
      const head = events(0).max ?? 0;
      const w = await open();
      await login(w, relay.url, server.tokens.viewer);
      await w.page.goto(`${relay.url}/runs/${id}`);
      const feed = w.page.getByTestId('feed-status');
      await waitFor(async () => (await feed.getAttribute('data-status')) === 'open' && (await nodeState(w, 'a')) === 'running', 10_000, 'the feed open, a running');
      release(id, 'a');
      await waitFor(async () => (await nodeState(w, 'b')) === 'running', 10_000, 'b running (seen live, before the cut)');
      expect(Number(await feed.getAttribute('data-received'))).toBeGreaterThan(0);
      relay.cut();
      await waitFor(async () => (await feed.getAttribute('data-status')) === 'reconnecting', 10_000, 'the feed to notice the cut');
      release(id, 'b');
      await waitRun(id, (r) => r.run.state === 'succeeded', 'the run to end while the browser is cut off');
      relay.restore();
      await waitFor(async () => (await nodeState(w, 'c')) === 'succeeded', 20_000, 'c succeeded after the reconnection');
      const after = events(head);
      await waitFor(async () => Number(await feed.getAttribute('data-last-event-id')) === after.max, 10_000, 'the last event');
      expect(relay.lastEventIds.length, 'a reconnection sent Last-Event-ID').toBeGreaterThan(0);
      expect(Number(await feed.getAttribute('data-received')), 'every event once').toBe(after.n);
    } finally {
      db.close();
    }
  });

  it('opens a 5,000-step run and follows it live', async () => {
    const id = await server.startRun('wide');
    await waitRun(id, (r) => r.steps.find((s) => s.stepId === 'root')?.state === 'running', 'root running');
    const w = await open();
    await login(w, server.url, server.tokens.viewer);
    const start = Date.now();
    await w.page.goto(`${server.url}/runs/${id}`);
    await waitFor(async () => (await nodeState(w, 'root')) === 'running', 20_000, 'the DAG with root running');
    const opened = Date.now() - start;
    // Only what is on screen is in the DOM.
    expect(await w.page.locator('[data-testid=dag] [data-step]').count()).toBeLessThan(300);
    const released = Date.now();
    release(id, 'root');
    await waitFor(async () => (await nodeState(w, 'root')) === 'succeeded', 10_000, 'root succeeded, live');
    const followed = Date.now() - released;
    console.log(`5,000-step run: DAG shown in ${opened} ms, a step's end shown ${followed} ms after its gate opened`);
    expect(followed).toBeLessThan(5_000);
    expect((await server.call('POST', `/api/v1/runs/${id}/cancel`)).status).toBe(200);
    await waitRun(id, (r) => r.run.state === 'cancelled', 'the wide run to be cancelled');
  });

  it('renders hostile params, outputs, logs and errors as text, and runs none of them', async () => {
    writeFileSync(join(server.gates, 'payload.txt'), XSS.map((x) => `\u001b[31m${x}\u001b[0m`).join('\n') + '\n');
    writeFileSync(join(server.gates, 'payload.json'), JSON.stringify({ html: XSS[0], script: XSS[1], link: XSS[2] }));
    const id = await server.startRun('hostile', { note: XSS.join(' ') });
    await waitRun(id, (r) => r.run.state === 'failed', 'the hostile run to fail');
    const w = await open();
    await login(w, server.url, server.tokens.operator);
    await w.page.goto(`${server.url}/runs?params=${encodeURIComponent('onerror')}`);
    await w.page.getByRole('link', { name: id }).waitFor();
    await w.page.goto(`${server.url}/runs/${id}?step=out`);
    await w.page.getByTestId('step-output').waitFor();
    expect(await w.page.getByTestId('step-output').textContent()).toContain(XSS[1]);
    expect(await w.page.getByTestId('run-params').textContent()).toContain(XSS[0]);
    await w.page.getByTestId('log').getByText(XSS[0]!).waitFor();
    expect(await w.page.locator('[data-testid=log] .fg-red').count()).toBeGreaterThan(0);
    await w.page.getByRole('searchbox', { name: 'Text to find in the logs' }).fill('onerror');
    await w.page.getByRole('button', { name: 'Search' }).click();
    await w.page.getByTestId('log-matches').getByRole('button', { name: 'out#1:1' }).click();
    await w.page.locator('[data-testid=log] .line.hit').waitFor();
    await w.page.goto(`${server.url}/runs/${id}?step=boom`);
    await w.page.getByTestId('step-error').waitFor();
    expect(await w.page.getByTestId('step-error').textContent()).toContain(XSS[1]);
    await w.page.goto(`${server.url}/alerts`);
    await w.page.getByRole('heading', { name: 'Alerts' }).waitFor();
    await w.page.goto(`${server.url}/`);
    await w.page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await w.page.evaluate(() => (globalThis as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await w.page.locator('a[href^="javascript:"]').count()).toBe(0);
  });

  it('lets an operator acknowledge an alert with a note, and shows a viewer no alert action', async () => {
    const firing = await waitFor(async () => ((await server.call('GET', '/api/v1/alerts?state=firing')).body as { alerts: { id: string; summary: string }[] }).alerts[0], 10_000, 'a firing alert');
    const viewer = await open();
    await login(viewer, server.url, server.tokens.viewer);
    await viewer.page.goto(`${server.url}/alerts?alert=${firing.id}`);
    await viewer.page.getByTestId('alert-detail').waitFor();
    expect(await viewer.page.getByTestId('alert-actions').count()).toBe(0);
    const w = await open();
    await login(w, server.url, server.tokens.operator);
    await w.page.goto(`${server.url}/alerts?alert=${firing.id}`);
    await w.page.getByRole('button', { name: 'Acknowledge…' }).click();
    const dialog = w.page.getByRole('dialog');
    await dialog.getByLabel('Note').fill('looking into it <b>now</b>');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await w.page.getByTestId('alert-detail').locator('.state.s-acknowledged').first().waitFor({ timeout: 10_000 });
    // The history row can arrive on the live feed before the dialog closes: read the row's cell.
    await w.page.getByTestId('alert-detail').getByRole('cell', { name: 'looking into it <b>now</b>' }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    const after = (await server.call('GET', `/api/v1/alerts/${firing.id}`)).body as { alert: { state: string; acknowledgedBy?: string } };
    expect(after.alert.state).toBe('acknowledged');
    expect(after.alert.acknowledgedBy).toBe('token:web-operator');
  });

  it('shows an alert on the Alerts page and the Overview as it fires, and its acknowledgement through the API, without a reload', async () => {
    const id = await server.startRun('breaks');
    const w = await open();
    await login(w, server.url, server.tokens.viewer);
    await w.page.goto(`${server.url}/alerts`);
    await w.page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const overview = await open();
    await login(overview, server.url, server.tokens.viewer);
    await overview.page.getByRole('heading', { name: /Open alerts/ }).waitFor();
    // A mark a reload would wipe out.
    for (const p of [w.page, overview.page]) await p.evaluate(() => ((globalThis as unknown as { __kept?: number }).__kept = 1));
    const table = w.page.getByRole('region', { name: 'Alerts' });
    expect(await table.getByText(id).count()).toBe(0);
    release(id, 'boom');
    // The step's failure fires step-failed and the run's end run-failed, both naming the run.
    const row = table.getByRole('row').filter({ hasText: `step boom of breaks/${id} failed` });
    await row.waitFor({ timeout: 15_000 });
    await table.getByRole('row').filter({ hasText: `run breaks/${id} failed` }).waitFor({ timeout: 15_000 });
    await overview.page.getByRole('link', { name: new RegExp(`step boom of breaks/${id} failed`) }).waitFor({ timeout: 15_000 });
    expect(await row.locator('.state.s-firing').count()).toBe(1);
    const alerts = (await server.call('GET', '/api/v1/alerts?state=firing')).body as { alerts: { id: string; summary: string }[] };
    const fired = alerts.alerts.find((a) => a.summary.startsWith(`step boom of breaks/${id} failed`))!;
    expect((await server.call('POST', `/api/v1/alerts/${fired.id}/ack`, { note: 'seen' }, 'operator')).status).toBe(200);
    await row.locator('.state.s-acknowledged').waitFor({ timeout: 10_000 });
    for (const p of [w.page, overview.page]) expect(await p.evaluate(() => (globalThis as unknown as { __kept?: number }).__kept)).toBe(1);
  });

  it('has no serious accessibility problem on any page, at 1280 px and at 390 px', async () => {
    const finished = (await server.call('GET', '/api/v1/runs?workflow=gated&state=succeeded&limit=1')).body as { runs: { id: string }[] };
    const runId = finished.runs[0]!.id;
    const alerts = (await server.call('GET', '/api/v1/alerts?limit=1')).body as { alerts: { id: string }[] };
    const w = await open();
    await w.page.goto(server.url + '/');
    await w.page.getByLabel('API token').waitFor();
    expect(await axeViolations(w.page), 'login').toEqual([]);
    await login(w, server.url, server.tokens.operator);
    const check = async (path: string, ready: () => Promise<unknown>, shot?: string): Promise<void> => {
      await w.page.goto(server.url + path);
      await ready();
      expect(await axeViolations(w.page), path).toEqual([]);
      if (shot) await screenshot(w.page, shot, true);
    };
    await check('/', () => w.page.getByRole('heading', { name: /Runs per/ }).waitFor(), 'overview');
    await check('/runs', () => w.page.getByRole('region', { name: 'Runs' }).getByRole('link').first().waitFor(), 'runs');
    await check(`/runs/${runId}?step=a`, () => w.page.getByTestId('log').getByText('a done').waitFor(), 'run-detail');
    await check(`/alerts${alerts.alerts[0] ? `?alert=${alerts.alerts[0].id}` : ''}`, () => w.page.getByRole('heading', { name: 'Alerts' }).waitFor(), 'alerts');
    const narrow = await open({ width: 390, height: 844 });
    await login(narrow, server.url, server.tokens.operator);
    for (const path of ['/', '/runs', `/runs/${runId}`, '/alerts']) {
      await narrow.page.goto(server.url + path);
      await narrow.page.locator('main h1').waitFor();
      const width = await narrow.page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
      expect(width, `${path} fits 390 px`).toBeLessThanOrEqual(391);
    }
    await screenshot(narrow.page, 'overview-narrow');
  });
});

describe('the Diagnosis panel', () => {
  it('shows a failed run\'s class, evidence that jumps to its log line, and recovery commands as text', async () => {
    const id = await server.startRun('refused');
    await waitRun(id, (r) => r.run.state === 'failed', 'the refused run to fail');
    const w = await open();
    await login(w, server.url, server.tokens.viewer);
    await w.page.goto(`${server.url}/runs/${id}`);
    const panel = w.page.getByTestId('diagnosis');
    await panel.getByRole('heading', { name: 'Diagnosis' }).waitFor();
    const step = panel.getByTestId('diagnosis-call');
    await step.waitFor({ timeout: 10_000 });
    expect(await step.getByTestId('diagnosis-class').textContent()).toBe('network');
    expect(await step.textContent()).toContain('ECONNREFUSED');
    expect(await panel.getByTestId('diagnosis-recoveries').textContent()).toContain(`baton retry ${id} --failed`);
    expect(await panel.getByRole('button', { name: /retry/i }).count()).toBe(0);
    await panel.scrollIntoViewIfNeeded();
    await screenshot(w.page, 'diagnosis');
    await step.getByRole('button', { name: 'line 1' }).click();
    await w.page.waitForURL((u) => u.searchParams.get('line') === '1' && u.searchParams.get('at') === '0' && u.searchParams.get('step') === 'call');
    await w.page.locator('[data-testid=log] .line.hit').waitFor();
    expect(await axeViolations(w.page), 'run page with a diagnosis').toEqual([]);
  });

  it('lets an operator apply a re-run recovery behind the confirmation dialog', async () => {
    const id = await server.startRun('refused');
    await waitRun(id, (r) => r.run.state === 'failed', 'the refused run to fail');
    const w = await open();
    await login(w, server.url, server.tokens.operator);
    await w.page.goto(`${server.url}/runs/${id}`);
    const step = w.page.getByTestId('diagnosis').getByTestId('diagnosis-call');
    await step.waitFor({ timeout: 10_000 });
    await step.getByRole('button', { name: 'Apply recovery 1 of step call' }).click();
    const dialog = w.page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Apply recovery 1 of step call: baton retry ${id} --failed?`);
    await dialog.getByRole('button', { name: 'Back' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const attempts = async (): Promise<number> => ((await server.call('GET', `/api/v1/runs/${id}`)).body as { attempts: unknown[] }).attempts.length;
    expect(await attempts()).toBe(1);
    await step.getByRole('button', { name: 'Apply recovery 1 of step call' }).click();
    await w.page.getByRole('dialog').getByRole('button', { name: 'Apply' }).click();
    // The re-run fails again (nothing listens still): a second attempt says it ran.
    await waitFor(async () => (await attempts()) === 2 && (await server.run(id)).run.state === 'failed', 15_000, 'the applied re-run to end');
  });
});
