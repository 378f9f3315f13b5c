/**
 * The command channel with real shell commands: the notification on stdin, the scrubbed
 * environment, the exit-code rule, and timeouts that kill the whole process group.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../src/runtime/index.js';
import { createChannel, createCommandChannel, isRetryableExit } from '../src/observe/index.js';
import type { Channel, CommandChannelSpec, CommandSpec } from '../src/observe/index.js';
import { SECRET, firing, mask, report } from './channels-fixtures.js';
import { tempDir, waitFor } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('baton-channels-');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (command: Partial<CommandChannelSpec>): CommandSpec => ({
  name: 'cmd',
  type: 'command',
  sendResolved: true,
  mask,
  command: { run: 'true', timeoutMs: 10_000, env: {}, cwd: dir, ...command },
});
const channel = (command: Partial<CommandChannelSpec>): Channel => createChannel(spec(command));

describe('command channel: what the command gets', () => {
  it('reads the notification as JSON on stdin, in the channel cwd', async () => {
    const outcome = await channel({ run: 'cat > stdin.json; pwd > cwd.txt' }).send(firing, 'dl_01');
    expect(outcome).toMatchObject({ ok: true, retryable: false, exitCode: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'stdin.json'), 'utf8'))).toEqual(firing);
    expect(readFileSync(join(dir, 'cwd.txt'), 'utf8').trim()).toBe(dir);
  });

  it('starts from a scrubbed environment: PATH, HOME, LANG, LC_*, TZ, the channel env and the delivery, nothing else', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { BATON_DATABASE_URL: `postgres://baton:${SECRET}@db/baton`, PGPASSWORD: SECRET, SOME_TOOL_TOKEN: 'abc', TZ: 'Europe/Paris', LC_TIME: 'C' });
    try {
      const outcome = await channel({ run: 'env > env.txt', env: { PAGER_KEY: 'k-123' } }).send(report, 'dl_02');
      expect(outcome.ok).toBe(true);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const env = new Map(readFileSync(join(dir, 'env.txt'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env.get('PAGER_KEY')).toBe('k-123');
    expect(env.get('TZ')).toBe('Europe/Paris');
    expect(env.get('LC_TIME')).toBe('C');
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect(env.get('BATON_DELIVERY')).toBe('dl_02');
    expect(env.get('BATON_EVENT')).toBe('run-report');
    expect(env.has('BATON_DATABASE_URL')).toBe(false);
    expect(env.has('PGPASSWORD')).toBe(false);
    expect(env.has('SOME_TOOL_TOKEN')).toBe(false);
    // What the shell adds itself (PWD, SHLVL, _) is all that may be there besides.
    const expected = new Set(['PAGER_KEY', 'TZ', 'LC_TIME', 'PATH', 'HOME', 'LANG', 'BATON_DELIVERY', 'BATON_EVENT', 'PWD', 'SHLVL', '_', 'OLDPWD']);
    expect([...env.keys()].filter((k) => !expected.has(k) && !k.startsWith('LC_'))).toEqual([]);
  });

  it('a command that does not read stdin is fine', async () => {
    expect(await channel({ run: 'exit 0' }).send(firing, 'dl_03')).toMatchObject({ ok: true });
  });
});

describe('command channel: outcomes', () => {
  it('exit 75 (EX_TEMPFAIL) is retryable; the other sysexits end the delivery; other codes are retried', async () => {
    expect(await channel({ run: 'exit 75' }).send(firing, 'dl_10')).toMatchObject({ ok: false, retryable: true, exitCode: 75 });
    expect(await channel({ run: 'exit 2' }).send(firing, 'dl_11')).toMatchObject({ ok: false, retryable: true, exitCode: 2 });
    expect(await channel({ run: 'exit 64' }).send(firing, 'dl_12')).toMatchObject({ ok: false, retryable: false, exitCode: 64 });
    expect(await channel({ run: 'exit 78' }).send(firing, 'dl_13')).toMatchObject({ ok: false, retryable: false, exitCode: 78 });
    expect([1, 2, 63, 75, 79, 126, 127, 255].every(isRetryableExit)).toBe(true);
    expect([64, 65, 69, 70, 74, 76, 77, 78].some(isRetryableExit)).toBe(false);
  });

  it('the error is the exit code and the last line of stderr, secrets masked', async () => {
    const outcome = await channel({ run: 'echo starting; echo "first problem" >&2; echo "token $PAGER_TOKEN refused" >&2; exit 3', env: { PAGER_TOKEN: SECRET } }).send(firing, 'dl_14');
    expect(outcome).toMatchObject({ ok: false, retryable: true, exitCode: 3, error: 'exited with code 3: token *** refused' });
  });

  it('keeps a bounded tail of a huge stderr', async () => {
    const outcome = await channel({ run: "head -c 2000000 /dev/zero | tr '\\0' x >&2; echo >&2; echo final-line >&2; exit 1" }).send(firing, 'dl_15');
    expect(outcome).toMatchObject({ ok: false, retryable: true, exitCode: 1, error: 'exited with code 1: final-line' });
  });

  it('a command past its timeout is killed with everything it started, retryable', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const t0 = performance.now();
    const outcome = await channel({ run: `sleep 30 & echo $! > ${pidFile}; wait`, timeoutMs: 300 }).send(firing, 'dl_16');
    const took = performance.now() - t0;
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('timed out after 300 ms') as unknown });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !pidAlive(pid), 2000, `sleep ${pid} to be gone`);
  });

  it('a command that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const c = createCommandChannel(spec({ run: "trap '' TERM; sleep 30", timeoutMs: 300 }), { graceMs: 200 });
    const t0 = performance.now();
    const outcome = await c.send(firing, 'dl_17');
    const took = performance.now() - t0;
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome.error).toContain('timed out');
    expect(took).toBeGreaterThanOrEqual(480);
    expect(took).toBeLessThan(2000);
  });

  it('a cancelled delivery kills the command, retryable', async () => {
    const stop = new AbortController();
    const pending = channel({ run: 'echo started > started.txt; sleep 30' }).send(firing, 'dl_18', stop.signal);
    await waitFor(() => { try { return readFileSync(join(dir, 'started.txt'), 'utf8').includes('started'); } catch { return false; } }, 5000, 'the command to start');
    stop.abort();
    expect(await pending).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('cancelled') as unknown });
  });

  it('a missing working directory is not retried', async () => {
    const outcome = await channel({ cwd: join(dir, 'missing') }).send(firing, 'dl_19');
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(outcome.error).toContain('could not start');
  });
});

afterEach(() => {
  for (const f of ['stdin.json', 'cwd.txt', 'env.txt', 'sleep.pid', 'started.txt']) rmSync(join(dir, f), { force: true });
});
