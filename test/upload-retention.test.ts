/* eslint-disable @typescript-eslint/no-unsafe-member-access -- API responses are JSON read loosely; the tests check their shape */
/**
 * Retention of staged uploads on a VirtualClock, with real files on disk: a server's
 * retention loop removes an upload no run was started over once it is 7 days old (and a
 * half-written one a crash left), keeps one a run was started over while that run exists,
 * then removes it with its files once the run is deleted by the runs' retention; a config's
 * `uploads` age replaces the 7 days.
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/index.js';
import { retentionAges } from '../src/observe/index.js';
import type { PruneReport } from '../src/observe/index.js';
import { startApi } from './api-helpers.js';
import type { TestApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

const D = 86_400_000;
const BATCH = `name: files
params:
  files: { type: array, default: [] }
steps:
  - id: take
    run: 'printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
`;

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function upload(a: TestApi, files: Record<string, string>): Promise<{ id: string; dir: string }> {
  const f = new FormData();
  for (const [name, text] of Object.entries(files)) f.append('file', new Blob([text]), name);
  const res = await fetch(`${a.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${a.tokens.operator}` }, body: f });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; dir: string };
}

/**
 * Advances the clock by `ms` and runs the server's retention pass at the time reached (a
 * loop's pass the advance fired ran at its own due time, earlier); the pass's report.
 */
async function pass(a: TestApi, clock: VirtualClock, ms: number): Promise<PruneReport> {
  clock.advance(ms);
  await a.server.retention!.current;
  const report = await a.server.retention!.runNow();
  expect(report?.at).toBe(clock.now());
  return report!;
}

describe('retention of staged uploads', () => {
  it('removes unused uploads after 7 days, used ones once their runs are deleted, half-written ones by age', async () => {
    // Starts at the wall clock's time: the API stamps uploads with it.
    const clock = new VirtualClock(Date.now());
    api = await startApi({ clock, retention: {} });
    const a = api;
    expect((await a.call('POST', '/api/v1/workflows', { body: BATCH, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const root = join(a.dir, 'uploads');
    const unused = await upload(a, { 'a.csv': 'id\n1\n' });
    const used = await upload(a, { 'b.csv': 'id\n2\n', 'c.csv': 'id\n3\n' });
    const started = await a.call('POST', `/api/v1/uploads/${used.id}/runs`, { role: 'operator', body: { workflow: 'files' } });
    expect(started.status).toBe(201);
    const runId = started.body.run.id as string;
    await waitFor(async () => (await a.call('GET', `/api/v1/runs/${runId}`)).body.run.state === 'succeeded', 20_000, 'the run over the upload to succeed');
    // a crash mid-upload leaves a partial folder behind, dated now
    const partial = join(root, '0123456789abcdef.partial');
    mkdirSync(join(partial, 'files'), { recursive: true });
    writeFileSync(join(partial, 'files', 'x.csv'), 'id\n');
    const at = clock.now() / 1000;
    utimesSync(partial, at, at);

    // the first pass, a minute in: everything is younger than 7 days
    expect((await pass(a, clock, 60_000)).counts.extra.uploads).toBe(0);
    expect(readdirSync(root).sort()).toEqual([partial.split('/').pop(), unused.id, used.id].sort());
    // 7 days later the unused upload and the partial one go; the used one stays while its run exists
    expect((await pass(a, clock, 7 * D)).counts.extra.uploads).toBe(2);
    expect(readdirSync(root)).toEqual([used.id]);
    expect(existsSync(join(used.dir, 'b.csv'))).toBe(true);
    expect((await a.call('GET', `/api/v1/uploads/${unused.id}`, { role: 'viewer' })).status).toBe(404);
    expect((await a.call('GET', `/api/v1/runs/${runId}`)).status).toBe(200);
    // 30 days after the run ended, the runs' retention deletes it, and its upload's files go in the same pass
    const report = await pass(a, clock, 23 * D);
    expect(report.counts.runs.runs).toBe(1);
    expect(report.counts.extra.uploads).toBe(1);
    expect(readdirSync(root)).toEqual([]);
    expect((await a.call('GET', `/api/v1/runs/${runId}`)).status).toBe(404);
  }, 30_000);

  it('keeps an upload whose folder an unfinished run names, and takes its age from the config', async () => {
    const clock = new VirtualClock(Date.now());
    api = await startApi({ clock, retention: { maxAgeMs: retentionAges({ uploads: '1d' }) } });
    const a = api;
    expect((await a.call('POST', '/api/v1/workflows', { body: BATCH, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const old = await upload(a, { 'a.csv': 'id\n1\n' });
    const named = await upload(a, { 'b.csv': 'id\n2\n' });
    // started through POST /runs with the upload's paths, a day ahead: the manifest names no run, the pending run does
    const later = await a.call('POST', '/api/v1/runs', { body: { workflow: 'files', params: { files: [join(named.dir, 'b.csv')] }, at: clock.now() + 3 * D } });
    expect(later.status).toBe(201);
    expect(later.body.run.state).toBe('pending');
    expect((await pass(a, clock, 60_000)).counts.extra.uploads).toBe(0);
    expect((await pass(a, clock, D)).counts.extra.uploads).toBe(1);
    expect(readdirSync(join(a.dir, 'uploads'))).toEqual([named.id]);
    expect(existsSync(join(old.dir))).toBe(false);
  }, 30_000);
});
