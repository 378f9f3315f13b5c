/**
 * The overview's Load forecast panel in a real browser (Chromium through playwright-core)
 * against a real server serving the built dashboard (`npm run build:web` first), on three
 * weeks of synthetic history: two chart canvases, the text summaries naming the model and
 * its backtest against the naive forecast, the forecast table, no serious or critical axe
 * violation and no Content-Security-Policy violation or page error; and on an empty server
 * the sentence that says the history is too short, with no chart.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../api-helpers.js';
import type { TestApi } from '../api-helpers.js';
import { seedLoad } from '../forecast-fixture.js';
import { ROOT } from '../helpers.js';
import type { PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, watchedPage } from './browser.js';

const WEB_DIR = join(ROOT, 'dist', 'web');
if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error('the dashboard tests need the built dashboard: run `npm run build:web` first');

let browser: Browser;
let closeBrowser: (() => Promise<void>) | undefined;
let api: TestApi;
const pages: PageWatch[] = [];
beforeAll(async () => {
  api = await startApi({ webDir: WEB_DIR });
  await seedLoad(api.store, api.dir);
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 120_000);
afterAll(async () => {
  await closeBrowser?.();
  await api?.close();
});
afterEach(() => closeWatched(pages));

describe('Load forecast panel', () => {
  it('draws both series on canvases with a text summary and a table, axe clean', async () => {
    const w = await watchedPage(browser);
    pages.push(w);
    await login(w, api.url, api.tokens.viewer);
    const panel = w.page.getByRole('region', { name: 'Load forecast' });
    await panel.getByTestId('forecast-seconds-summary').waitFor();
    expect(await panel.locator('canvas').count()).toBe(2);
    const seconds = await panel.getByTestId('forecast-seconds-summary').textContent();
    expect(seconds).toMatch(/^Step-seconds per hour: \d+ s in the last 48 hours; about \d+ s forecast for the next 24\. double seasonal Holt–Winters \(daily \+ weekly\); backtest over 7 days: MAE \d+ vs \d+ for the naive forecast \(same hour last week\)\.$/);
    expect(await panel.getByTestId('forecast-runs-summary').textContent()).toMatch(/^Runs queued per hour: \d+ in the last 48 hours/);
    // The charts' accessible names are the same summaries.
    expect(await panel.getByRole('img', { name: /^Step-seconds per hour: / }).count()).toBe(1);
    await panel.getByText('Forecast table (next 24 hours)').click();
    expect(await panel.locator('details tbody tr').count()).toBe(24);
    await screenshot(w.page, 'overview-forecast');
    expect(await axeViolations(w.page)).toEqual([]);
  });

  it('says the history is too short on a server with none, and draws no chart', async () => {
    const empty = await startApi({ webDir: WEB_DIR });
    try {
      const w = await watchedPage(browser);
      pages.push(w);
      await login(w, empty.url, empty.tokens.viewer);
      const panel = w.page.getByRole('region', { name: 'Load forecast' });
      await panel.getByText(/^No forecast yet: history is too short \(0 hours of history; a forecast needs at least 48 hours/).waitFor();
      expect(await panel.locator('canvas').count()).toBe(0);
      expect(await axeViolations(w.page)).toEqual([]);
    } finally {
      // The page holds the event stream open: close it before the server, which waits on it.
      await closeWatched(pages);
      await empty.close();
    }
  });
});
