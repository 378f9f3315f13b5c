import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCapabilities, findOnPath, gpuListed } from './worker-detect.js';

const root = mkdtempSync(join(os.tmpdir(), 'baton-detect-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding the given files; `script` ones are executable shell scripts. */
function folder(name: string, files: Record<string, { script: string } | { plain: string }>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, f] of Object.entries(files)) {
    const path = join(dir, file);
    if ('script' in f) {
      writeFileSync(path, `#!/bin/sh\n${f.script}\n`);
      chmodSync(path, 0o755);
    } else {
      writeFileSync(path, f.plain);
      chmodSync(path, 0o644);
    }
  }
  return dir;
}

const ok = { script: 'exit 0' };

describe.skipIf(process.platform === 'win32')('worker detection', () => {
  it('tags the tools whose executables are on PATH, ansible by ansible-playbook, with the architecture; not a plain file or a folder', async () => {
    const tools = folder('tools', { docker: ok, 'ansible-playbook': ok, git: ok, terraform: { plain: 'not executable' } });
    mkdirSync(join(root, 'more', 'kubectl'), { recursive: true });
    const more = folder('more', { python3: ok });
    const got = await detectCapabilities({ path: [join(root, 'missing'), tools, more].join(delimiter) });
    expect(got.tags).toEqual([...new Set(['ansible', 'docker', 'git', 'python3', os.arch()])].sort());
    expect(got.facts).toEqual({ arch: os.arch(), cpus: os.availableParallelism(), memoryBytes: os.totalmem() });
    expect(got.facts.memoryBytes).toBeGreaterThan(0);
  });

  it('finds nothing on a PATH without the tools, and the first folder that has one wins', async () => {
    const empty = folder('empty', {});
    expect((await detectCapabilities({ path: empty })).tags).toEqual([os.arch()]);
    expect((await detectCapabilities({ path: '' })).tags).toEqual([os.arch()]);
    const a = folder('first', { node: ok });
    const b = folder('second', { node: ok });
    expect(await findOnPath('node', { path: [empty, a, b].join(delimiter) })).toBe(join(a, 'node'));
  });

  it('tags gpu only when nvidia-smi -L lists a GPU: not when it prints nothing, fails or hangs', async () => {
    const listing = folder('gpu-yes', { 'nvidia-smi': { script: '[ "$1" = "-L" ] || exit 2\necho "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5fa1c2d3)"' } });
    const silent = folder('gpu-silent', { 'nvidia-smi': { script: 'exit 0' } });
    const failing = folder('gpu-failing', { 'nvidia-smi': { script: 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2\necho "GPU 0: stale"\nexit 9' } });
    const hanging = folder('gpu-hanging', { 'nvidia-smi': { script: 'exec sleep 5' } });
    expect((await detectCapabilities({ path: listing })).tags).toContain('gpu');
    expect((await detectCapabilities({ path: silent })).tags).not.toContain('gpu');
    expect((await detectCapabilities({ path: failing })).tags).not.toContain('gpu');
    const started = performance.now();
    expect(await gpuListed(join(hanging, 'nvidia-smi'), 200)).toBe(false);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('on Windows, looks for the PATHEXT extensions', async () => {
    const win = folder('win', { 'docker.EXE': ok });
    expect(await findOnPath('docker', { path: win, platform: 'win32', pathExt: '.COM;.EXE' })).toBe(join(win, 'docker.EXE'));
    expect(await findOnPath('docker', { path: win, platform: 'win32', pathExt: '.BAT' })).toBeUndefined();
  });
});
