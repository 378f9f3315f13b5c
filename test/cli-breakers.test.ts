/**
 * `baton breakers` and `baton breakers reset`, and `baton show` of a step held back by an open
 * circuit breaker, as real processes on a real SQLite file.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredStepRun } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let db: string;
let run: CliProcess | undefined;
beforeEach(() => {
  dir = tempDir('baton-breakers-');
  db = join(dir, 'baton.db');
});
afterEach(() => {
  run?.child.kill('SIGKILL');
  run = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('baton breakers', () => {
  it('lists an opened breaker; show says a step waits circuit-open; reset closes it and the step runs', async () => {
    writeFileSync(join(dir, 'fail.yaml'), 'name: fails\nretry: { attempts: 1 }\nbreaker: { key: api, failures: 1, cooldown: 1h }\nsteps:\n  - { id: call, run: "exit 2" }\n');
    writeFileSync(join(dir, 'ok.yaml'), 'name: later\nbreaker: api\nsteps:\n  - { id: call, run: "echo fine" }\n');
    expect((await baton(['--db', db, 'breakers'], dir)).stdout).toContain('no breakers yet');
    expect((await baton(['--db', db, 'run', 'fail.yaml'], dir)).code).toBe(1);
    const listed = await baton(['--db', db, 'breakers'], dir);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/KEY\s+STATE\s+FAILURES\s+WINDOW\s+OPENED AT\s+NEXT TRIAL AT\s+REASON/);
    expect(listed.stdout).toMatch(/api\s+open\s+1\s+1\/1 failed\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+1 consecutive failures/);

    run = spawnBaton(['--db', db, 'run', 'ok.yaml', '--json'], dir);
    await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.type === 'circuit-open'), 10_000, 'the step to wait behind the breaker');
    const runId = jsonEvents(run.stdout())[0]!.runId;
    const json = JSON.parse((await baton(['--db', db, 'show', runId, '--json'], dir)).stdout) as { steps: StoredStepRun[] };
    expect(json.steps[0]).toMatchObject({ state: 'queued', attempts: 0, circuit: { reason: 'circuit-open', breaker: 'api', until: expect.any(Number) as number } });
    expect((await baton(['--db', db, 'show', runId], dir)).stdout).toMatch(/call\s+queued.*circuit-open: breaker api, next trial \d{4}-/);

    const reset = await baton(['--db', db, 'breakers', 'reset', 'api'], dir);
    expect(reset.stdout).toContain('breaker api is closed');
    expect(await run.exited).toBe(0);
    const after = JSON.parse((await baton(['--db', db, 'breakers', '--json'], dir)).stdout) as { key: string; state: string; reason: string }[];
    expect(after).toEqual([expect.objectContaining({ key: 'api', state: 'closed', reason: expect.stringMatching(/^reset by cli:/) as string })]);
    expect((await baton(['--db', db, 'breakers', 'reset', 'nope'], dir)).code).toBe(2);
  });
});
