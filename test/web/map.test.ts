/**
 * A mapped step (`map:`) on the run page in a real browser against a real `baton server`:
 * twelve items, two at a time, one failing (failure policy `continue`) and one held on a
 * file. The page opens before the step expands; the items appear live (the `map` event),
 * the mapped step stays one DAG node with their counts, the run's progress counts steps and
 * items apart, the step panel lists the items by state, an item's own panel shows its value
 * (markup as text) and log and leads back; releasing the held item moves the counts without
 * a reload. No serious axe-core violation; the dark theme fits 390 px. Needs `npm run build`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { BatonServer, PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, startServer, watchedPage } from './browser.js';
import { waitFor } from '../helpers.js';

const ITEMS = Array.from({ length: 12 }, (_, n) => ({ n, tag: `<b class="injected">${n}</b>` }));

const SQUARES = `name: squares
steps:
  - id: list
    run: 'while [ ! -f @GATES@/$BATON_RUN_ID.list ]; do sleep 0.05; done; cp @GATES@/items.json "$BATON_OUTPUT"'
  - id: square
    needs: [list]
    map: { items: "\${{ steps.list.output }}", concurrency: 2, failurePolicy: continue }
    env: { N: "\${{ item.n }}" }
    run: |
      echo "item $N starts"
      if [ "$N" = 3 ]; then echo "item 3 refuses"; exit 1; fi
      if [ "$N" = 7 ]; then while [ ! -f @GATES@/$BATON_RUN_ID.hold ]; do sleep 0.05; done; fi
      printf '{"sq": %d}' $((N * N)) > "$BATON_OUTPUT"
  - id: total
    needs: [square]
    run: echo total
`;

let server: BatonServer;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];
let runId: string;

beforeAll(async () => {
  server = await startServer({ 'squares.yaml': SQUARES });
  writeFileSync(join(server.gates, 'items.json'), JSON.stringify(ITEMS));
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await server?.close();
});

afterEach(() => closeWatched(pages));

async function open(viewport?: { width: number; height: number }): Promise<PageWatch> {
  const w = await watchedPage(browser, viewport);
  pages.push(w);
  return w;
}

const release = (gate: string): void => writeFileSync(join(server.gates, `${runId}.${gate}`), '');
const node = (page: Page, step: string) => page.locator(`[data-testid=dag] [data-step="${step}"]`);
const counts = (page: Page): Promise<string | null> => node(page, 'square').getByTestId('map-counts').textContent({ timeout: 1_000 }).catch(() => null);

/** The indexes of the items a table lists. */
async function shownItems(table: Locator): Promise<(string | null)[]> {
  return Promise.all((await table.locator('tbody tr[data-item]').all()).map((r) => r.getAttribute('data-item')));
}

