/**
 * The throttle flags of `baton run`, `baton server` and `baton worker`: checked, documented,
 * and on by default (a real CPU hog makes `baton server` log its slots going down).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let hogs: ChildProcess[] = [];
beforeAll(() => {
  dir = tempDir('baton-cli-throttle-');
});
afterEach(() => {
  for (const h of hogs) h.kill('SIGKILL');
  hogs = [];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('throttle flags', () => {
  it('a threshold that is not above 0 is a usage error', async () => {
    writeFileSync(join(dir, 'one.yaml'), 'name: one\nsteps:\n  - { id: a, run: "true" }\n');
    const r = await baton(['--db', join(dir, 'baton.db'), 'run', 'one.yaml', '--max-cpu', '0'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--max-cpu expects a number above 0 (a fraction, e.g. 0.8), got '0'");
  });

  it('run, server and worker all offer --max-cpu, --max-mem, --max-lag and --no-throttle', async () => {
    for (const cmd of ['run', 'server', 'worker']) {
      const r = await baton([cmd, '--help'], dir);
      for (const flag of ['--max-cpu', '--max-mem', '--max-lag', '--no-throttle']) expect(r.stdout, `${cmd} ${flag}`).toContain(flag);
    }
  });

  it('throttles by default: under a real CPU hog baton server logs its engine\'s slots going down, with the reason', async () => {
    for (let i = 0; i <= availableParallelism(); i++) {
      hogs.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 30000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
    }
    const server = spawnBaton(['--db', join(dir, 'server.db'), 'server', '--no-api', '--max-cpu', '0.95'], dir);
    try {
      const line = await waitFor(() => /throttle \(engine\): slots 256 -> 1 \(cpu \d+ % > 95 %\)/.exec(server.stdout()), 10_000, 'the throttle line');
      expect(line[0]).toContain('slots 256 -> 1');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }, 20_000);
});
