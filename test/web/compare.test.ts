/**
 * The comparison of two runs of one workflow in a real browser against a real `baton
 * server`: three runs of `nightly` over two versions, the newest still running with a
 * param whose value is markup; from its run page "Compare with…" offers the run before it
 * first and another one is picked; the comparison shows the params key by key, the
 * version note and the steps of both runs (a step failing in one and succeeding in the
 * other, steps of one version only) with their durations and change, follows the running
 * one live, sorts by keyboard, survives a reload, fits a 390 px screen by scrolling inside
 * its tables, and has no serious axe-core violation and no Content-Security-Policy one.
 * Needs `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import type { BatonServer, PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, startServer, watchedPage } from './browser.js';
import { waitFor } from '../helpers.js';

const GATE = 'while [ ! -f @GATES@/$BATON_RUN_ID.check ]; do sleep 0.05; done';
const NIGHTLY_V1 = `name: nightly
params:
  nap: { type: number, default: 0 }
  fail: { type: boolean, default: false }
steps:
  - id: prep
    env: { NAP: "\${{ params.nap }}" }
    run: 'sleep "$NAP"'
  - id: check
    needs: [prep]
    env: { FAIL: "\${{ params.fail }}" }
    run: '${GATE}; if [ "$FAIL" = "true" ]; then echo bad; exit 1; fi'
  - id: report
    needs: [check]
    run: echo report
  - id: archive
    needs: [report]
    run: echo archive
`;

/** The second version: a `label` param more, and `notify` in place of `archive`. */
function nightlyV2(gates: string): Record<string, unknown> {
  return {
    name: 'nightly',
    params: { nap: { type: 'number', default: 0 }, fail: { type: 'boolean', default: false }, label: { type: 'string', default: '' } },
    steps: [
      { id: 'prep', env: { NAP: '${{ params.nap }}' }, run: 'sleep "$NAP"' },
      { id: 'check', needs: ['prep'], env: { FAIL: '${{ params.fail }}' }, run: `${GATE.replaceAll('@GATES@', gates)}; if [ "$FAIL" = "true" ]; then echo bad; exit 1; fi` },
      { id: 'report', needs: ['check'], run: 'echo report' },
      { id: 'notify', needs: ['report'], run: 'echo notify' },
    ],
  };
}

const LABEL = 'nightly <b id="injected">x</b>';

let server: BatonServer;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];
/** The earliest run (v1, a long `prep`), the one after it (v1, defaults) and the newest (v2, failing, held at `check`). */
let early: string;
let middle: string;
let newest: string;

const release = (runId: string): void => writeFileSync(join(server.gates, `${runId}.check`), '');

async function finished(id: string): Promise<void> {
  await waitFor(async () => ['succeeded', 'failed'].includes((await server.run(id)).run.state), 20_000, `run ${id} to end`);
}

beforeAll(async () => {
  server = await startServer({ 'nightly.yaml': NIGHTLY_V1 });
  ({ browser, close: closeBrowser } = await launchBrowser());
  early = await server.startRun('nightly', { nap: 0.6 });
  release(early);
  await finished(early);
  middle = await server.startRun('nightly', {});
  release(middle);
  await finished(middle);
  const v2 = await server.call('POST', '/api/v1/workflows', nightlyV2(server.gates));
  expect(v2.status).toBe(201);
  newest = await server.startRun('nightly', { nap: 0.1, fail: true, label: LABEL });
}, 90_000);

afterAll(async () => {
  await closeBrowser?.();
  await server?.close();
});

afterEach(() => closeWatched(pages));

async function open(viewport?: { width: number; height: number }): Promise<PageWatch> {
  const w = await watchedPage(browser, viewport);
  pages.push(w);
  await login(w, server.url, server.tokens.viewer);
  return w;
}

/** A duration cell's text as ms (`640ms`, `1.2s`). */
function ms(text: string | null): number {
  const m = /^([\d.]+)(ms|s)$/.exec(text ?? '');
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

const cell = (row: Locator, col: string): Promise<string | null> => row.locator(`[data-col=${col}]`).textContent();
/** An attribute of every element `l` matches, in order. */
const attrs = async (l: Locator, name: string): Promise<(string | null)[]> => Promise.all((await l.all()).map((e) => e.getAttribute(name)));
/** An element's outline style as computed (in the page: this file has no DOM types). */
const outline = (l: Locator): Promise<string> => l.evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { outlineStyle: string } }).getComputedStyle(e).outlineStyle);
/** A box's scroll sizes. */
interface Box { scrollWidth: number; clientWidth: number; scrollLeft: number }
const box = (l: Locator): Promise<Box> => l.evaluate((e) => {
  const b = e as unknown as Box;
  return { scrollWidth: b.scrollWidth, clientWidth: b.clientWidth, scrollLeft: b.scrollLeft };
});

