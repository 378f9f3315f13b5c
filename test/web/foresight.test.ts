/**
 * A running run's ETA and deadline on the run page and the runs list, in a real browser
 * against a real `baton server`: a workflow run once (about 4.5 s: its report step is held on
 * a file), then again with its 3 s deadline ahead but its predicted end past it, so the page
 * says "at risk" (or "missed", on a slow machine) while the run still goes. The 4 s hold is
 * the history being made, real time the ETA learns from. No serious axe-core violation. Needs `npm run build`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { BatonServer, PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, startServer, watchedPage } from './browser.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from '../helpers.js';

const NIGHTLY = `name: nightly
deadline: 3s
params:
  dir: { type: string, required: true }
steps:
  - id: load
    run: sleep 0.5
  - id: report
    needs: [load]
    run: 'until [ -f "$DIR/go" ]; do sleep 0.05; done'
    env:
      DIR: \${{ params.dir }}
`;

let server: BatonServer;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];

beforeAll(async () => {
  server = await startServer({ 'nightly.yaml': NIGHTLY });
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await server?.close();
});

afterEach(() => closeWatched(pages));

describe('foresight on the run page', () => {
  it('shows the ETA from step history and the deadline at risk while the run goes', async () => {
    // The first run's report is held 4 s: history says the run takes about 4.5 s.
    const dir = tempDir('baton-web-foresight-');
    const first = await server.startRun('nightly', { dir });
    await waitFor(async () => (await server.run(first)).steps.some((s) => s.stepId === 'report' && s.state === 'running'), 20_000, 'the first report');
    await new Promise((r) => setTimeout(r, 4_000));
    writeFileSync(join(dir, 'go'), '');
    await waitFor(async () => (await server.run(first)).run.state === 'succeeded', 20_000, 'the first run');
    rmSync(join(dir, 'go'));
    // The second is held at its report until the page has been read.
    const runId = await server.startRun('nightly', { dir });
    await waitFor(async () => (await server.run(runId)).steps.some((s) => s.state === 'running'), 10_000, 'the second run to start');

    const w = await watchedPage(browser);
    pages.push(w);
    await login(w, server.url, server.tokens.viewer);
    const { page } = w;
    await page.goto(`${server.url}/runs/${runId}`);
    const eta = page.getByTestId('run-eta');
    await eta.waitFor({ timeout: 10_000 });
    expect(await eta.textContent()).toMatch(/\d\d:\d\d.*\(p90 .*\d\d:\d\d.*\).*from step history/);
    const deadline = page.getByTestId('run-deadline');
    await deadline.waitFor();
    expect(await deadline.textContent()).toMatch(/\d\d:\d\d.*— (at risk|missed)/);
    expect(await axeViolations(page), 'run page with an ETA and a deadline').toEqual([]);
    await screenshot(page, 'run-foresight');

    await page.goto(`${server.url}/runs`);
    await page.getByRole('columnheader', { name: 'ETA' }).waitFor();
    expect(w.csp).toEqual([]);
    expect(w.errors).toEqual([]);
    writeFileSync(join(dir, 'go'), '');
    await waitFor(async () => (await server.run(runId)).run.state === 'succeeded', 20_000, 'the second run');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