describe('a mapped step on the run page', () => {
  it('appears as one node whose item counts, items table and item panels follow the run live', async () => {
    runId = await server.startRun('squares');
    await waitFor(async () => (await server.run(runId)).steps.find((s) => s.stepId === 'list')?.state === 'running', 15_000, 'list to run');
    const w = await open();
    const { page } = w;
    await login(w, server.url, server.tokens.viewer);
    await page.goto(`${server.url}/runs/${runId}?step=square`);
    await node(page, 'square').waitFor();
    // Not expanded yet: a mapped step's node, no counts; the panel says the items come later.
    expect(await node(page, 'square').textContent()).toContain('map');
    expect(await node(page, 'square').getByTestId('map-counts').count()).toBe(0);
    await page.getByTestId('map-items').getByText('Not expanded yet').waitFor();
    expect(await page.getByTestId('run-progress').textContent()).toBe('0/3');
    await page.evaluate(() => ((globalThis as unknown as { __kept?: number }).__kept = 1));

    release('list');
    // The map event adds the items to the page; they run two at a time until item 7 holds one slot.
    await expect.poll(() => counts(page), { timeout: 20_000 }).toBe('11/12 items · 1 failed');
    expect(await node(page, 'square').getAttribute('data-state')).toBe('running');
    expect(await node(page, 'square').getAttribute('title')).toMatch(/^square: running, 11\/12 items · 1 failed · 1 running/);
    expect(await page.locator('[data-testid=dag] .react-flow__node').count(), 'items are not nodes').toBe(3);
    await expect.poll(() => page.getByTestId('run-progress').textContent()).toBe('1/3 steps11/12 items');

    // The items table: all twelve by index, values as JSON text, filters by state.
    const table = page.getByTestId('map-items');
    await expect.poll(() => table.locator('tbody tr[data-item]').count()).toBe(12);
    expect(await table.locator('tr[data-item="3"]').getAttribute('data-state')).toBe('failed');
    expect(await table.locator('tr[data-item="7"]').getAttribute('data-state')).toBe('running');
    await expect.poll(() => table.locator('tr[data-item="5"] td').nth(1).textContent()).toBe(JSON.stringify(ITEMS[5]));
    await table.getByRole('button', { name: /^failed/ }).click();
    expect(await shownItems(table)).toEqual(['3']);
    await table.getByRole('button', { name: /^running/ }).click();
    expect(await shownItems(table)).toEqual(['7']);
    await table.getByRole('button', { name: /^all/ }).click();
    expect(await axeViolations(page), 'run page with a mapped step\'s items').toEqual([]);
    await page.screenshot({ path: '/tmp/map-run.png', fullPage: true });
    await screenshot(page, 'map-run');

    // An item's own panel: its value (markup stays text), its log, and the way back.
    await table.getByRole('button', { name: 'show item square[3]' }).click();
    await page.waitForURL((u) => u.searchParams.get('step') === 'square[3]');
    const panel = page.getByTestId('step-panel');
    await panel.getByRole('heading', { name: 'Item square[3]' }).waitFor();
    expect(await node(page, 'square').getAttribute('class'), 'the item\'s mapped step is marked in the DAG').toContain('selected');
    expect(await panel.getByTestId('item-value').textContent()).toBe(JSON.stringify(ITEMS[3], null, 2));
    expect(await page.locator('.injected').count(), 'an item\'s markup is text').toBe(0);
    await page.getByTestId('log').getByText('item 3 refuses').waitFor();
    expect(await panel.getByRole('button', { name: /Re-run/ }).count()).toBe(0);
    await panel.getByTestId('item-parent').click();
    await page.waitForURL((u) => u.searchParams.get('step') === 'square');
    await panel.getByRole('heading', { name: 'Step square' }).waitFor();

    // The held item ends: the counts, the table and the progress move, without a reload.
    release('hold');
    await expect.poll(() => counts(page), { timeout: 20_000 }).toBe('12/12 items · 1 failed');
    await expect.poll(() => node(page, 'square').getAttribute('data-state'), { timeout: 10_000 }).toBe('succeeded');
    await expect.poll(() => table.locator('tr[data-item="7"]').getAttribute('data-state')).toBe('succeeded');
    await expect.poll(() => page.getByTestId('run-progress').textContent(), { timeout: 10_000 }).toBe('3/3 steps12/12 items');
    expect(await page.evaluate(() => (globalThis as unknown as { __kept?: number }).__kept), 'no reload').toBe(1);
    await table.getByRole('button', { name: 'show item square[7]' }).click();
    await page.getByTestId('log').getByText('item 7 starts').waitFor();
    expect(await panel.getByTestId('step-output').textContent()).toContain('"sq": 49');
  }, 90_000);

  it('fits a 390 px wide screen in the dark theme with the items listed', async () => {
    release('hold');
    await waitFor(async () => (await server.run(runId)).run.state === 'succeeded', 20_000, 'the run to end');
    const w = await open({ width: 390, height: 844 });
    const { page } = w;
    await page.emulateMedia({ colorScheme: 'dark' });
    await login(w, server.url, server.tokens.viewer);
    await page.goto(`${server.url}/runs/${runId}?step=square`);
    await page.getByTestId('map-items').locator('tbody tr[data-item]').first().waitFor();
    await expect.poll(() => counts(page)).toBe('12/12 items · 1 failed');
    const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(391);
    await page.getByTestId('map-items').scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/map-run-390.png' });
    await screenshot(page, 'map-run-390');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);
  it('keeps 10,000 items responsive: the table renders the rows in view, filters and scrolls to the last', async () => {
    release('hold');
    await waitFor(async () => (await server.run(runId)).run.state === 'succeeded', 20_000, 'the run to end');
    // The real run's detail, its twelve items replaced by 10,000 (every 50th failed, 100 still running).
    const real = (await server.call('GET', `/api/v1/runs/${runId}`)).body as { steps: { stepId: string }[] };
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      stepId: `square[${i}]`, position: 1, state: i % 50 === 7 ? 'failed' : i >= 9_900 ? 'running' : 'succeeded', attempts: 1, lostAttempts: 0,
      startedAt: 1_000, ...(i >= 9_900 ? {} : { endedAt: 1_000 + i }), item: { n: i, name: `file-${i}.csv` },
    }));
    const steps = real.steps.filter((s) => !s.stepId.startsWith('square['));
    steps.splice(steps.findIndex((s) => s.stepId === 'square') + 1, 0, ...items);
    const body = JSON.stringify({ ...real, steps });
    const w = await open();
    const { page } = w;
    await login(w, server.url, server.tokens.viewer);
    await page.route(`${server.url}/api/v1/runs/${runId}`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body }));
    const t0 = Date.now();
    await page.goto(`${server.url}/runs/${runId}?step=square`);
    // 98 of the last hundred run (9907 and 9957 failed): 9,902 ended.
    await expect.poll(() => counts(page), { timeout: 20_000 }).toBe('9902/10000 items · 200 failed');
    const table = page.getByTestId('map-items');
    await table.locator('tr[data-item="0"]').waitFor();
    const opened = Date.now() - t0;
    const rendered = await table.locator('tbody tr[data-item]').count();
    expect(rendered, 'rows in the DOM').toBeLessThan(60);
    const t1 = Date.now();
    await table.getByRole('button', { name: /^failed/ }).click();
    await table.locator('tr[data-item="7"][data-state=failed]').waitFor();
    expect(await table.locator('tr[data-item="0"]').count()).toBe(0);
    const filtered = Date.now() - t1;
    await table.getByRole('button', { name: /^all/ }).click();
    await table.locator('tr[data-item="0"]').waitFor();
    const t2 = Date.now();
    // By keyboard: the table's box takes focus, End scrolls it to its end.
    await page.getByRole('region', { name: 'Items of square' }).focus();
    await page.keyboard.press('End');
    await table.locator('tr[data-item="9999"]').waitFor();
    const scrolled = Date.now() - t2;
    console.log(`10,000 items: page to table ${opened} ms, failed filter ${filtered} ms, scroll to the last ${scrolled} ms, ${rendered} rows in the DOM`);
    await table.getByRole('button', { name: 'show item square[9999]' }).click();
    await page.getByTestId('step-panel').getByRole('heading', { name: 'Item square[9999]' }).waitFor();
    expect(await page.getByTestId('item-value').textContent()).toContain('"file-9999.csv"');
  }, 90_000);
});
