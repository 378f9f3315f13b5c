/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- API responses are JSON read loosely; the tests check their shape */
/**
 * Batches from files: a folder uploaded as multipart parts is staged with its structure,
 * limits refuse whole uploads naming the file, and a run of a workflow with a batch step
 * over the upload names a broken file at validation, before any group runs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

const BATCH = `name: csv-batch
params:
  files: { type: array, description: the CSV files }
  label: { type: string, default: x }
steps:
  - id: count
    run: 'sed "s/.*/1/" "$BATON_ITEMS_FILE" | paste -sd, - | sed "s/^/[/; s/$/]/" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.files }}"
      groupSize: 2
      validate: { run: 'head -n 1 "$BATON_ITEM" | grep -q "^id," || { echo "no id header"; exit 1; }' }
`;
const PLAIN = `name: plain
steps:
  - id: a
    run: echo hi
`;

function form(files: Record<string, string>): FormData {
  const f = new FormData();
  for (const [name, text] of Object.entries(files)) f.append('file', new Blob([text]), name);
  return f;
}

describe('uploads for batch runs', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ uploads: { maxFileBytes: 1000, maxFiles: 5 } });
    for (const w of [BATCH, PLAIN]) expect((await api.call('POST', '/api/v1/workflows', { body: w, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
  });
  afterAll(async () => api.close());

  async function upload(files: Record<string, string> | FormData, role: 'viewer' | 'operator' = 'operator'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${api.url}/api/v1/uploads`, { method: 'POST', headers: { authorization: `Bearer ${api.tokens[role]}` }, body: files instanceof FormData ? files : form(files) });
    return { status: res.status, body: await res.json() };
  }
  const staged = (): string[] => (existsSync(join(api.dir, 'uploads')) ? readdirSync(join(api.dir, 'uploads')) : []);

  it('stages a dropped folder with its structure, sorted, hashed, an empty file marked', async () => {
    const r = await upload({ 'day/b.csv': 'id,v\n2,b\n', 'day/a.csv': 'id,v\n1,a\n', 'day/sub/empty.csv': '' });
    expect(r.status).toBe(201);
    expect(r.body.files.map((f: { path: string }) => f.path)).toEqual(['day/a.csv', 'day/b.csv', 'day/sub/empty.csv']);
    expect(r.body.files[0]).toMatchObject({ size: 9, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.body.files[2].problem).toBe('empty');
    expect(r.body.bytes).toBe(18);
    expect(readFileSync(join(r.body.dir, 'day', 'b.csv'), 'utf8')).toBe('id,v\n2,b\n');
    const again = await api.call('GET', `/api/v1/uploads/${r.body.id}`, { role: 'viewer' });
    expect(again.body).toEqual(r.body);
    expect((await api.call('DELETE', `/api/v1/uploads/${r.body.id}`, { role: 'operator' })).status).toBe(204);
    expect((await api.call('GET', `/api/v1/uploads/${r.body.id}`, { role: 'viewer' })).status).toBe(404);
  });

  it('refuses a whole upload over a limit or with a bad name, naming the file, keeping nothing', async () => {
    const before = staged();
    const big = await upload({ 'ok.csv': 'id\n', 'huge.csv': 'x'.repeat(1001) });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatchObject({ code: 'file-too-large' });
    expect(big.body.error.message).toContain("'huge.csv'");
    const many = await upload(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.csv`, 'id\n'])));
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('too-many-files');
    const climb = await upload({ '../../etc/passwd': 'x' });
    expect(climb.status).toBe(400);
    expect(climb.body.error.code).toBe('bad-file-name');
    const none = new FormData();
    none.append('note', 'no files here');
    const empty = await upload(none);
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('no-files');
    expect(staged()).toEqual(before);
    expect((await upload({ 'a.csv': 'id\n' }, 'viewer')).status).toBe(403);
  });

  it('starts a batch run over the files; a broken file is named at validation, before any group runs', async () => {
    const r = await upload({ 'in/1.csv': 'id,v\n1\n', 'in/2.csv': 'id,v\n2\n', 'in/broken.csv': 'garbage\n' });
    const plain = await api.call('POST', `/api/v1/uploads/${r.body.id}/runs`, { role: 'operator', body: { workflow: 'plain' } });
    expect(plain.status).toBe(400);
    expect(plain.body.error.code).toBe('no-batch-step');
    const badParam = await api.call('POST', `/api/v1/uploads/${r.body.id}/runs`, { role: 'operator', body: { workflow: 'csv-batch', param: 'nope' } });
    expect(badParam.status).toBe(400);
    expect(badParam.body.error.details.candidates).toEqual(['files', 'label']);

    const started = await api.call('POST', `/api/v1/uploads/${r.body.id}/runs`, { role: 'operator', body: { workflow: 'csv-batch', priority: 3 } });
    expect(started.status).toBe(201);
    expect(started.body.param).toBe('files');
    expect(started.body.run.params.files).toEqual(['1.csv', '2.csv', 'broken.csv'].map((f) => join(r.body.dir, 'in', f)));
    expect(started.body.run.priority).toBe(3);
    const id = started.body.run.id as string;
    const detail = await waitFor(async () => {
      const d = await api.call('GET', `/api/v1/runs/${id}`, { role: 'viewer' });
      return ['failed', 'succeeded'].includes(d.body.run.state) ? d.body : undefined;
    }, 20_000, 'the batch run to end');
    expect(detail.run.state).toBe('failed');
    const step = detail.steps.find((s: { stepId: string }) => s.stepId === 'count');
    expect(JSON.stringify(step.error)).toContain('broken.csv');
    expect(JSON.stringify(step.error)).toContain('no id header');
    expect(JSON.stringify(step.error)).not.toContain('1.csv');

    const good = await upload({ 'in/1.csv': 'id,v\n1\n', 'in/2.csv': 'id,v\n2\n', 'in/3.csv': 'id,v\n3\n' });
    const ok = await api.call('POST', `/api/v1/uploads/${good.body.id}/runs`, { role: 'operator', body: { workflow: 'csv-batch' } });
    const done = await waitFor(async () => {
      const d = await api.call('GET', `/api/v1/runs/${ok.body.run.id}`, { role: 'viewer' });
      return ['failed', 'succeeded'].includes(d.body.run.state) ? d.body : undefined;
    }, 20_000, 'the second batch run to end');
    expect(done.run.state).toBe('succeeded');
    expect(done.steps[0].output.counts).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
    // the run's read also counts the step's items from its stored groups
    expect(done.steps[0].batch).toEqual({ done: 3, failed: 0, invalid: 0, total: 3 });
    expect((await api.call('GET', `/api/v1/uploads/${good.body.id}`, { role: 'viewer' })).body.runs).toEqual([ok.body.run.id]);
  });
});
