/**
 * Secrets on a fleet worker (a real `baton worker` process on a real PostgreSQL): the task
 * carries only names and sources, the worker reads the values from its own environment, and
 * what it reports (output, error) and logs is masked. A fresh database per test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetTask } from '../src/runtime/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { compileWorkflow } from '../src/index.js';
import { openFleetStore } from '../src/store/index.js';
import { taskToJson } from '../src/runtime/index.js';
import { spawnBaton, tempDir, waitFor } from './helpers.js';
import type { CliProcess } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

const TOKEN = 'worker-only-7c6b5a4d3e';

let db: TestDatabase;
let fleet: PgFleetStore;
let dir: string;
let worker: CliProcess | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  fleet = openFleetStore(db.url, { max: 2 });
  dir = tempDir('baton-worker-secrets-');
});

afterEach(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  worker = undefined;
  await fleet.close();
  await db.drop();
});

async function publish(runId: string, run: string): Promise<FleetTask> {
  const spec = compileWorkflow({ name: 'wf', secrets: [{ name: 'API_TOKEN', env: 'WORKER_SECRETS_TOKEN' }], steps: [{ id: 'a', run }] }, { baseDir: dir });
  const attemptId = `${runId}.a.1`;
  const task: FleetTask = {
    workflow: 'wf', version: 'v1', baseDir: dir, step: spec.steps[0]!, runId, stepId: 'a', attemptId, attempt: 1, cwd: dir,
    env: {}, params: {}, inputs: null, outputs: {}, logPath: join(dir, 'logs', runId, 'a.1.log'), secrets: spec.secrets!,
  };
  await fleet.enqueueAttempts([{ id: attemptId, runId, stepId: 'a', number: 1, startedAt: Date.now(), priority: 0, task: taskToJson(task) }]);
  return task;
}

const completed = (runId: string) =>
  waitFor(async () => (await fleet.takeCompleted([runId]))[0], 15_000, `the attempt of ${runId}`).catch((e: unknown) => {
    throw new Error(`${String(e)}; the worker printed:\n${worker?.stdout() ?? ''}${worker?.stderr() ?? ''}`);
  });

/** A `baton worker` process; --max-cpu keeps it claiming on a machine busy with other tests. */
const startWorker = (env: NodeJS.ProcessEnv = {}): CliProcess => spawnBaton(['worker', '--database-url', db.url, '--max-cpu', '1000'], dir, env);

describe('secrets on a fleet worker', () => {
  it('the worker reads the value from its own environment; log and output are masked; the database never holds it', async () => {
    expect(process.env.WORKER_SECRETS_TOKEN).toBeUndefined(); // only the worker has it
    worker = startWorker({ WORKER_SECRETS_TOKEN: TOKEN });
    const task = await publish('r1', 'echo "using $API_TOKEN"; printf \'{"t":"%s","n":%s}\' "$API_TOKEN" "${#API_TOKEN}" > "$BATON_OUTPUT"');
    const done = await completed('r1');
    expect(done).toMatchObject({ state: 'succeeded', output: { t: '***', n: TOKEN.length } });
    // A `baton worker` writes its logs under its own data folder (here ./.baton), laid out as the coordinator's.
    expect(task.logPath).toBe(join(dir, 'logs', 'r1', 'a.1.log'));
    expect(readFileSync(join(dir, '.baton', 'logs', 'r1', 'a.1.log'), 'utf8')).toBe('using ***\n');
    // What it shipped to the store is the masked file, byte for byte.
    const chunks = await sql<{ bytes: Buffer }>(db.url, "SELECT bytes FROM attempt_log_chunks WHERE attempt_id = 'r1.a.1' ORDER BY byte_offset");
    expect(Buffer.concat(chunks.map((c) => c.bytes)).toString('utf8')).toBe('using ***\n');
    const rows = await sql(db.url, 'SELECT * FROM attempts');
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
  });

  it('a secret missing on the worker fails the attempt without retry, naming it', async () => {
    worker = startWorker();
    await publish('r2', 'echo never');
    const done = await completed('r2');
    expect(done).toMatchObject({ state: 'failed', error: { type: 'secret-missing', retryable: false } });
    expect(done.error?.message).toMatch(/^secret "API_TOKEN" is not set: set the environment variable WORKER_SECRETS_TOKEN/);
  });
});
