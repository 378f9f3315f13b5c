/**
 * The throttle flags of `baton run`, `baton server` and `baton worker`: checked, documented,
 * and on by default in `baton run` (a real CPU hog makes it log its slots going down).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';

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

  it('baton run throttles by default: under a real CPU hog it logs its slots going down, with the reason', async () => {
    writeFileSync(join(dir, 'slow.yaml'), 'name: slow\nsteps:\n  - { id: a, run: "sleep 2.5" }\n');
    for (let i = 0; i <= availableParallelism(); i++) {
      hogs.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 30000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
    }
    const r = await baton(['--db', join(dir, 'baton.db'), 'run', 'slow.yaml', '--max-cpu', '0.95'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/throttle: slots 256 -> 1 \(cpu \d+ % > 95 %\)/);
  }, 20_000);
});
