/**
 * `baton explain` and `GET /runs/{id}/diagnosis` on real failures of real steps (`npm run
 * build` first): a timeout, a missing command, a refused connection, a handler throwing, a
 * handler past its step's memory limit, memory refused under `ulimit -v`, a declared secret
 * left unset, a permission denied and a secret in a failing step's log, each run by `baton
 * run` on a real SQLite file; then a seeded history in which one failure was ended by a retry
 * and another by a param change.
 */
import { appendFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { Diagnosis, StepDiagnosis } from '../src/observe/index.js';
import { startApi } from './api-helpers.js';
import type { TestApi } from './api-helpers.js';
import { baton, jsonEvents, tempDir } from './helpers.js';

const SECRET = 'diag-secret-Xq81-token';

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const connect = `node -e "require('net').connect(+process.env.PORT,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',(e)=>{console.error('Error: '+e.message);process.exit(1)})"`;

let dir: string;
let db: string;
let failedRun: string;
let diag: Diagnosis;
const step = (id: string): StepDiagnosis => diag.steps.find((s) => s.stepId === id)!;

beforeAll(async () => {
  dir = tempDir('baton-diag-');
  db = join(dir, 'baton.db');
  const port = await closedPort();
  writeFileSync(join(dir, 'h.mjs'), "export function boom() {\n  throw new TypeError('bad input record 42');\n}\nexport function hog() {\n  const kept = [];\n  for (;;) kept.push(Array.from({ length: 100000 }, (_, i) => i));\n}\n");
  writeFileSync(join(dir, 'noexec.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(dir, 'noexec.sh'), 0o644);
  writeFileSync(join(dir, 'failures.yaml'), `name: failures
secrets:
  - { name: TOKEN, env: DIAG_TOKEN }
steps:
  - id: slow
    run: sleep 5
    timeout: 200ms
  - id: missing
    run: no-such-command-diag --version
  - id: missing-in-shell
    run: 'no-such-command-diag --version; exit $?'
  - id: refused
    env: { PORT: "${port}" }
    run: ${JSON.stringify(connect)}
  - id: throws
    uses: ./h.mjs#boom
  - id: heap
    uses: ./h.mjs#hog
    memory: 64MiB
  - id: memory
    run: 'ulimit -v 200000; python3 -c "x = [bytearray(10**7) for _ in range(10**6)]"'
  - id: denied
    run: ./noexec.sh
  - id: produce
    run: 'echo "{\\"link\\": \\"http://x\\"}" > "$BATON_OUTPUT"'
  - id: consume
    needs: [produce]
    env: { URL: "\${{ steps.produce.output.url }}" }
    run: 'test -n "$URL" || { echo "usage: consume URL" >&2; exit 2; }'
  - id: leaks
    run: 'echo "calling with $TOKEN"; echo "fatal: token $TOKEN was rejected" >&2; exit 3'
`);
  const r = await baton(['--db', db, 'run', join(dir, 'failures.yaml'), '--json'], dir, { DIAG_TOKEN: SECRET });
  failedRun = jsonEvents(r.stdout)[0]!.runId;
  const e = await baton(['--db', db, 'explain', failedRun, '--json'], dir, { DIAG_TOKEN: SECRET });
  expect(e.code, e.stderr).toBe(0);
  diag = JSON.parse(e.stdout) as Diagnosis;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('baton explain on real failures', () => {
  it('classifies each failed step from its evidence', () => {
    expect(Object.fromEntries(diag.steps.map((s) => [s.stepId, s.class]))).toEqual({
      slow: 'timeout', consume: 'output-missing', missing: 'command-not-found', 'missing-in-shell': 'command-not-found', refused: 'network', throws: 'handler-exception', heap: 'memory', memory: 'memory', denied: 'permission-denied', leaks: 'exit-nonzero',
    });
    expect(step('slow').evidence[0]).toMatchObject({ kind: 'failure' });
    // A plain command is spawned without a shell (ENOENT); inside a shell it exits 127.
    expect(step('missing').evidence[0]!.text).toMatch(/^spawn: .*ENOENT/);
    expect(step('missing-in-shell').evidence).toContainEqual(expect.objectContaining({ kind: 'exit-code', text: 'exit code 127' }));
    expect(step('missing-in-shell').evidence.some((e) => e.kind === 'log' && /not found/.test(e.text))).toBe(true);
    const line = step('refused').evidence.find((e) => e.kind === 'log')!;
    expect(line.text).toMatch(/ECONNREFUSED/);
    expect(line.line).toBe(1);
    expect(line.offset).toBe(0);
    expect(step('throws').evidence.map((e) => e.text).join('\n')).toMatch(/top frame: .*h\.mjs/);
    expect(step('consume').evidence[0]).toMatchObject({ kind: 'output', text: "steps.produce.output.url: step 'produce' output has no 'url' (it has: link)" });
    expect(step('consume').recoveries[0]!.command).toBe(`baton retry ${failedRun} --from produce`);
    // Refused memory as it grew under ulimit -v (node would fail at start, reserving its code range).
    expect(step('memory').evidence.some((e) => e.kind === 'log' && e.text === 'MemoryError')).toBe(true);
    // baton's own limit: a new run with a raised memory setting, not a retry elsewhere.
    expect(step('heap').evidence[0]!.text).toMatch(/^memory-limit: the handler went past its memory limit of 64 MiB/);
    expect(step('heap').recoveries[0]!.command).toBe(`baton run ${join(dir, 'failures.yaml')}`);
    expect(step('denied').evidence.map((e) => e.text).join('\n')).toMatch(/EACCES|Permission denied|exit code 126/);
  });

  it('names a declared secret that has no value where the step ran', async () => {
    writeFileSync(join(dir, 'unset.yaml'), 'name: unset\nsecrets:\n  - { name: API_KEY, env: DIAG_UNSET_KEY }\nsteps:\n  - id: call\n    run: \'test -n "$API_KEY"\'\n');
    const r = await baton(['--db', db, 'run', join(dir, 'unset.yaml'), '--json'], dir);
    const e = await baton(['--db', db, 'explain', jsonEvents(r.stdout)[0]!.runId, '--json'], dir);
    const d = (JSON.parse(e.stdout) as Diagnosis).steps[0]!;
    expect(d.class).toBe('secret-missing');
    expect(d.evidence[0]!.text).toContain('secret "API_KEY" is not set: set the environment variable DIAG_UNSET_KEY');
    expect(d.recoveries[0]!.reason).toMatch(/^set the secret where the step runs, then retry/);
  });

  it('masks the secret in every quoted line', () => {
    const leaks = step('leaks');
    expect(JSON.stringify(diag)).not.toContain(SECRET);
    expect(leaks.evidence.some((e) => e.kind === 'log' && e.text === 'fatal: token *** was rejected')).toBe(true);
  });

  it('masks with the run\'s secrets what reached the log unmasked', async () => {
    const show = JSON.parse((await baton(['--db', db, 'show', failedRun, '--json'], dir)).stdout) as { attempts: { stepId: string; logPath: string }[] };
    appendFileSync(show.attempts.find((a) => a.stepId === 'leaks')!.logPath, `error: raw ${SECRET} here\n`);
    const e = await baton(['--db', db, 'explain', failedRun, 'leaks', '--json'], dir, { DIAG_TOKEN: SECRET });
    expect(e.stdout).not.toContain(SECRET);
    expect((JSON.parse(e.stdout) as Diagnosis).steps[0]!.evidence.map((x) => x.text)).toContain('error: raw *** here');
  });

  it('offers retries that exist, none applied, and prints readable text', async () => {
    expect(step('refused').recoveries[0]!.command).toBe(`baton retry ${failedRun} --failed`);
    expect(step('slow').recoveries.map((r) => r.command)).toContain(`baton retry ${failedRun} --from slow`);
    const t = await baton(['--db', db, 'explain', failedRun, 'refused'], dir);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain('STEP refused  attempt 1  NETWORK');
    expect(t.stdout).toMatch(/e\d+ {2}Error: connect ECONNREFUSED/);
    expect(t.stdout).toContain('recoveries (none applied)');
    expect(t.stdout).not.toContain('STEP slow');
    const bad = await baton(['--db', db, 'explain', failedRun, 'nope'], dir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("no step 'nope'");
  });
});

describe('similar failures in a seeded history', () => {
  let server: Server;
  let hdir: string;
  let last: string;
  let d: StepDiagnosis;

  beforeAll(async () => {
    hdir = join(dir, 'history');
    mkdirSync(hdir);
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const open = (server.address() as AddressInfo).port;
    const closed = await closedPort();
    const file = join(hdir, 'calls.yaml');
    writeFileSync(file, `name: calls
params:
  port: { type: number, required: true }
steps:
  - id: call
    env: { PORT: "\${{ params.port }}", DIR: "${hdir}" }
    run: ${JSON.stringify(`if [ -f "$DIR/up" ]; then exit 0; fi; ${connect}`)}
`);
    const run = async (p: number): Promise<string> => jsonEvents((await baton(['--db', db, 'run', file, '--json', '--param', `port=${p}`], hdir)).stdout)[0]!.runId;
    const a = await run(closed);
    writeFileSync(join(hdir, 'up'), '');
    expect((await baton(['--db', db, 'retry', a, '--failed', '-q'], hdir)).code).toBe(0);
    rmSync(join(hdir, 'up'));
    await run(closed);
    await run(open);
    last = await run(closed);
    const e = await baton(['--db', db, 'explain', last, '--json'], hdir);
    expect(e.code, e.stderr).toBe(0);
    d = (JSON.parse(e.stdout) as Diagnosis).steps[0]!;
  }, 60_000);

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('lists the earlier failures with what ended each', () => {
    expect(d.class).toBe('network');
    expect(d.similar.items.map((s) => s.endedBy)).toEqual(['param-change', 'retry']);
    expect(d.similar.items[0]!.fix?.params?.[0]?.key).toBe('port');
    expect(d.changes.baseline).toBeDefined();
    expect(d.changes.params.map((p) => p.key)).toEqual(['port']);
    // Memory against the step's history: its successes with a peak sampled (the retried
    // attempt exits at once, often before a sample; the open port's runs node).
    expect(d.changes.peakRss.successes).toBeGreaterThanOrEqual(1);
    expect(d.changes.peakRss.p95Bytes).toBeGreaterThan(0);
  });

  it('ranks the param change that ended the same failure first', () => {
    const open = (server.address() as AddressInfo).port;
    expect(d.recoveries[0]!.command).toBe(`baton run ${join(hdir, 'calls.yaml')} --param port=${open}`);
    expect(d.recoveries[0]!.evidence).toContain('s1');
    expect(d.recoveries.map((r) => r.command)).toContain(`baton retry ${last} --failed`);
  });
});

describe('GET /api/v1/runs/{id}/diagnosis', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: openSqliteStore(db) });
  });
  afterAll(async () => {
    const { store } = api;
    await api.close();
    await store.close();
  });

  it('answers a viewer with the shape of baton explain --json', async () => {
    const r = await api.call('GET', `/api/v1/runs/${failedRun}/diagnosis?step=refused`, { role: 'viewer' });
    expect(r.status, r.text).toBe(200);
    const body = r.body as Diagnosis;
    expect(body.steps.map((s) => s.class)).toEqual(['network']);
    const cli = await baton(['--server', api.url, 'explain', failedRun, 'refused', '--json'], dir, { BATON_TOKEN: api.tokens.viewer });
    expect(cli.code, cli.stderr).toBe(0);
    const viaCli = JSON.parse(cli.stdout) as Diagnosis;
    expect(viaCli.steps[0]!.evidence).toEqual(body.steps[0]!.evidence);
    expect((await api.call('GET', `/api/v1/runs/${failedRun}/diagnosis?step=nope`, { role: 'viewer' })).status).toBe(404);
    expect((await api.call('GET', '/api/v1/runs/zzzzzzzz/diagnosis', { role: 'viewer' })).status).toBe(404);
    expect((await api.call('GET', `/api/v1/runs/${failedRun}/diagnosis`, { role: 'none' })).status).toBe(401);
  });
});
