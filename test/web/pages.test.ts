/**
 * The dashboard's batches, workflows, schedules and workers pages in a real browser
 * (Chromium through playwright-core) against a real server serving the built dashboard
 * (`npm run build:web` first): a folder with a corrupt file uploaded and run until the
 * validation failure names the file, the 413 of a too-large file, the workflow form
 * starting a run with a typed param and showing the API's param error, schedule pause and
 * resume, a viewer without any action button, and on every page no serious or critical
 * axe-core violation and no Content-Security-Policy violation. Screenshots go to
 * `test-artifacts/`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../api-helpers.js';
import type { TestApi } from '../api-helpers.js';
import { tempDir } from '../helpers.js';
import { createTestDatabase } from '../pg-helpers.js';
import type { TestDatabase } from '../pg-helpers.js';
import { openPostgresStore } from '../../src/index.js';
import type { PgStore } from '../../src/index.js';
import { openFleetStore } from '../../src/store/index.js';
import type { PgFleetStore } from '../../src/store/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB_DIR = join(ROOT, 'dist', 'web');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ready = existsSync(join(WEB_DIR, 'index.html')) && existsSync(CHROMIUM);

const BATCH = `name: check-files
description: Check every uploaded file, then pass it on.
params:
  files: { type: array, default: [], description: the files to check }
  label: { type: string, default: batch }
steps:
  - id: check
    run: 'printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
      groupSize: 2
      validate: { run: 'if grep -q CORRUPT "$BATON_ITEM"; then echo "a corrupt row"; exit 1; fi' }
`;
const GREET = `name: greet
description: Greets people.
params:
  count: { type: integer, required: true, description: How many greetings }
  who: { type: string, default: world, description: Whom to greet }
  loud: { type: boolean, default: false }
  tags: { type: array, default: [a, b] }
schedule:
  - name: nightly
    cron: "0 2 * * *"
    timezone: Europe/Paris
steps:
  - id: hello
    run: 'echo "hello $BATON_PARAM_WHO"'
  - id: bye
    needs: [hello]
    run: echo bye
`;
const TICK = `name: tick
schedule:
  - name: often
    cron: "*/2 * * * * *"
steps:
  - id: a
    run: echo tick
`;
const GREET_V2 = GREET.replace('description: Greets people.', 'description: Greets people twice.');

/** Runs axe-core on the page (its source evaluated, not a script tag: the CSP allows none) and returns serious or critical violations. */
async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const r = await (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.join(', ')}`);
}

