/**
 * A shell step's `memory` and `cpu` limits on real hogs: a process tree that allocates past its
 * memory is killed and the attempt fails `memory-limit` without a retry; a busy loop held to a
 * quarter of a core uses about a quarter of its wall time in CPU, stopped and continued by the
 * sampler, and still succeeds; a cancel reaches a step the limit holds stopped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { compileWorkflow, workflowVersion } from '../src/index.js';
import type { WorkflowInput } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baton, engineRig, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

async function run(input: WorkflowInput) {
  rig = await engineRig({ graceMs: 300 });
  const spec = compileWorkflow(input, { baseDir: tempDir('baton-limits-') });
  return rig.engine.startRun(spec, workflowVersion(spec));
}

const HOG = 'a = bytearray(400 * 1024 * 1024)\nimport time\ntime.sleep(10)';
const SPIN = (seconds: number) => `import time\nt = time.time()\nwhile time.time() - t < ${seconds}: pass`;

describe('shell step limits', () => {
  it('memory: a tree over its limit is killed and fails memory-limit, not retried', async () => {
    const started = Date.now();
    const h = await run({
      name: 'hog', retry: { attempts: 3, delay: '10ms' },
      steps: [{ id: 'hog', memory: '64MiB', run: `python3 -c '${HOG}'` }],
    });
    expect(await h.result).toMatchObject({ state: 'failed' });
    expect(Date.now() - started).toBeLessThan(8_000);
    const attempts = await rig!.store.getAttempts(h.id, 'hog');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.error).toMatchObject({ type: 'memory-limit', retryable: false, details: { limitBytes: 64 * 2 ** 20 } });
    expect(attempts[0]!.error!.message).toMatch(/^the step's processes went past its memory limit of 64 MiB \(\d+ MiB resident at a sample\); they were killed$/);
  });

  it('cpu: a busy loop held to 0.25 of a core uses about a quarter of its wall time, and succeeds', async () => {
    const h = await run({ name: 'spin', steps: [{ id: 'spin', cpu: 0.25, run: `python3 -c '${SPIN(2)}'` }] });
    expect(await h.result).toMatchObject({ state: 'succeeded' });
    const [a] = await rig!.store.getAttempts(h.id, 'spin');
    const wall = a!.endedAt! - a!.startedAt;
    // Unlimited, the loop burns ~2,000 ms of CPU in 2 s; held to 0.25 core, ~500 ms.
    expect(a!.cpuMs).toBeLessThan(0.25 * wall + 400);
    expect(a!.cpuMs).toBeGreaterThan(100);
  });

  it('a cancel ends a step the cpu limit holds stopped', async () => {
    const h = await run({ name: 'spin', steps: [{ id: 'spin', cpu: 0.05, run: `python3 -c '${SPIN(30)}'` }] });
    await waitFor(async () => (await rig!.store.getAttempts(h.id, 'spin'))[0]?.state === 'running', 10_000, 'spin to run');
    await new Promise((r) => setTimeout(r, 500));
    const at = Date.now();
    rig!.engine.cancelRun(h.id);
    expect(await h.result).toMatchObject({ state: 'cancelled' });
    expect(Date.now() - at).toBeLessThan(3_000);
  });

  it('baton show and the step log say which limits apply and how', async () => {
    const dir = tempDir('baton-limits-cli-');
    writeFileSync(join(dir, 'flow.yaml'), 'name: lim\nsteps:\n  - id: small\n    memory: 256MiB\n    cpu: 0.5\n    run: echo ok\n');
    const r = await baton(['run', 'flow.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
    const id = /run (\w{16}) succeeded/.exec(r.stdout)![1]!;
    const shown = await baton(['show', id], dir);
    expect(shown.stdout).toMatch(/LIMITS\nsmall +memory 256 MiB \(the process tree's resident memory, sampled every 100 ms, killed over it\), cpu 0\.5 cores \(nice 10, stopped by SIGSTOP/);
    const logs = await baton(['logs', id, 'small'], dir);
    expect(logs.stdout).toContain('baton: limits: memory 256 MiB');
  });
});
