/**
 * Logs from every worker (real PostgreSQL, real processes): a `baton worker` ships each
 * attempt's log to the store as the step writes it, so a reader on another node — a process
 * with its own data folder, which cannot see the worker's file — reads it while the step
 * runs, whole and in order once it ended, and `--follow` ends with the attempt. The shipped
 * bytes are the file's (capped, marker included; chunks of at most 64 KiB). `--grep` and
 * `GET /runs/{id}/logs` search them, through the store or the API.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore } from '../src/index.js';
import { compileWorkflow, openPostgresStore, workflowVersion } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import { createWorker } from '../src/runtime/index.js';
import type { Worker } from '../src/runtime/index.js';
import { processOnStore } from '../src/modes/index.js';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import type { LogSearchResult } from '../src/observe/index.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let procs: CliProcess[] = [];
let coordDir: string;
let workerDir: string;
let readerDir: string;

beforeEach(async () => {
  db = await createTestDatabase();
  coordDir = tempDir('baton-logs-coord-');
  workerDir = tempDir('baton-logs-worker-');
  readerDir = tempDir('baton-logs-reader-');
});
afterEach(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

const chunksOf = (attemptId: string): Promise<{ byte_offset: number; bytes: Buffer }[]> =>
  sql<{ byte_offset: number; bytes: Buffer }>(db.url, 'SELECT byte_offset::int AS byte_offset, bytes FROM attempt_log_chunks WHERE attempt_id = $1 ORDER BY byte_offset', [attemptId]);

/** `baton logs …` from the reader's folder: its own data folder, no access to the worker's files. */
const reader = (args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> =>
  baton(['logs', ...args, '--database-url', db.url], readerDir);

describe('a fleet worker ships its logs', () => {
  it('another node reads them while the step runs, whole and in order after; --follow ends with the attempt; --grep and the API search them', async () => {
    const release = join(coordDir, 'release');
    writeFileSync(join(coordDir, 'flow.yaml'), `name: logs-fleet
steps:
  - id: talk
    run: |
      for i in 1 2 3; do echo "line $i"; sleep 0.2; done
      while [ ! -f '${release}' ]; do sleep 0.05; done
      for i in 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.1; done
      echo "ERROR: disk almost full" >&2
`);
    const worker = spawnBaton(['worker', '--database-url', db.url, '--db', join(workerDir, 'baton.db'), '--slots', '1', '--max-cpu', '1000', '--max-mem', '1'], workerDir);
    procs.push(worker);
    await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= 1, 15_000, 'the worker');
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], coordDir);
    procs.push(run);
    const runId = (await waitFor(() => jsonEvents(run.stdout())[0], 15_000, 'the run to start')).runId;
    const attemptId = `${runId}.talk.1`;

    // While the step waits for the release, a reader elsewhere sees its first lines.
    const early = await waitFor(async () => {
      const r = await reader([runId]);
      return r.stdout.includes('line 3') ? r : undefined;
    }, 20_000, 'the first lines through the store');
    expect(early.code, early.stderr).toBe(0);
    expect(early.stdout).toContain('[talk] line 1\n');
    const [row] = await sql<{ state: string; log_path: string }>(db.url, 'SELECT state, log_path FROM attempts WHERE id = $1', [attemptId]);
    expect(row!.state).toBe('running');
    // The attempt's recorded path is the coordinator's: nothing was written there. The worker's file is in its own folder.
    expect(existsSync(row!.log_path)).toBe(false);
    const workerFile = join(workerDir, 'logs', runId, 'talk.1.log');
    expect(existsSync(workerFile)).toBe(true);

    const follower = spawnBaton(['logs', runId, 'talk', '--follow', '--database-url', db.url], readerDir);
    procs.push(follower);
    await waitFor(() => follower.stdout().includes('line 3'), 15_000, 'the follower to print the first lines');
    writeFileSync(release, 'go');
    expect(await run.exited).toBe(0);
    // --follow ends by itself once the attempt (and its run) ended, with every line.
    expect(await follower.exited).toBe(0);
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
    const followed = follower.stdout().split('\n').filter((l) => l.startsWith('line') || l.startsWith('ERROR'));
    expect(followed).toEqual([...lines, 'ERROR: disk almost full']);

    const whole = await reader([runId, 'talk']);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toBe(`== talk (attempt 1) ==\n${lines.join('\n')}\nERROR: disk almost full\n`);
    // The shipped chunks are the worker's file, byte for byte, in order.
    const chunks = await chunksOf(attemptId);
    expect(chunks.length).toBeGreaterThan(1); // shipped as it went, not at the end
    let at = 0;
    for (const c of chunks) {
      expect(c.byte_offset).toBe(at);
      at += c.bytes.length;
    }
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(readFileSync(workerFile))).toBe(true);

    // Search through the store (no --server): plain, regex, ignore-case, a bad regex refused.
    const plain = await reader([runId, '--grep', 'line 1', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual({
      matches: [{ stepId: 'talk', attempt: 1, line: 1, offset: 0, text: 'line 1' }, { stepId: 'talk', attempt: 1, line: 10, offset: 63, text: 'line 10' }],
      truncated: false,
    });
    const regex = await reader([runId, '--grep', '^line [2-4]$', '--regex']);
    expect(regex.code, regex.stderr).toBe(0);
    expect(regex.stdout).toBe('talk#1:2: line 2\ntalk#1:3: line 3\ntalk#1:4: line 4\n');
    const caseless = await reader([runId, '--grep', 'error:', '-i', '--json']);
    expect((JSON.parse(caseless.stdout) as LogSearchResult).matches).toEqual([{ stepId: 'talk', attempt: 1, line: 11, offset: 71, text: 'ERROR: disk almost full' }]);
    const none = await reader([runId, '--grep', 'nowhere']);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    const bad = await reader([runId, '--grep', 'line (', '--regex']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a valid regular expression');
    const capped = await reader([runId, '--grep', 'line', '--max-matches', '3', '--json']);
    expect(JSON.parse(capped.stdout)).toMatchObject({ truncated: true, matches: [{ line: 1 }, { line: 2 }, { line: 3 }] });

    // A server on another node (its own data folder) serves the same log and search.
    const store = openPostgresStore(db.url);
    let api: TestApi | undefined;
    try {
      api = await startApi({ store });
      const log = await api.call('GET', `/api/v1/runs/${runId}/steps/talk/attempts/1/log?limit=14`, { role: 'viewer' });
      expect(log.status).toBe(200);
      expect(log.text).toBe('line 1\nline 2\n');
      expect(log.headers.get('x-log-next-offset')).toBe('14');
      expect(log.headers.get('x-log-size')).toBe(String(at));
      const tail = await api.call('GET', `/api/v1/runs/${runId}/steps/talk/attempts/1/log?follow=true&offset=14`, { role: 'viewer' });
      expect(tail.text).toBe(`${lines.slice(2).join('\n')}\nERROR: disk almost full\n`);
      const found = await api.call('GET', `/api/v1/runs/${runId.slice(0, 10)}/logs?q=${encodeURIComponent('line [0-9]$')}&regex=true`, { role: 'viewer' });
      expect(found.status).toBe(200);
      const result = found.body as LogSearchResult;
      expect(result.matches.map((m) => m.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(result.truncated).toBe(false);
      const refused = await api.call('GET', `/api/v1/runs/${runId}/logs?q=${encodeURIComponent('[z-a]')}&regex=true`, { role: 'viewer' });
      expect(refused.status).toBe(400);
      expect((refused.body as { error: { code: string } }).error.code).toBe('bad-pattern');
      // Through the CLI against the server: the same answer, the same exit codes.
      const viaServer = await baton(['logs', runId, '--grep', 'line 1', '--server', api.url, '--token', api.tokens.viewer, '--json'], readerDir);
      expect(viaServer.code, viaServer.stderr).toBe(0);
      expect(JSON.parse(viaServer.stdout)).toEqual(JSON.parse(plain.stdout));
      const badViaServer = await baton(['logs', runId, '--grep', '(', '--regex', '--server', api.url, '--token', api.tokens.viewer], readerDir);
      expect(badViaServer.code).toBe(2);
      expect(badViaServer.stderr).toContain('not a valid regular expression');
      const readViaServer = await baton(['logs', runId, 'talk', '--server', api.url, '--token', api.tokens.viewer], readerDir);
      expect(readViaServer.stdout).toBe(whole.stdout);
    } finally {
      await api?.close();
      await store.close();
    }
  }, 60_000);
});

describe('what is shipped', () => {
  let store: PgStore;
  let fleet: PgFleetStore;
  let worker: Worker | undefined;

  beforeEach(() => {
    store = openPostgresStore(db.url);
    fleet = openFleetStore(db.url, { max: 2 });
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    await fleet.close();
    await store.close();
  });

  /** Runs one shell step on an in-process worker with this log cap; returns the attempt id and the worker's file. */
  async function runOnWorker(run: string, logCapBytes: number): Promise<{ attemptId: string; file: string; shipped: number }> {
    worker = createWorker({
      fleet, version: '0.0.0-test', slots: 1, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300, logCapBytes,
      logDir: join(workerDir, 'logs'), logs: store.logs, sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), id: 'w-logs',
    });
    await worker.start();
    const spec = compileWorkflow({ name: 'ship', steps: [{ id: 'big', run }] }, { baseDir: coordDir });
    const proc = processOnStore({ mode: 'embedded', store, fleet, dataDir: coordDir });
    try {
      const handle = await proc.engine().startRun(spec, workflowVersion(spec));
      expect((await handle.result).state).toBe('succeeded');
      return { attemptId: `${handle.id}.big.1`, file: join(workerDir, 'logs', handle.id, 'big.1.log'), shipped: worker.logBytesShipped };
    } finally {
      await proc.close();
    }
  }

  it('a step the coordinator runs itself (a batch step) ships its log too, exactly its file', async () => {
    writeFileSync(join(coordDir, 'flow.yaml'), `name: logs-coord
steps:
  - id: each
    run: 'for f in $(cat "$BATON_ITEMS_FILE"); do echo "item $f"; done; echo "[1,1,1]" > "$BATON_OUTPUT"'
    batch:
      items: "\${{ params.items }}"
      groupSize: 3
params:
  items: { type: array, default: [a, b, c] }
`);
    const run = await baton(['run', 'flow.yaml', '--database-url', db.url, '--json'], coordDir);
    expect(run.code, run.stderr).toBe(0);
    const runId = jsonEvents(run.stdout)[0]!.runId;
    const attemptId = `${runId}.each.1`;
    const [row] = await sql<{ log_path: string }>(db.url, 'SELECT log_path FROM attempts WHERE id = $1', [attemptId]);
    const file = readFileSync(row!.log_path);
    expect(file.toString()).toMatch(/item a\n.*item b\n.*item c\n/s);
    // Shipped as a worker ships: the chunks are the coordinator's file, byte for byte.
    const chunks = await waitFor(async () => {
      const c = await chunksOf(attemptId);
      return Buffer.concat(c.map((x) => x.bytes)).length === file.length ? c : undefined;
    }, 10_000, "the coordinator's chunks");
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(file)).toBe(true);
  });

  it('a step printing past the cap ships the cap and the marker line, exactly the file', async () => {
    const { attemptId, file, shipped } = await runOnWorker("head -c 20000 /dev/zero | tr '\\0' x", 4096);
    const bytes = Buffer.concat((await chunksOf(attemptId)).map((c) => c.bytes));
    const marker = '\n[baton] log truncated at 4096 bytes\n';
    expect(bytes.toString('utf8')).toBe('x'.repeat(4096) + marker);
    expect(bytes.equals(readFileSync(file))).toBe(true);
    expect(shipped).toBe(4096 + marker.length);
  });

  it('a large burst goes out in chunks of at most 64 KiB, contiguous, equal to the file', async () => {
    const { attemptId, file } = await runOnWorker("head -c 300000 /dev/zero | tr '\\0' y; echo; echo done", 1024 * 1024);
    const chunks = await chunksOf(attemptId);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...chunks.map((c) => c.bytes.length))).toBeLessThanOrEqual(64 * 1024);
    let at = 0;
    for (const c of chunks) {
      expect(c.byte_offset).toBe(at);
      at += c.bytes.length;
    }
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(readFileSync(file))).toBe(true);
  });
});