describe('comparing two runs of a workflow', () => {
  it('picks another run from the run page and shows params, versions and steps side by side, live', async () => {
    const w = await open();
    const { page } = w;
    await page.goto(`${server.url}/runs/${newest}`);
    await page.getByTestId('compare-with').click();
    const picker = page.getByTestId('compare-picker');
    await picker.locator('li').first().waitFor();
    // newest first, this run left out, the run before this one chosen already
    expect(await attrs(picker.locator('li'), 'data-run')).toEqual([middle, early]);
    expect(await picker.locator(`li[data-run="${middle}"] input`).isChecked()).toBe(true);
    expect(await picker.locator(`li[data-run="${middle}"]`).textContent()).toMatch(/succeeded.*started .*the run before this one/);
    await screenshot(page, 'compare-picker');
    expect(await axeViolations(page)).toEqual([]);
    // Escape closes the list and gives the focus back to its button
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    expect(await page.getByTestId('compare-with').evaluate((b) => b === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await picker.locator('li').first().waitFor();
    await picker.locator(`li[data-run="${early}"] label`).click();
    await picker.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL(`${server.url}/runs/${newest}/compare/${early}`);

    // params key by key, the later run's markup shown as text
    const params = page.getByTestId('compare-params');
    await params.waitFor();
    const diff = await Promise.all((await params.locator('tbody tr').all()).map(async (r) => [await r.getAttribute('data-key'), await r.getAttribute('data-change'), ...await r.locator('td').allTextContents()]));
    expect(diff).toEqual([
      ['fail', 'changed', 'false', 'true', 'changed'],
      ['label', 'added', 'not set', JSON.stringify(LABEL), 'added'],
      ['nap', 'changed', '0.6', '0.1', 'changed'],
    ]);
    expect(await page.locator('#injected').count(), 'a param value never becomes markup').toBe(0);
    expect(await page.getByTestId('params-summary').textContent()).toBe('3 of 3 params differ.');
    expect(await page.getByTestId('version-note').textContent()).toContain('different versions of nightly');

    // the earlier run is the baseline; the later one is still running, held at `check`
    const summary = page.getByTestId('compare-summary');
    expect(await page.getByTestId('summary-run').locator('td').allTextContents()).toEqual([early, `${newest}this run`]);
    const steps = page.getByTestId('compare-steps');
    const row = (step: string): Locator => steps.locator(`tbody tr[data-step="${step}"]`);
    await expect.poll(() => cell(row('check'), 'state-after'), { timeout: 10_000 }).toBe('running');
    expect(await summary.locator('[data-testid=summary-state] td[data-side=after]').textContent()).toBe('running');
    release(newest);
    // the feed, not a reload, brings the failure and the skipped rest
    await expect.poll(() => cell(row('check'), 'state-after'), { timeout: 10_000 }).toBe('failed');
    await expect.poll(() => summary.locator('[data-testid=summary-state] td[data-side=after]').textContent(), { timeout: 10_000 }).toBe('failed');
    await expect.poll(() => cell(row('notify'), 'state-after'), { timeout: 10_000 }).toBe('skipped');

    expect(await cell(row('check'), 'state-before')).toBe('succeeded');
    expect([await cell(row('prep'), 'state-before'), await cell(row('prep'), 'state-after')]).toEqual(['succeeded', 'succeeded']);
    const prepBefore = ms(await cell(row('prep'), 'duration-before'));
    const prepAfter = ms(await cell(row('prep'), 'duration-after'));
    expect(prepBefore).toBeGreaterThanOrEqual(600);
    expect(prepAfter).toBeGreaterThanOrEqual(100);
    expect(prepAfter).toBeLessThan(prepBefore);
    expect(await cell(row('prep'), 'change')).toMatch(/^\u2212\d+ms \(\u2212\d+%\)$/);
    expect(await cell(row('check'), 'change')).toMatch(/^\+[\d.]+s \(\+\d+%\)$/);
    expect([await cell(row('check'), 'attempts-before'), await cell(row('check'), 'attempts-after')]).toEqual(['1', '1']);
    // steps of one version only are marked
    expect(await row('archive').getAttribute('data-only')).toBe('before');
    expect(await row('archive').textContent()).toContain('only in the earlier run');
    expect(await cell(row('archive'), 'state-after')).toBe('not in this run');
    expect(await row('notify').getAttribute('data-only')).toBe('after');
    // the biggest change in duration first: `check` waited for its gate in the newest run
    expect((await attrs(steps.locator('tbody tr'), 'data-step')).slice(0, 2)).toEqual(['check', 'prep']);
    expect(await steps.locator('th[aria-sort=descending]').textContent()).toContain('Change');
    await screenshot(page, 'compare-runs');
    expect(await axeViolations(page)).toEqual([]);

    // sorted by keyboard, with a visible focus; the sort is kept in the address
    const byStep = steps.getByRole('button', { name: 'Step' });
    await byStep.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => attrs(steps.locator('tbody tr'), 'data-step')).toEqual(['archive', 'check', 'notify', 'prep', 'report']);
    expect(await outline(byStep)).toBe('solid');
    expect(await steps.locator('th[aria-sort=ascending]').textContent()).toContain('Step');
    expect(new URL(page.url()).search).toBe('?sort=step&dir=asc');

    await page.reload();
    await steps.locator('tbody tr').first().waitFor();
    expect(await attrs(steps.locator('tbody tr'), 'data-step')).toEqual(['archive', 'check', 'notify', 'prep', 'report']);
    expect(await params.locator('tbody tr[data-key=label]').getAttribute('data-change')).toBe('added');
    expect(await cell(row('check'), 'state-after')).toBe('failed');
  }, 90_000);

  it('fits a 390 px wide screen in the dark theme: the tables scroll, the page does not', async () => {
    await finished(newest);
    const w = await open({ width: 390, height: 844 });
    const { page } = w;
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/runs/${newest}/compare/${early}`);
    const steps = page.getByTestId('compare-steps');
    await steps.locator('tbody tr').first().waitFor();
    const whole = await box(page.locator('html'));
    expect(whole.scrollWidth).toBeLessThanOrEqual(whole.clientWidth);
    const scroller = steps.locator('..');
    const inner = await box(scroller);
    expect(inner.scrollWidth).toBeGreaterThan(inner.clientWidth);
    // the table's box is what a keyboard scrolls: it takes focus, visibly
    await scroller.focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await box(scroller)).scrollLeft).toBeGreaterThan(0);
    expect(await outline(scroller)).toBe('solid');
    await screenshot(page, 'compare-runs-390');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);
});
