import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepSpec } from '../workflow/index.js';
import type { FleetTask } from './fleet-task.js';
import type { WorkerAttempt } from './worker-attempt.js';
import { runClaimed } from './worker-attempt.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A claimed attempt of `action` as a worker holds it, its log in a fresh temp dir. */
function claimed(action: StepSpec['action'], timeoutMs?: number): { a: WorkerAttempt; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'baton-worker-attempt-'));
  dirs.push(dir);
  const step: StepSpec = {
    id: 's', needs: [], action, env: {}, priority: 0, continueOnError: false,
    retry: { attempts: 1, backoff: 'fixed', delayMs: 0, factor: 1, maxDelayMs: 0, jitter: 0 },
  };
  const task: FleetTask = {
    workflow: 'w', version: 'v', baseDir: dir, step, runId: 'r', stepId: 's', attemptId: 'r.s.1', attempt: 1, cwd: dir,
    env: {}, params: {}, inputs: null, outputs: {}, logPath: join(dir, 's.1.log'), ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
  const a: WorkerAttempt = {
    claim: { id: 'r.s.1', runId: 'r', stepId: 's', number: 1, fence: 1, leaseExpiresAt: 0, priorityKey: 0, task: {} },
    task, graceful: new AbortController(), force: new AbortController(), claimedAt: 0, ended: false, done: Promise.resolve(),
  };
  return { a, dir };
}

const limits = { graceMs: 200, maxOutputBytes: 1024 };

describe('runClaimed', () => {
  it('a log the worker cannot write (ENOSPC) fails the attempt as disk-full, not the worker', async () => {
    const { a, dir } = claimed({ kind: 'run', command: { default: 'echo hello' } });
    symlinkSync('/dev/full', join(dir, 's.1.log'));
    const outcome = await runClaimed(a, { outputDir: dir, logCapBytes: undefined, limits });
    expect(outcome).toMatchObject({ state: 'failed', error: { type: 'disk-full', details: { code: 'ENOSPC', path: join(dir, 's.1.log') } } });
  });

  it('a handler that blocks the event loop past its timeout fails with timeout, its result discarded', async () => {
    const { a, dir } = claimed({ kind: 'uses', handler: './busy.mjs#busy', with: {} }, 200);
    writeFileSync(join(dir, 'busy.mjs'), 'export function busy() { const end = Date.now() + 600; while (Date.now() < end) {} return "late"; }\n');
    const outcome = await runClaimed(a, { outputDir: dir, logCapBytes: undefined, limits });
    expect(outcome).toMatchObject({ state: 'failed', error: { type: 'timeout', message: 'timed out after 200ms' } });
    expect(outcome.output).toBeUndefined();
  });
});
