import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepFailure } from '../core/index.js';
import { DEFAULT_RETRY } from '../workflow/index.js';
import type { StepContext, StepSpec } from '../workflow/index.js';
import type { BatchGroupRecord } from './types.js';
import { AttemptLog, execute, resolveSecrets } from './index.js';
import type { AttemptRequest } from './types.js';

const TOKEN = 'unit-secret-9f8e7d';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-exec-secrets-'));
  process.env.EXEC_SECRETS_TOKEN = TOKEN;
});
afterEach(() => {
  delete process.env.EXEC_SECRETS_TOKEN;
  rmSync(dir, { recursive: true, force: true });
});

function request(handler: (ctx: StepContext<never>) => unknown, over: Partial<AttemptRequest> = {}): AttemptRequest {
  const step: StepSpec = { id: 's', needs: [], action: { kind: 'uses', handler, with: {} }, env: {}, retry: { ...DEFAULT_RETRY }, priority: 0, continueOnError: false };
  return {
    runId: 'r', workflow: 'w', stepId: 's', attemptId: 'r.s.1', attempt: 1, step, baseDir: dir, cwd: dir, env: {}, params: {}, inputs: {},
    outputs: () => ({}), signal: new AbortController().signal, force: new AbortController().signal, log: new AttemptLog(join(dir, 's.log')),
    outputPath: join(dir, 'out.json'), secrets: [{ name: 'TOKEN', env: 'EXEC_SECRETS_TOKEN' }], ...over,
  };
}
const limits = { graceMs: 100, maxOutputBytes: 1 << 20 };

describe('execute with secrets', () => {
  it('hands values to handlers and masks a StepFailure message, type and details', async () => {
    let seen: string | undefined;
    const r = await execute(request((ctx) => {
      seen = ctx.secrets.TOKEN;
      throw new StepFailure(`bad ${seen}`, { type: 'auth', retryable: false, details: { token: seen ?? null, n: 1 } });
    }), limits);
    expect(seen).toBe(TOKEN);
    expect(r).toEqual({ ok: false, failure: { type: 'auth', message: 'bad ***', retryable: false, details: { token: '***', n: 1 } } });
  });

  it('without declared secrets, ctx.secrets is empty and nothing is masked', async () => {
    const r = await execute(request((ctx) => ({ keys: Object.keys(ctx.secrets), v: TOKEN }), { secrets: [] }), limits);
    expect(r).toEqual({ ok: true, output: { keys: [], v: TOKEN } });
  });

  it('masks batch groups before they are saved, and the consolidated output', async () => {
    const saved: BatchGroupRecord[] = [];
    const req = request((ctx) => (ctx.inputs as unknown as { items: string[] }).items.map((i) => `${i}:${TOKEN}`));
    req.step.batch = { items: '', groupSize: 2, concurrency: 1, onInvalid: 'fail', failurePolicy: 'fail-fast' };
    req.batch = {
      items: { values: ['a', 'b', 'c'] }, validateInputs: {}, consolidateInputs: {},
      loadGroups: () => Promise.resolve([]), saveGroups: (g) => (saved.push(...structuredClone(g)), Promise.resolve()),
      progress: () => undefined, clock: () => 0, random: () => 0,
    };
    const r = await execute(req, limits);
    expect(JSON.stringify(saved)).not.toContain(TOKEN);
    expect(saved.filter((g) => g.state === 'succeeded').flatMap((g) => g.outputs)).toEqual(['a:***', 'b:***', 'c:***']);
    expect(r.ok && JSON.stringify(r.output)).toContain('a:***');
    expect(JSON.stringify(r)).not.toContain(TOKEN);
  });

  it('passes values to shell steps as env vars and masks stdout and stderr, the held-back tail included', async () => {
    const req = request(() => null);
    req.step = { ...req.step, action: { kind: 'run', command: { default: 'printf "%s\\n" "$TOKEN"; printf "%s" "$TOKEN" >&2' } } };
    const r = await execute(req, limits);
    req.log.close();
    expect(r.ok).toBe(true);
    const log = readFileSync(join(dir, 's.log'), 'utf8');
    expect(log).not.toContain(TOKEN);
    expect(log.split('\n').filter(Boolean)).toEqual(['***', '***']);
  });
});

