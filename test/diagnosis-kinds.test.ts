/**
 * `baton explain` on the step kinds beyond shell and handler (`npm run build` first): an item
 * of a mapped step that exits non-zero, http steps a real loopback server answers 404 and 503,
 * and a sub-workflow whose child fails; each run by `baton run` on a real SQLite file. The
 * mapped item's recovery is then applied for real and re-runs only that item.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnosis, StepDiagnosis } from '../src/observe/index.js';
import { openSqliteStore } from '../src/index.js';
import { baton, jsonEvents, tempDir } from './helpers.js';
import type { TestServer } from './http-server.js';
import { json, testServer } from './http-server.js';

let dir: string;
let db: string;
let server: TestServer;
let runId: string;
let diag: Diagnosis;
const step = (id: string): StepDiagnosis => diag.steps.find((s) => s.stepId === id)!;

beforeAll(async () => {
  dir = tempDir('baton-diag-kinds-');
  db = join(dir, 'baton.db');
  server = await testServer((req, res) => json(res, req.url.includes('gone') ? 404 : 503, { error: 'nope' }));
  writeFileSync(join(dir, 'child.yaml'), `name: child
steps:
  - id: inner
    run: 'echo "Error: inner broke" >&2; exit 4'
`);
  writeFileSync(join(dir, 'kinds.yaml'), `name: kinds
params:
  n: { type: array, default: [1, 2, 3] }
steps:
  - id: forecast
    map: { items: "\${{ params.n }}", failurePolicy: continue }
    env: { N: "\${{ item }}", DIR: "${dir}" }
    run: 'if [ "$N" = 2 ] && [ ! -f "$DIR/fixed" ]; then echo "Error: series $N has no data" >&2; exit 3; fi'
  - id: gone
    http: { url: "${server.origin}/gone" }
  - id: busy
    http: { url: "${server.origin}/busy" }
  - id: sub
    workflow: ./child.yaml
`);
  const r = await baton(['--db', db, 'run', join(dir, 'kinds.yaml'), '--json'], dir);
  expect(r.code, r.stderr).toBe(1);
  runId = jsonEvents(r.stdout)[0]!.runId;
  const e = await baton(['--db', db, 'explain', runId, '--json'], dir);
  expect(e.code, e.stderr).toBe(0);
  diag = JSON.parse(e.stdout) as Diagnosis;
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('baton explain on mapped, http and sub-workflow steps', () => {
  it('classifies each from its failure record', () => {
    expect(Object.fromEntries(diag.steps.map((s) => [s.stepId, s.class]))).toEqual({
      'forecast[1]': 'exit-nonzero', gone: 'http-status', busy: 'network', sub: 'sub-workflow',
    });
    expect(step('forecast[1]').evidence.some((e) => e.kind === 'log' && e.text === 'Error: series 2 has no data')).toBe(true);
    expect(step('gone').evidence[0]).toMatchObject({ kind: 'failure' });
    expect(step('gone').evidence[0]!.text).toMatch(/answered 404 Not Found/);
    expect(step('gone').summary).toMatch(/^the server answered 404/);
    // The signature is the failure's text, not a log line with its time and URL.
    expect(step('gone').similar.signature).toBe('http-status: GET <url> answered <n> Not Found (expected <n>xx)');
    expect(step('busy').summary).toMatch(/503 answer, which may pass on another try/);
    const child = /child run (\S+)/.exec(step('sub').evidence[0]!.text)![1]!;
    expect(step('sub').summary).toContain(`'baton explain ${child}' diagnoses its steps`);
  });

  it('offers re-runs that name steps of the definition, a mapped item through its mapped step', () => {
    expect(step('forecast[1]').recoveries.map((r) => r.command)).toEqual([`baton retry ${runId} --failed`, `baton retry ${runId} --from forecast`]);
    expect(step('gone').recoveries[0]!.command).toBe(`baton retry ${runId} --from gone`);
    expect(step('busy').recoveries[0]!.command).toBe(`baton retry ${runId} --failed`);
    expect(step('sub').recoveries[0]!.command).toBe(`baton retry ${runId} --from sub`);
  });

  it('diagnoses the failed items when the mapped step is named', async () => {
    const e = await baton(['--db', db, 'explain', runId, 'forecast', '--json'], dir);
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as Diagnosis).steps.map((s) => s.stepId)).toEqual(['forecast[1]']);
  });

  it('applies the mapped item\'s --from recovery: every item runs again, the fixed one succeeds', async () => {
    writeFileSync(join(dir, 'fixed'), '');
    const r = await baton(['--db', db, 'explain', runId, 'forecast[1]', '--apply', '2', '--yes', '--json'], dir);
    expect(r.stderr).toContain('re-running forecast');
    const store = openSqliteStore(db);
    try {
      const steps = await store.getStepRuns(runId);
      expect(steps.filter((s) => s.stepId.startsWith('forecast')).map((s) => [s.stepId, s.state])).toEqual([
        ['forecast', 'succeeded'], ['forecast[0]', 'succeeded'], ['forecast[1]', 'succeeded'], ['forecast[2]', 'succeeded'],
      ]);
      expect((await store.getAttempts(runId, 'forecast[1]')).map((a) => a.state)).toEqual(['failed', 'succeeded']);
      const rerun = (await store.getEvents(runId)).find((ev) => ev.type === 'rerun');
      expect(rerun?.data).toMatchObject({ from: 'forecast', recovery: { stepId: 'forecast[1]', rank: 2, command: `baton retry ${runId} --from forecast` } });
    } finally {
      await store.close();
    }
  }, 30_000);
});
