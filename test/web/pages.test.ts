/**
 * The dashboard's batches, workflows, schedules and workers pages in a real browser
 * (Chromium through playwright-core) against a real server serving the built dashboard
 * (`npm run build:web` first): a folder with a corrupt file uploaded and run until the
 * validation failure names the file, the 413 of a too-large file, the workflow form
 * starting a run with a typed param and showing the API's param error, schedule pause and
 * resume, a viewer without any action button, a batch opened mid-run showing the items of
 * its ended groups at once, a staged upload removed behind a confirmation, a smoke test of
 * a PostgreSQL fleet server whose worker runs the steps (overview, live DAG, retry, alerts,
 * upload-run), and on every page no serious or critical axe-core violation and no
 * Content-Security-Policy violation, page error or dialog.
 * The browser side is the dashboard harness (`browser.ts`); the server is `serve()` in this
 * process (`startApi`) rather than the built CLI, because these tests need what the CLI does
 * not set: small upload limits (a 413 without a 100 MiB file) and a PostgreSQL fleet.
 * Screenshots go to `test-artifacts/`; the batches page's also to `docs/screenshots/`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../api-helpers.js';
import type { TestApi } from '../api-helpers.js';
import { ROOT, tempDir } from '../helpers.js';
import type { PageWatch } from './browser.js';
import { axeViolations, closeWatched, launchBrowser, login, screenshot, watchedPage } from './browser.js';
import { createTestDatabase } from '../pg-helpers.js';
import type { TestDatabase } from '../pg-helpers.js';
import { openPostgresStore } from '../../src/index.js';
import type { PgStore } from '../../src/index.js';
import { openFleetStore } from '../../src/store/index.js';
import type { PgFleetStore } from '../../src/store/index.js';

const WEB_DIR = join(ROOT, 'dist', 'web');
if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error('the dashboard page tests need the built dashboard: run `npm run build:web` first');

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
const HOOKS = `name: hooks-demo
steps:
  - id: work
    run: exit 3
onFailure:
  - id: page
    run: 'echo "failed: $BATON_FAILED_STEPS"'
finally:
  - id: cleanup
    run: echo cleanup-ran
`;
const SLOW_BATCH = `name: slow-batch
params:
  files: { type: array, default: [] }
steps:
  - id: work
    run: 'sleep 0.7; printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
      groupSize: 1
`;
const TWO_PARAMS = `name: two-lists
params:
  inbox: { type: array, default: [] }
  archive: { type: array, default: [] }
steps:
  - id: take
    run: 'printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.inbox || params.archive }}"
`;
const GREET_V2 = GREET.replace('description: Greets people.', 'description: Greets people twice.');

let browser: Browser;
let closeBrowser: () => Promise<void>;
const pages: PageWatch[] = [];

beforeAll(async () => {
  ({ browser, close: closeBrowser } = await launchBrowser());
}, 60_000);
afterAll(async () => closeBrowser?.());
afterEach(() => closeWatched(pages));

/** A watched page signed in to `api` with `role`'s token, at `path`. */
async function signedIn(api: TestApi, role: 'viewer' | 'operator', path: string): Promise<PageWatch> {
  const w = await watchedPage(browser);
  pages.push(w);
  await login(w, api.url, api.tokens[role]);
  await w.page.goto(api.url + path);
  return w;
}