describe.skipIf(!ready)('dashboard pages in a browser', () => {
  let api: TestApi;
  let browser: Browser;
  let folder: string;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    api = await startApi({ webDir: WEB_DIR, uploads: { maxFileBytes: 2000 } });
    for (const w of [BATCH, GREET, GREET_V2, TICK]) expect((await api.call('POST', '/api/v1/workflows', { body: w, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    folder = tempDir('baton-pages-');
    mkdirSync(join(folder, 'day', 'sub'), { recursive: true });
    writeFileSync(join(folder, 'day', 'a.csv'), 'id,v\n1,a\n');
    writeFileSync(join(folder, 'day', 'b.csv'), 'id,v\n2,b\n');
    writeFileSync(join(folder, 'day', 'sub', 'broken.csv'), 'id,v\nCORRUPT\n');
    writeFileSync(join(folder, 'huge.csv'), 'x'.repeat(3000));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /** A signed-in page of `role`; CSP violations and page errors are collected into `problems`. */
  async function signIn(role: 'viewer' | 'operator'): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${api.url}/`);
    await page.fill('#token', api.tokens[role]);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]');
    return { context, page };
  }

  it('uploads a folder with a corrupt file: the run fails at validation naming the file, on the page', async () => {
    const { context, page } = await signIn('operator');
    await page.goto(`${api.url}/batches`);
    await page.setInputFiles('[data-testid=pick-folder]', join(folder, 'day'));
    await expect.poll(() => page.textContent('[data-testid=picked]')).toContain('3 files');
    await page.getByRole('button', { name: 'Upload' }).click();
    const staged = page.getByTestId('staged-files');
    await staged.waitFor();
    expect(await staged.textContent()).toContain('sub/broken.csv');
    expect(await staged.textContent()).not.toContain('day/');
    await page.getByRole('button', { name: 'Start run' }).click();
    const failures = page.getByTestId('batch-failures');
    await failures.waitFor({ timeout: 20_000 });
    expect(await failures.textContent()).toContain('sub/broken.csv');
    expect(await failures.textContent()).toContain('a corrupt row');
    expect(await page.getByTestId('batch-error').textContent()).toContain('1 of 3 items are invalid');
    expect(page.url()).toMatch(/\/batches\?run=/);
    await page.screenshot({ path: join(ARTIFACTS, 'batches.png') });
    expect(await axe(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows the 413 of a file over the limit, naming it', async () => {
    const { context, page } = await signIn('operator');
    await page.goto(`${api.url}/batches`);
    await page.setInputFiles('[data-testid=pick-files]', [join(folder, 'huge.csv'), join(folder, 'day', 'a.csv')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    const error = page.getByTestId('upload-error').getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toContain("file 'huge.csv' is over 2000 bytes");
    await page.screenshot({ path: join(ARTIFACTS, 'batches-413.png') });
    await context.close();
  }, 60_000);

  it('shows a viewer the batches page read-only', async () => {
    const { context, page } = await signIn('viewer');
    await page.goto(`${api.url}/batches`);
    await page.getByTestId('read-only').waitFor();
    expect(await page.locator('main button, main input').count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('starts a run from the workflow form with a typed param, after a type check here and a param error from the API', async () => {
    const { context, page } = await signIn('operator');
    await page.goto(`${api.url}/workflows`);
    await page.getByRole('link', { name: 'greet' }).click();
    await page.getByTestId('versions').waitFor();
    await page.getByRole('button', { name: 'Start a run' }).click();
    const count = page.locator('[data-param=count]');
    await page.fill('[name=count]', 'abc');
    await page.getByRole('button', { name: 'Start run' }).click();
    expect(await count.locator('.error').textContent()).toBe('count must be an integer, such as 42');
    await page.fill('[name=count]', '');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => count.locator('.error').textContent()).toBe('missing required param "count" (integer)');
    expect(await page.getAttribute('[name=count]', 'aria-invalid')).toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'workflow-form.png'), fullPage: true });
    expect(await axe(page)).toEqual([]);
    await page.fill('[name=count]', '3');
    await page.fill('[name=who]', 'there');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const params = JSON.parse((await page.getByTestId('run-params').textContent()) ?? '') as Record<string, unknown>;
    expect(params).toEqual({ count: 3, who: 'there', loud: false, tags: ['a', 'b'] });
    await context.close();
  }, 60_000);

  it('compares two versions of a workflow line by line and draws its graph', async () => {
    const { context, page } = await signIn('viewer');
    await page.goto(`${api.url}/workflows/greet?tab=diff`);
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('.d-del').allTextContents()).toEqual([expect.stringContaining('"description": "Greets people."')]);
    expect(await diff.locator('.d-add').allTextContents()).toEqual([expect.stringContaining('"description": "Greets people twice."')]);
    expect(await axe(page)).toEqual([]);
    await page.getByRole('button', { name: 'Graph' }).click();
    await page.locator('.dag-node[data-step=bye]').waitFor();
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByTestId('read-only').waitFor();
    expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0);
    await page.goto(`${api.url}/workflows`);
    await page.getByTestId('workflows').waitFor();
    expect(await axe(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('pauses and resumes a schedule behind a confirmation, with next fire times in its zone and its last runs', async () => {
    const { context, page } = await signIn('operator');
    await page.goto(`${api.url}/schedules`);
    const nightly = page.locator('[data-schedule="greet/nightly"]');
    await nightly.waitFor();
    expect(await nightly.getByTestId('next-fire-times').locator('th').first().textContent()).toBe('In Europe/Paris');
    expect(await nightly.getByTestId('next-fire-times').locator('tbody tr').count()).toBe(5);
    expect(await nightly.locator('time').first().getAttribute('title')).toMatch(/ UTC$/);
    await nightly.getByRole('button', { name: 'Pause…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Pause schedule' }).click();
    await nightly.getByRole('button', { name: 'Resume…' }).waitFor();
    expect(await nightly.getByTestId('schedule-state').textContent()).toBe('paused');
    expect(await nightly.getByTestId('next-fire-times').count()).toBe(0);
    const listed = (await api.call('GET', '/api/v1/schedules', { role: 'viewer' })).body as { schedules: { id: string; paused: boolean }[] };
    expect(listed.schedules.find((x) => x.id === 'greet/nightly')?.paused).toBe(true);
    await nightly.getByRole('button', { name: 'Resume…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resume schedule' }).click();
    await nightly.getByRole('button', { name: 'Pause…' }).waitFor();
    expect(await nightly.getByTestId('schedule-state').textContent()).toBe('active');
    // the two-second schedule fires while the page is open: its runs appear with their outcome from the live feed
    const runs = page.locator('[data-schedule="tick/often"]').getByTestId('schedule-runs');
    await expect.poll(async () => ((await runs.count()) ? runs.textContent() : ''), { timeout: 20_000 }).toContain('succeeded');
    await page.screenshot({ path: join(ARTIFACTS, 'schedules.png'), fullPage: true });
    expect(await axe(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a viewer no action button on the schedules page', async () => {
    const { context, page } = await signIn('viewer');
    await page.goto(`${api.url}/schedules`);
    await page.locator('[data-schedule="greet/nightly"]').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
    await context.close();
  }, 60_000);

  it('says the server runs without a fleet on SQLite', async () => {
    const { context, page } = await signIn('operator');
    await page.goto(`${api.url}/workers`);
    expect(await page.getByTestId('no-fleet').textContent()).toContain('this server runs without a fleet');
    expect(await axe(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('saw no CSP violation and no page error', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!ready)('the workers page of a fleet (PostgreSQL) in a browser', () => {
  let db: TestDatabase;
  let store: PgStore;
  let fleet: PgFleetStore;
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = openPostgresStore(db.url);
    fleet = openFleetStore(db.url, { max: 2 });
    api = await startApi({ store, fleet, webDir: WEB_DIR });
    await fleet.registerWorker({ id: 'w-gpu-1', host: 'gpu-host', pid: 41, platform: 'linux', tags: ['gpu', 'docker'], slots: 4, version: '0.1.0' });
    await fleet.registerWorker({ id: 'w-cpu-2', host: 'cpu-host', pid: 42, platform: 'linux', tags: [], slots: 2, version: '0.1.0' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await fleet?.close();
    await store?.close();
    await db?.drop();
  });

  async function open(role: 'viewer' | 'operator'): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
    });
    await page.goto(`${api.url}/`);
    await page.fill('#token', api.tokens[role]);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]');
    await page.goto(`${api.url}/workers`);
    await page.locator('[data-worker=w-gpu-1]').waitFor();
    return { context, page, problems };
  }

  it('lists the workers with tags, slots and heartbeat age; an operator drains one behind a confirmation', async () => {
    const { context, page, problems } = await open('operator');
    const gpu = page.locator('[data-worker=w-gpu-1]');
    expect(await gpu.textContent()).toMatch(/w-gpu-1.*gpu-host.*active.*linux.*gpu.*docker/);
    expect(await gpu.textContent()).toMatch(/\d+(\.\d)?(ms|s) ago/);
    await gpu.getByRole('button', { name: 'Drain…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Drain worker' }).click();
    await expect.poll(() => gpu.locator('.state').textContent()).toBe('draining');
    expect((await fleet.listWorkers()).find((w) => w.id === 'w-gpu-1')?.state).toBe('draining');
    expect(await gpu.getByRole('button', { name: 'Drain…' }).count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'workers.png') });
    expect(await axe(page)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('shows a viewer no drain button', async () => {
    const { context, page } = await open('viewer');
    await page.locator('[data-worker=w-cpu-2]').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
    await context.close();
  }, 60_000);
});

