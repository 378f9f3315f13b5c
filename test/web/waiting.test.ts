/**
 * Waiting steps on the run page in a real browser against a real `baton server`: the page
 * says at the top what the run waits for and since when; an operator approves with a note
 * behind the confirmation dialog, a viewer sees no button, an admin-only approval hides its
 * buttons from an operator, and a signal sent with a JSON payload ends a `wait:` step; every
 * change shows without a reload. No serious axe-core violation. Needs `npm run build`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { BatonServer, PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, startServer, watchedPage } from './browser.js';
import { waitFor } from '../helpers.js';

const RELEASE = `name: release
steps:
  - id: build
    run: echo built
  - id: ship
    needs: [build]
    approval: { message: "Ship the <b class=injected>nightly</b> build?" }
  - id: deployed
    needs: [ship]
    wait: { signal: deploy-done }
  - id: boss
    needs: [deployed]
    approval: { role: admin }
`;

let server: BatonServer;
let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];

beforeAll(async () => {
  server = await startServer({ 'release.yaml': RELEASE });
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await server?.close();
});

afterEach(() => closeWatched(pages));

async function open(token: string): Promise<PageWatch> {
  const w = await watchedPage(browser);
  pages.push(w);
  await login(w, server.url, token);
  return w;
}

const stepState = async (runId: string, stepId: string): Promise<string | undefined> => (await server.run(runId)).steps.find((s) => s.stepId === stepId)?.state;

describe('waiting steps on the run page', () => {
  it('shows what the run waits for; an operator approves with a note and sends the signal; an admin approval is not theirs', async () => {
    const runId = await server.startRun('release');
    await waitFor(async () => (await stepState(runId, 'ship')) === 'running', 15_000, 'ship to wait');

    const viewer = await open(server.tokens.viewer);
    await viewer.page.goto(`${server.url}/runs/${runId}`);
    const banner = viewer.page.getByTestId('run-waiting');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/Waiting for an answer.*ship.*approval: Ship the <b class=injected>nightly<\/b> build\?.*since/);
    expect(await viewer.page.locator('.injected').count(), 'the message is text').toBe(0);
    expect(await banner.getByRole('button', { name: /Approve/ }).count(), 'a viewer cannot answer').toBe(0);

    const w = await open(server.tokens.operator);
    const { page } = w;
    await page.goto(`${server.url}/runs/${runId}`);
    await page.getByTestId('run-waiting').waitFor();
    expect(await axeViolations(page), 'run page waiting for an approval').toEqual([]);
    await screenshot(page, 'run-waiting');
    await page.getByTestId('run-waiting').getByRole('button', { name: 'Approve…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Note (kept with the answer)').fill('numbers look right');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();

    // The answer lands; the run moves on to the signal, without a reload.
    await expect.poll(() => page.getByTestId('run-waiting').textContent(), { timeout: 20_000 }).toMatch(/Waiting for a signal.*deployed.*signal "deploy-done"/);
    await page.getByTestId('run-waiting').getByRole('button', { name: 'Send signal…' }).click();
    await page.getByRole('dialog').getByLabel(/Payload/).fill('{"version": "1.4.2"');
    await page.getByRole('dialog').getByRole('button', { name: 'Send signal' }).click();
    await page.getByRole('dialog').getByText('the payload is not JSON').waitFor();
    await page.getByRole('dialog').getByLabel(/Payload/).fill('{"version": "1.4.2"}');
    await page.getByRole('dialog').getByRole('button', { name: 'Send signal' }).click();

    // Next, an admin-only approval: the operator sees it waiting, without buttons.
    await expect.poll(() => page.getByTestId('run-waiting').textContent(), { timeout: 20_000 }).toMatch(/boss.*approval by an admin/);
    expect(await page.getByTestId('run-waiting').getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await page.goto(`${server.url}/runs/${runId}?step=ship`);
    await page.getByTestId('step-answer').waitFor();
    expect(await page.getByTestId('step-answer').textContent()).toMatch(/^approved by api:web-operator, /);
    await page.goto(`${server.url}/runs/${runId}?step=deployed`);
    await expect.poll(() => page.getByTestId('step-output').textContent()).toContain('"version": "1.4.2"');

    const admin = await open(server.tokens.admin);
    await admin.page.goto(`${server.url}/runs/${runId}?step=boss`);
    await admin.page.getByTestId('step-panel').getByRole('button', { name: 'Reject…' }).click();
    await admin.page.getByRole('dialog').getByRole('button', { name: 'Reject', exact: true }).click();
    await expect.poll(async () => (await server.run(runId)).run.state, { timeout: 20_000 }).toBe('failed');
    await expect.poll(() => admin.page.getByTestId('step-error').textContent(), { timeout: 10_000 }).toMatch(/^rejected: rejected by api:web-admin/);
    expect(await admin.page.getByTestId('run-waiting').count()).toBe(0);
  }, 90_000);
});