describe('dashboard pages in a browser', () => {
  let api: TestApi;
  let folder: string;

  beforeAll(async () => {
    api = await startApi({ webDir: WEB_DIR, uploads: { maxFileBytes: 2000 } });
    for (const w of [BATCH, SLOW_BATCH, TWO_PARAMS, GREET, GREET_V2, TICK, HOOKS]) expect((await api.call('POST', '/api/v1/workflows', { body: w, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    folder = tempDir('baton-pages-');
    mkdirSync(join(folder, 'day', 'sub'), { recursive: true });
    writeFileSync(join(folder, 'day', 'a.csv'), 'id,v\n1,a\n');
    writeFileSync(join(folder, 'day', 'b.csv'), 'id,v\n2,b\n');
    writeFileSync(join(folder, 'day', 'sub', 'broken.csv'), 'id,v\nCORRUPT\n');
    writeFileSync(join(folder, 'huge.csv'), 'x'.repeat(3000));
  }, 60_000);
  afterAll(async () => api?.close());

  it('uploads a folder with a corrupt file: the run fails at validation naming the file, on the page', async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
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
    await screenshot(page, 'batches', true);
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('follows a batch live group by group, then saves its result as <run>-<step>.json', async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
    await page.setInputFiles('[data-testid=pick-files]', [join(folder, 'day', 'a.csv'), join(folder, 'day', 'b.csv')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('staged-files').waitFor();
    await page.getByTestId('batch-workflow').selectOption('slow-batch');
    await page.getByRole('button', { name: 'Start run' }).click();
    const step = page.locator('[data-testid=batch-step][data-step=work]');
    await step.waitFor({ timeout: 20_000 });
    // the first group's end reaches the page from the live feed while the step still runs
    await expect.poll(async () => (await step.locator('.state').textContent()) === 'running' && (await step.getByTestId('batch-counts').count()) > 0 ? step.getByTestId('batch-counts').textContent() : '', { timeout: 20_000, interval: 50 }).toMatch(/1 done.*of 2 items/);
    const save = step.getByRole('button', { name: 'Download result' });
    await save.waitFor({ timeout: 20_000 });
    expect(await step.getByTestId('batch-counts').textContent()).toMatch(/2 done.*0 failed.*of 2 items/);
    const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
    const runId = new URL(page.url()).searchParams.get('run');
    expect(download.suggestedFilename()).toBe(`${runId}-work.json`);
    const saved = JSON.parse(readFileSync(await download.path(), 'utf8')) as { counts: { total: number; succeeded: number } };
    expect(saved.counts).toMatchObject({ total: 2, succeeded: 2 });
  }, 60_000);

  it('opened while a batch runs, shows the items of the groups already ended at once, then follows the rest live', async () => {
    const gate = join(folder, 'open-slow');
    const gated = `name: gated-batch
params:
  files: { type: array, default: [] }
steps:
  - id: work
    run: 'case "$BATON_ITEMS" in *slow*) while [ ! -e "${gate}" ]; do sleep 0.05; done;; esac; printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
      groupSize: 1
      concurrency: 1
`;
    expect((await api.call('POST', '/api/v1/workflows', { body: gated, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const started = await api.call('POST', '/api/v1/runs', { body: { workflow: 'gated-batch', params: { files: ['a', 'b', 'slow', 'd'] } } });
    const runId = (started.body as { run: { id: string } }).run.id;
    // two groups ended, the third holds until the gate opens: no group ends while the page opens
    await expect.poll(async () => ((await api.call('GET', `/api/v1/runs/${runId}`, { role: 'viewer' })).body as { steps: { batch?: { done: number } }[] }).steps[0]?.batch?.done, { timeout: 20_000, interval: 50 }).toBe(2);
    const { page } = await signedIn(api, 'viewer', `/batches?run=${runId}`);
    const step = page.locator('[data-testid=batch-step][data-step=work]');
    await step.getByTestId('batch-counts').waitFor();
    expect(await step.getByTestId('batch-counts').textContent()).toMatch(/2 done.*0 failed.*of 4 items/);
    expect(await step.locator('.state').textContent()).toBe('running');
    expect(await step.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('2');
    writeFileSync(gate, '');
    await expect.poll(() => step.getByTestId('batch-counts').textContent(), { timeout: 20_000 }).toMatch(/4 done.*0 failed.*of 4 items/);
  }, 60_000);

  it('removes a staged upload and its files behind a confirmation', async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
    await page.setInputFiles('[data-testid=pick-files]', [join(folder, 'day', 'a.csv')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('staged-files').waitFor();
    const id = /in upload ([0-9a-f]{16})/.exec((await page.getByRole('region', { name: '2. Staged' }).textContent()) ?? '')?.[1];
    expect(id).toBeDefined();
    expect(existsSync(join(api.dir, 'uploads', id!))).toBe(true);
    // Back keeps it
    await page.getByRole('button', { name: 'Remove upload…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Back' }).click();
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(existsSync(join(api.dir, 'uploads', id!))).toBe(true);
    await page.getByRole('button', { name: 'Remove upload…' }).click();
    expect(await page.getByRole('dialog').textContent()).toContain(`Remove upload ${id} and its 1 file`);
    await page.getByRole('dialog').getByRole('button', { name: 'Remove upload' }).click();
    await page.getByTestId('upload-removed').waitFor();
    expect(await page.getByTestId('staged-files').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0);
    expect((await api.call('GET', `/api/v1/uploads/${id}`, { role: 'viewer' })).status).toBe(404);
    expect(existsSync(join(api.dir, 'uploads', id!))).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it("offers the API's candidates when it cannot tell which param receives the files", async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
    await page.setInputFiles('[data-testid=pick-files]', [join(folder, 'day', 'a.csv')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('staged-files').waitFor();
    await page.getByTestId('batch-workflow').selectOption('two-lists');
    await page.getByRole('button', { name: 'Start run' }).click();
    await expect.poll(() => page.getByRole('alert').allTextContents()).toContainEqual(expect.stringContaining("say which param of 'two-lists' receives the files"));
    expect(await page.getByText('Choose one of:').textContent()).toContain('inbox, archive');
    await page.getByTestId('batch-param').selectOption('archive');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/batches\?run=/);
    const runId = new URL(page.url()).searchParams.get('run')!;
    const run = (await api.call('GET', `/api/v1/runs/${runId}`, { role: 'viewer' })).body as { run: { params: { archive: string[]; inbox: string[] } } };
    expect(run.run.params.archive).toEqual([expect.stringMatching(/\/files\/a\.csv$/)]);
    expect(run.run.params.inbox).toEqual([]);
  }, 60_000);

  it('shows the 413 of a file over the limit, naming it', async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
    await page.setInputFiles('[data-testid=pick-files]', [join(folder, 'huge.csv'), join(folder, 'day', 'a.csv')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    const error = page.getByTestId('upload-error').getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toContain("file 'huge.csv' is over 2000 bytes");
    await screenshot(page, 'batches-413');
  }, 60_000);

  it('takes files dropped on the drop zone; an empty one is marked once staged', async () => {
    const { page } = await signedIn(api, 'operator', '/batches');
    await page.getByTestId('dropzone').waitFor();
    // a drop as the browser makes one, with a DataTransfer of files (no folder entries: the page falls back to its files)
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['id,v\\n1,a\\n'], 'one.csv'));
      dt.items.add(new File([], 'empty.csv'));
      document.querySelector('[data-testid=dropzone]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => page.textContent('[data-testid=picked]')).toContain('2 files');
    await page.getByRole('button', { name: 'Upload' }).click();
    const empty = page.getByTestId('staged-files').locator('tr.problem');
    await empty.waitFor();
    expect(await empty.textContent()).toBe('empty.csv0 Bempty');
  }, 60_000);

  it('shows a viewer the batches page read-only', async () => {
    const { page } = await signedIn(api, 'viewer', '/batches');
    await page.getByTestId('read-only').waitFor();
    expect(await page.locator('main button, main input').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Remove upload…' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('starts a run from the workflow form with a typed param, after a type check here and a param error from the API', async () => {
    const { page } = await signedIn(api, 'operator', '/workflows');
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
    await screenshot(page, 'workflow-form');
    expect(await axeViolations(page)).toEqual([]);
    await page.fill('[name=count]', '3');
    await page.fill('[name=who]', 'there');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    const params = JSON.parse((await page.getByTestId('run-params').textContent()) ?? '') as Record<string, unknown>;
    expect(params).toEqual({ count: 3, who: 'there', loud: false, tags: ['a', 'b'] });
  }, 60_000);

  it('draws hook steps after the main graph, their edges dashed and named onFailure and finally', async () => {
    const runId = ((await api.call('POST', '/api/v1/runs', { body: { workflow: 'hooks-demo' } })).body as { run: { id: string } }).run.id;
    const { page } = await signedIn(api, 'viewer', `/runs/${runId}`);
    const node = (id: string) => page.locator(`.dag-node[data-step=${id}]`);
    await expect.poll(() => node('cleanup').getAttribute('data-state').catch(() => null), { timeout: 15_000 }).toBe('succeeded');
    expect(await node('work').getAttribute('data-state')).toBe('failed');
    expect(await node('page').getAttribute('data-state')).toBe('succeeded');
    expect((await page.locator('.react-flow__edge-text').allTextContents()).sort()).toEqual(['finally', 'onFailure']);
    const [workBox, pageBox, cleanupBox] = await Promise.all([node('work').boundingBox(), node('page').boundingBox(), node('cleanup').boundingBox()]);
    expect(workBox!.y).toBeLessThan(pageBox!.y);
    expect(pageBox!.y).toBeLessThan(cleanupBox!.y);
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('compares two versions of a workflow line by line and draws its graph', async () => {
    const { page } = await signedIn(api, 'viewer', '/workflows/greet?tab=diff');
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.locator('.d-del').allTextContents()).toEqual([expect.stringContaining('"description": "Greets people."')]);
    expect(await diff.locator('.d-add').allTextContents()).toEqual([expect.stringContaining('"description": "Greets people twice."')]);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Graph' }).click();
    await page.locator('.dag-node[data-step=bye]').waitFor();
    await page.getByRole('button', { name: 'Start a run' }).click();
    await page.getByTestId('read-only').waitFor();
    expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0);
    await page.goto(`${api.url}/workflows`);
    await page.getByTestId('workflows').waitFor();
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('pauses and resumes a schedule behind a confirmation, with next fire times in its zone and its last runs', async () => {
    const { page } = await signedIn(api, 'operator', '/schedules');
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
    await screenshot(page, 'schedules');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('shows a viewer no action button on the schedules page', async () => {
    const { page } = await signedIn(api, 'viewer', '/schedules');
    await page.locator('[data-schedule="greet/nightly"]').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
  }, 60_000);

  it('says the server runs without a fleet on SQLite', async () => {
    const { page } = await signedIn(api, 'operator', '/workers');
    expect(await page.getByTestId('no-fleet').textContent()).toContain('this server runs without a fleet');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);
});

describe('the workers page of a fleet (PostgreSQL) in a browser', () => {
  let db: TestDatabase;
  let store: PgStore;
  let fleet: PgFleetStore;
  let api: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = openPostgresStore(db.url);
    fleet = openFleetStore(db.url, { max: 2 });
    api = await startApi({ store, fleet, webDir: WEB_DIR });
    // as `baton worker` registers it: the detected tags (arch, tools, gpu) and the machine's facts
    await fleet.registerWorker({
      id: 'w-gpu-1', host: 'gpu-host', pid: 41, platform: 'linux', tags: ['arm64', 'docker', 'gpu', 'kubectl'], slots: 4, version: '0.1.0',
      facts: { arch: 'arm64', cpus: 16, memoryBytes: 64 * 2 ** 30 },
    });
    await fleet.registerWorker({ id: 'w-cpu-2', host: 'cpu-host', pid: 42, platform: 'linux', tags: [], slots: 2, version: '0.1.0' });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await fleet?.close();
    await store?.close();
    await db?.drop();
  });

  it('lists the workers with tags, machine, slots and heartbeat age; an operator drains one behind a confirmation', async () => {
    const { page } = await signedIn(api, 'operator', '/workers');
    const gpu = page.locator('[data-worker=w-gpu-1]');
    await gpu.waitFor();
    expect(await gpu.textContent()).toMatch(/w-gpu-1.*gpu-host.*active.*linux.*arm64.*docker.*gpu.*kubectl/);
    expect(await gpu.getByTestId('machine').textContent()).toBe('arm64, 16 CPUs, 64.0 GiB');
    // a worker of an older baton registered no facts
    expect(await page.locator('[data-worker=w-cpu-2]').getByTestId('machine').textContent()).toBe('—');
    expect(await gpu.textContent()).toMatch(/\d+(\.\d)?(ms|s) ago/);
    await gpu.getByRole('button', { name: 'Drain…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Drain worker' }).click();
    await expect.poll(() => gpu.locator('.state').textContent()).toBe('draining');
    expect((await fleet.listWorkers()).find((w) => w.id === 'w-gpu-1')?.state).toBe('draining');
    expect(await gpu.getByRole('button', { name: 'Drain…' }).count()).toBe(0);
    await screenshot(page, 'workers');
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it("shows a throttled worker's limit against its slots and why", async () => {
    await fleet.heartbeatWorker('w-cpu-2', { cpu: 0.97, mem: 2 ** 30, slotsInUse: 1, throttled: true, limit: 1, limitReason: 'cpu 97 % > 80 %' });
    const { page } = await signedIn(api, 'viewer', '/workers');
    const row = page.locator('[data-worker=w-cpu-2]');
    await row.getByTestId('throttle').waitFor();
    expect(await row.getByTestId('throttle').textContent()).toBe('limit 1 of 2: cpu 97 % > 80 %');
    expect(await row.textContent()).toContain('(busy: claims nothing)');
  }, 60_000);

  it('shows a viewer no drain button', async () => {
    const { page } = await signedIn(api, 'viewer', '/workers');
    await page.locator('[data-worker=w-cpu-2]').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
  }, 60_000);

  it('smoke: overview, a live DAG, a retry behind its confirmation, an alert and an upload-run, with the server\'s worker running the steps', async () => {
    const gates = tempDir('baton-pg-gates-');
    const flow = `name: pg-flow
steps:
  - id: a
    run: echo a
  - id: b
    needs: [a]
    run: 'while [ ! -e "${join(gates, 'b')}" ]; do sleep 0.05; done'
  - id: c
    needs: [b]
    run: echo c
`;
    // fails its first attempt, succeeds once retried
    const flaky = `name: pg-flaky
steps:
  - id: once
    run: 'if [ -e "${join(gates, 'tried')}" ]; then echo ok; else touch "${join(gates, 'tried')}"; echo first try fails; exit 3; fi'
`;
    const files = `name: pg-files
params:
  files: { type: array, default: [] }
steps:
  - id: take
    run: 'printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
`;
    for (const w of [flow, flaky, files]) expect((await api.call('POST', '/api/v1/workflows', { body: w, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const start = async (workflow: string): Promise<string> => ((await api.call('POST', '/api/v1/runs', { body: { workflow } })).body as { run: { id: string } }).run.id;
    const flowRun = await start('pg-flow');
    const flakyRun = await start('pg-flaky');
    const { page } = await signedIn(api, 'operator', '/');

    // the overview: the active run with its progress, a step done of three
    const row = page.getByRole('row').filter({ hasText: flowRun });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/pg-flow.*running.*1\/3/);

    // the run page: its DAG follows the worker, step by step
    await row.getByRole('link', { name: flowRun }).click();
    const node = (id: string) => page.locator(`.dag-node[data-step=${id}]`);
    await expect.poll(() => node('b').getAttribute('data-state'), { timeout: 15_000 }).toBe('running');
    expect(await node('a').getAttribute('data-state')).toBe('succeeded');
    expect(await node('c').getAttribute('data-state')).toBe('pending');
    writeFileSync(join(gates, 'b'), '');
    await expect.poll(() => node('c').getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded');

    // the alerts page: the failed run's alert
    await page.getByRole('navigation').getByRole('link', { name: 'Alerts', exact: true }).click();
    await expect.poll(() => page.getByRole('table').first().textContent().catch(() => ''), { timeout: 15_000 }).toContain('pg-flaky');

    // an operator retries the failed step behind the confirmation; the worker runs it again
    await page.goto(`${api.url}/runs/${flakyRun}`);
    await page.getByRole('button', { name: 'Retry failed…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry failed steps' }).click();
    await expect.poll(() => node('once').getAttribute('data-state'), { timeout: 15_000 }).toBe('succeeded');
    const retried = (await api.call('GET', `/api/v1/runs/${flakyRun}`, { role: 'viewer' })).body as { run: { state: string }; attempts: { worker?: string }[] };
    expect(retried.run.state).toBe('succeeded');
    // both attempts ran on a fleet worker (the server's own), which names itself on each
    expect(retried.attempts.map((x) => x.worker)).toEqual([expect.any(String), expect.any(String)]);

    // the batches page: files uploaded, a run started over them and followed to its end
    await page.getByRole('navigation').getByRole('link', { name: 'Batches', exact: true }).click();
    await page.setInputFiles('[data-testid=pick-files]', [join(gates, 'b'), join(gates, 'tried')]);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByTestId('staged-files').waitFor();
    await page.getByTestId('batch-workflow').selectOption('pg-files');
    await page.getByRole('button', { name: 'Start run' }).click();
    const step = page.locator('[data-testid=batch-step][data-step=take]');
    await expect.poll(() => step.getByTestId('batch-counts').textContent().catch(() => ''), { timeout: 15_000 }).toMatch(/2 done.*0 failed.*of 2 items/);
    rmSync(gates, { recursive: true, force: true });
  }, 60_000);
});