describe('texts shortened for errors are masked first', () => {
  it('an invalid $BATON_OUTPUT quotes its start masked: no prefix of the secret survives', async () => {
    const req = request(() => null);
    req.step = { ...req.step, action: { kind: 'run', command: { default: 'printf "%s and more" "$TOKEN" > "$BATON_OUTPUT"' } } };
    const r = await execute(req, limits);
    req.log.close();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.type).toBe('output-invalid');
    expect(r.failure.message).toBe(`the file at $BATON_OUTPUT is not JSON (unexpected token; it begins "*** and more"); write e.g. '{"count": 3}' to it`);
    expect(JSON.stringify(r)).not.toContain(TOKEN.slice(0, 5));
  });

  it('a batch group whose output is not one per item quotes it masked before the 80-character cut', async () => {
    const padding = 'x'.repeat(70); // the token starts before character 80 and ends after it
    const req = request(() => `${padding}${TOKEN}`);
    req.step.batch = { items: '', groupSize: 2, concurrency: 1, onInvalid: 'fail', failurePolicy: 'fail-fast' };
    const saved: BatchGroupRecord[] = [];
    req.batch = {
      items: { values: ['a', 'b'] }, validateInputs: {}, consolidateInputs: {},
      loadGroups: () => Promise.resolve([]), saveGroups: (g) => (saved.push(...structuredClone(g)), Promise.resolve()),
      progress: () => undefined, clock: () => 0, random: () => 0,
    };
    const r = await execute(req, limits);
    req.log.close();
    const everything = JSON.stringify({ r, saved }) + readFileSync(join(dir, 's.log'), 'utf8');
    expect(everything).toContain(`the group returned "${padding}***"`);
    expect(everything).not.toContain(TOKEN.slice(0, 5));
  });
});

describe('handler log fields', () => {
  it('an Error passed as a field keeps its name, message and stack, masked', async () => {
    const r = await execute(request((ctx) => {
      const err = new TypeError(`refused ${ctx.secrets.TOKEN ?? ''}`);
      ctx.log.error('call failed', { err: err as never, n: 1 });
      return null;
    }), limits);
    expect(r.ok).toBe(true);
    const line = readFileSync(join(dir, 's.log'), 'utf8');
    expect(line).not.toContain(TOKEN);
    const fields = JSON.parse(line.slice(line.indexOf('{'))) as { err: { name: string; message: string; stack: string }; n: number };
    expect(fields.n).toBe(1);
    expect(fields.err.name).toBe('TypeError');
    expect(fields.err.message).toBe('refused ***');
    expect(fields.err.stack).toMatch(/^TypeError: refused \*\*\*\n\s+at /);
  });

  it('fields JSON cannot hold (a bigint, a cycle, a cause chain) are written, not thrown', async () => {
    const r = await execute(request((ctx) => {
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const err = new Error('outer', { cause: new Error(`inner ${ctx.secrets.TOKEN ?? ''}`) });
      ctx.log.info('odd', { big: 10n as never, cyclic: cyclic as never, err: err as never });
      return null;
    }), limits);
    expect(r.ok).toBe(true);
    const line = readFileSync(join(dir, 's.log'), 'utf8');
    expect(line).not.toContain(TOKEN);
    const fields = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, { [k: string]: unknown }>;
    expect(fields.big).toBe('10');
    expect(fields.cyclic).toEqual({ a: 1, self: '[Circular]' });
    expect((fields.err?.cause as { message: string }).message).toBe('inner ***');
  });
});

describe('a handler printing', () => {
  it('after its attempt closed its log (a timer it left behind), the write still lands in the log, masked', async () => {
    let wrote!: () => void;
    const late = new Promise<void>((resolve) => (wrote = resolve));
    const req = request((ctx) => {
      setTimeout(() => {
        process.stdout.write(`late ${ctx.secrets.TOKEN ?? ''}`);
        console.error('later', ctx.secrets.TOKEN);
        wrote();
      }, 5);
      return null;
    });
    const r = await execute(req, limits);
    req.log.close();
    expect(r.ok).toBe(true);
    await late;
    expect(readFileSync(join(dir, 's.log'), 'utf8')).toBe('late ***later ***\n');
  });
});

describe('resolveSecrets', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads env vars and files (relative to baseDir, trailing newlines trimmed)', () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-secrets-'));
    writeFileSync(join(dir, 'key.pem'), '-----BEGIN-----\nabc\n-----END-----\r\n\n');
    const r = resolveSecrets([{ name: 'TOKEN', env: 'MY_TOKEN' }, { name: 'KEY', file: 'key.pem' }], dir, { MY_TOKEN: 'tok-123' });
    expect(r).toEqual({ ok: true, values: { TOKEN: 'tok-123', KEY: '-----BEGIN-----\nabc\n-----END-----' } });
  });

  it('reports every missing secret by name and source, never a value', () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-secrets-'));
    writeFileSync(join(dir, 'empty.txt'), '\n');
    const r = resolveSecrets(
      [{ name: 'A', env: 'UNSET_VAR' }, { name: 'B', env: 'EMPTY_VAR' }, { name: 'C', file: 'nope.txt' }, { name: 'D', file: 'empty.txt' }, { name: 'E', env: 'SET' }],
      dir,
      { EMPTY_VAR: '', SET: 'value-of-e' },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.missing.map((m) => [m.name, m.problem])).toEqual([['A', 'env-unset'], ['B', 'empty'], ['C', 'file-unreadable'], ['D', 'empty']]);
    expect(r.missing[0]?.message).toMatch(/^secret "A" is not set: set the environment variable UNSET_VAR/);
    expect(r.missing[2]?.message).toContain(join(dir, 'nope.txt'));
    expect(r.missing[2]?.message).toContain('ENOENT');
    expect(JSON.stringify(r)).not.toContain('value-of-e');
  });
});
