/**
 * What environment a shell step sees, through real processes: a `baton run` (SQLite) and a
 * `baton worker` on a real PostgreSQL, each started with baton's own variables and database
 * credentials in its environment. A step running `env` sees none of them, unless its
 * workflow names one in `inheritEnv`; the variables baton sets for the step are there.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetTask } from '../src/runtime/index.js';
import { compileWorkflow } from '../src/index.js';
import { openFleetStore } from '../src/store/index.js';
import { taskToJson } from '../src/runtime/index.js';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';
import { createTestDatabase } from './pg-helpers.js';

const TOKEN = 'baton_tok_3f2e1d0c9b8a';
const PGPASS = 'pg-pass-a9b8c7d6';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** `NAME=value` lines of an `env` dump, as a map. */
const envOf = (log: string): Map<string, string> =>
  new Map(log.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('shell steps get a scrubbed environment', () => {
  it('baton run: BATON_TOKEN, any other BATON_ variable and PGPASSWORD stay out of the step; inheritEnv brings one back', async () => {
    dir = tempDir('baton-step-env-');
    writeFileSync(join(dir, 'flow.yaml'), [
      'name: step_env',
      'steps:',
      '  - id: plain',
      '    run: env',
      '  - id: asks',
      '    run: env',
      '    inheritEnv: [BATON_TOKEN]',
    ].join('\n'));
    const env = { BATON_TOKEN: TOKEN, BATON_SERVER_SECRET_THING: 'x-baton-own', PGPASSWORD: PGPASS, MY_APP_SETTING: 'kept' };
    const r = await baton(['--db', join(dir, 'baton.db'), 'run', 'flow.yaml', '--json'], dir, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logs = join(dir, 'logs');
    const runId = (JSON.parse(r.stdout.split('\n')[0]!) as { runId: string }).runId;
    const plain = envOf(readFileSync(join(logs, runId, 'plain.1.log'), 'utf8'));
    expect(plain.get('MY_APP_SETTING')).toBe('kept');
    expect(plain.get('BATON_STEP_ID')).toBe('plain');
    expect(plain.get('BATON_ATTEMPT_ID')).toBe(`${runId}.plain.1`);
    expect(plain.has('BATON_OUTPUT')).toBe(true);
    for (const name of ['BATON_TOKEN', 'BATON_SERVER_SECRET_THING', 'PGPASSWORD']) expect(plain.has(name), name).toBe(false);
    const asks = envOf(readFileSync(join(logs, runId, 'asks.1.log'), 'utf8'));
    expect(asks.get('BATON_TOKEN')).toBe(TOKEN);
    expect(asks.has('PGPASSWORD')).toBe(false);
  });

  it('baton worker: a fleet step sees neither BATON_DATABASE_URL nor BATON_TOKEN; with inheritEnv: [BATON_TOKEN] it sees that one', async () => {
    const db = await createTestDatabase();
    const fleet = openFleetStore(db.url, { max: 2 });
    dir = tempDir('baton-step-env-fleet-');
    // The worker finds its database through BATON_DATABASE_URL, as fleet nodes are told to.
    const worker = spawnBaton(['worker', '--max-cpu', '1000'], dir, { BATON_DATABASE_URL: db.url, BATON_TOKEN: TOKEN, PGPASSWORD: PGPASS });
    try {
      const publish = async (runId: string, inheritEnv?: string[]): Promise<FleetTask> => {
        const spec = compileWorkflow({ name: 'wf', steps: [{ id: 'a', run: 'env', ...(inheritEnv ? { inheritEnv } : {}) }] }, { baseDir: dir! });
        const task: FleetTask = {
          workflow: 'wf', version: 'v1', baseDir: dir!, step: spec.steps[0]!, runId, stepId: 'a', attemptId: `${runId}.a.1`, attempt: 1,
          cwd: dir!, env: {}, params: {}, inputs: null, outputs: {}, logPath: join(dir!, 'logs', runId, 'a.1.log'),
        };
        await fleet.enqueueAttempts([{ id: task.attemptId, runId, stepId: 'a', number: 1, startedAt: Date.now(), priority: 0, task: taskToJson(task) }]);
        return task;
      };
      const done = (runId: string) =>
        waitFor(async () => (await fleet.takeCompleted([runId]))[0], 15_000, `the attempt of ${runId}`).catch((e: unknown) => {
          throw new Error(`${String(e)}; the worker printed:\n${worker.stdout()}${worker.stderr()}`);
        });

      const plainTask = await publish('r1');
      expect(await done('r1')).toMatchObject({ state: 'succeeded' });
      // A `baton worker` writes its logs under its own data folder (./.baton), laid out as the coordinator's.
      const logOf = (t: FleetTask): string => readFileSync(join(dir!, '.baton', 'logs', t.runId, 'a.1.log'), 'utf8');
      const plainLog = logOf(plainTask);
      const plain = envOf(plainLog);
      expect(plain.get('BATON_RUN_ID')).toBe('r1');
      for (const name of ['BATON_DATABASE_URL', 'BATON_TOKEN', 'PGPASSWORD']) expect(plain.has(name), name).toBe(false);
      expect(plainLog).not.toContain(db.url);

      const asksTask = await publish('r2', ['BATON_TOKEN']);
      expect(await done('r2')).toMatchObject({ state: 'succeeded' });
      const asks = envOf(logOf(asksTask));
      expect(asks.get('BATON_TOKEN')).toBe(TOKEN);
      expect(asks.has('BATON_DATABASE_URL')).toBe(false);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await fleet.close();
      await db.drop();
    }
  });
});
