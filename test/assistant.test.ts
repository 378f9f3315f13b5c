/**
 * The optional language model against a scripted OpenAI-compatible server on loopback
 * (./llm-server.ts), with the CLI (`npm run build` first) on a real SQLite run whose failing
 * step printed a secret: what `baton explain` sends (evidence with ids, no secret, bounded)
 * and how it checks the answer; a model that never answers; `baton draft` repaired from
 * baton's validation errors; `baton adapt` as a diff; and `baton explain --apply` re-running
 * the run for real.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { Assistant, assistantConfig } from '../src/observe/index.js';
import { formatSpecError, validateWorkflowText } from '../src/workflow/index.js';
import { startApi } from './api-helpers.js';
import { baton, jsonEvents, tempDir, waitFor } from './helpers.js';
import type { LlmServer } from './llm-server.js';
import { startLlmServer } from './llm-server.js';

const SECRET = 'llm-secret-Zk42-value';
const KEY = 'sk-test-key-Qm77';

let llm: LlmServer;
let dir: string;
let db: string;
let runId: string;
let flag: string;
const env = (): NodeJS.ProcessEnv => ({ BATON_LLM_URL: llm.url, BATON_LLM_MODEL: 'scripted', BATON_LLM_KEY: KEY, LLM_TEST_TOKEN: SECRET });

beforeAll(async () => {
  llm = await startLlmServer();
  dir = tempDir('baton-llm-');
  db = join(dir, '.baton', 'baton.db');
  flag = join(dir, 'fixed.flag');
  writeFileSync(join(dir, 'leaky.yaml'), `name: leaky
secrets:
  - { name: TOKEN, env: LLM_TEST_TOKEN }
steps:
  - id: prepare
    run: echo ready
  - id: leaks
    needs: [prepare]
    run: 'echo "calling with $TOKEN"; echo "fatal: token $TOKEN was rejected" >&2; test -f fixed.flag || exit 3'
  - id: after
    needs: [leaks]
    run: echo done
`);
  const r = await baton(['--db', db, 'run', join(dir, 'leaky.yaml'), '--json'], dir, { LLM_TEST_TOKEN: SECRET });
  expect(r.code, r.stderr).toBe(1);
  runId = jsonEvents(r.stdout)[0]!.runId;
}, 60_000);

afterAll(async () => {
  await llm.close();
});

beforeEach(() => {
  llm.requests.length = 0;
});

describe('baton explain with a language model', () => {
  it('sends the evidence with ids and no secret, bounded, and checks the answer', async () => {
    llm.script({ content: JSON.stringify({
      narrative: 'The step leaks exited 3 after the token was rejected [leaks:e1]; its log says so [leaks:e2].',
      recoveries: [
        { command: `baton retry ${runId} --from leaks`, reason: 'rerun it', evidence: ['leaks:e1'] },
        { command: `baton retry ${runId} --from deploy`, reason: 'a step that is not there', evidence: ['leaks:e1'] },
        { command: 'rm -rf /', reason: 'not baton', evidence: ['leaks:e1'] },
      ],
    }) });
    const r = await baton(['--db', db, 'explain', runId], dir, env());
    expect(r.code, r.stderr).toBe(0);
    expect(llm.requests).toHaveLength(1);
    const sent = llm.requests[0]!;
    expect(sent.body.stream).toBe(true);
    expect(sent.authorization).toBe(`Bearer ${KEY}`);
    const user = sent.body.messages.find((m) => m.role === 'user')!.content;
    expect(user).toMatch(/\[leaks:e1\] /);
    expect(user).toContain('fatal: token *** was rejected');
    expect(sent.raw).not.toContain(SECRET);
    expect(sent.raw).not.toContain(KEY);
    expect(Buffer.byteLength(sent.body.messages.map((m) => m.content).join(''))).toBeLessThanOrEqual(16 * 1024);
    // The deterministic diagnosis comes first and whole.
    expect(r.stdout.indexOf('STEP leaks')).toBeLessThan(r.stdout.indexOf('NARRATIVE'));
    expect(r.stdout).toContain('cites leaks:e1, leaks:e2');
    expect(r.stdout).not.toContain('UNVERIFIED');
    expect(r.stdout).toContain(`- baton retry ${runId} --from leaks`);
    expect(r.stdout).toContain(`discarded a proposal: baton retry ${runId} --from deploy (run ${runId} has no step 'deploy')`);
    expect(r.stdout).toContain('discarded a proposal: rm -rf / (not a baton command: rm)');
    expect(r.stdout).not.toContain(SECRET);
    const log = readFileSync(join(dir, '.baton', 'assistant.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { purpose: string; promptBytes: number; promptTokens?: number; ms: number });
    expect(log.at(-1)).toMatchObject({ purpose: 'explain', outcome: 'ok', stream: true });
    expect(log.at(-1)!.promptBytes).toBeGreaterThan(100);
    expect(log.at(-1)!.promptTokens).toBeGreaterThan(0);
  });

  it('marks a narrative that cites no evidence as unverified, and answers JSON with --json', async () => {
    llm.script({ content: 'Probably the network was down.' });
    const r = await baton(['--db', db, 'explain', runId, '--json', '--verbose'], dir, env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { steps: unknown[]; assistant: { ok: boolean; narrative: { verified: boolean; text: string } } };
    expect(out.steps).toHaveLength(1);
    expect(out.assistant.ok).toBe(true);
    expect(out.assistant.narrative).toMatchObject({ verified: false, text: 'Probably the network was down.' });
    expect(r.stderr).toMatch(/llm explain: \d+ bytes sent, \d+ ms, \d+\+\d+ tokens, ok/);
  });

  it('keeps the deterministic diagnosis when the model times out or fails', async () => {
    const plain = await baton(['--db', db, 'explain', runId, '--no-llm'], dir, env());
    expect(plain.code, plain.stderr).toBe(0);
    expect(llm.requests).toHaveLength(0);
    llm.script({ hang: true });
    const slow = await baton(['--db', db, 'explain', runId], dir, { ...env(), BATON_LLM_TIMEOUT_MS: '300' });
    expect(slow.code, slow.stderr).toBe(0);
    expect(slow.stdout.startsWith(plain.stdout)).toBe(true);
    expect(slow.stdout).toContain('NARRATIVE unavailable: the model did not answer within 300 ms (the diagnosis above stands)');
    llm.script({ status: 500, message: 'model overloaded' });
    const failed = await baton(['--db', db, 'explain', runId], dir, env());
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.stdout.startsWith(plain.stdout)).toBe(true);
    expect(failed.stdout).toMatch(/NARRATIVE unavailable: the model failed: 500 .*model overloaded/);
    const off = await baton(['--db', db, 'explain', runId], dir, { ...env(), BATON_LLM: 'off' });
    expect(off.stdout).toBe(plain.stdout);
    expect(llm.requests).toHaveLength(2);
  });
});

describe('the client', () => {
  it('masks the secrets it is given and its key in every message, refuses a prompt over its bound, reads plain JSON answers', async () => {
    const config = assistantConfig({ BATON_LLM_URL: llm.url, BATON_LLM_MODEL: 'scripted', BATON_LLM_KEY: KEY }, { logFile: join(dir, 'client.log') })!;
    const a = new Assistant(config, [SECRET]);
    llm.script({ content: 'plain answer', usage: { prompt_tokens: 11, completion_tokens: 2 } });
    const text = await a.chat('test', [{ role: 'system', content: `key ${KEY}` }, { role: 'user', content: `value ${SECRET} and again ${SECRET}` }], { maxPromptBytes: 1024 });
    expect(text).toBe('plain answer');
    expect(llm.requests[0]!.body.stream).toBeUndefined();
    expect(llm.requests[0]!.body.messages.map((m) => m.content)).toEqual(['key ***', 'value *** and again ***']);
    expect(JSON.parse(readFileSync(join(dir, 'client.log'), 'utf8'))).toMatchObject({ purpose: 'test', promptTokens: 11, completionTokens: 2, stream: false, outcome: 'ok' });
    await expect(a.chat('test', [{ role: 'user', content: 'x'.repeat(2000) }], { maxPromptBytes: 1024 })).rejects.toMatchObject({ reason: 'too-large' });
    expect(llm.requests).toHaveLength(1);
    expect(assistantConfig({ BATON_LLM_URL: llm.url, BATON_LLM_MODEL: 'm', BATON_LLM: 'off' })).toBeUndefined();
    expect(() => assistantConfig({ BATON_LLM_URL: llm.url })).toThrow(/BATON_LLM_MODEL/);
  });
});

describe('baton draft', () => {
  const invalid = 'name: nightly-sales\nsteps:\n  - id: fetch\n    run: ./fetch.sh\n  - id: forecast\n    needs: [fetsh]\n    run: ./forecast.sh\n';
  const valid = `name: nightly-sales
schedule: { cron: "0 2 * * *", timezone: UTC }
steps:
  - id: fetch
    run: ./fetch.sh
  - id: forecast
    needs: [fetch]
    run: ./forecast.sh
  - id: alert
    needs: [forecast]
    run: ./alert.sh
`;

  it('repairs an invalid draft from the validation errors, shows its graph, and writes it with --yes', async () => {
    const { errors } = await validateWorkflowText(invalid, { label: 'nightly.yaml', baseDir: dir });
    expect(errors.length).toBeGreaterThan(0);
    llm.script({ content: '```yaml\n' + invalid + '```' }, { content: valid });
    const r = await baton(['draft', 'every night at 2, fetch sales, forecast, alert on stockouts', '-o', 'nightly.yaml', '--yes'], dir, env());
    expect(r.code, r.stderr).toBe(0);
    expect(llm.requests).toHaveLength(2);
    const first = llm.requests[0]!.body.messages;
    expect(first[0]!.content).toContain('"$schema"');
    expect(first[0]!.content).toContain('# example: all-fields.yaml');
    expect(first[1]!.content).toContain('fetch sales');
    const second = llm.requests[1]!.body.messages;
    expect(second.at(-1)!.content).toContain(formatSpecError(errors[0]!));
    expect(second.at(-1)!.content).toContain('fetsh');
    expect(r.stdout).toContain('# graph (Mermaid)');
    expect(r.stdout).toContain('s1 --> s2');
    expect(readFileSync(join(dir, 'nightly.yaml'), 'utf8')).toBe(valid);
  });

  it('writes nothing without --yes when stdin is not a terminal, and gives up after 3 repairs', async () => {
    llm.script({ content: valid });
    const r = await baton(['draft', 'the same', '-o', 'unasked.yaml'], dir, env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('not written: stdin is not a terminal');
    expect(existsSync(join(dir, 'unasked.yaml'))).toBe(false);
    llm.script({ content: invalid }, { content: invalid }, { content: invalid }, { content: invalid });
    const bad = await baton(['draft', 'the same', '-o', 'bad.yaml', '--yes'], dir, env());
    expect(bad.code).toBe(1);
    expect(llm.requests).toHaveLength(5);
    expect(bad.stderr).toContain('still invalid after 3 repairs');
    expect(existsSync(join(dir, 'bad.yaml'))).toBe(false);
  });
});

describe('baton adapt', () => {
  it('proposes win32 commands as a diff of the run values only, and writes them with --write', async () => {
    const file = join(dir, 'ported.yaml');
    const src = '# ported\nname: ported\nsteps:\n  - id: list\n    run: ls -l   # plain\n  - id: show\n    needs: [list]\n    run:\n      linux: cat notes.txt\n  - { id: done, needs: [show], run: "echo ok" }\n  - id: native\n    run: { win32: "ver", linux: "uname" }\n';
    writeFileSync(file, src);
    llm.script({ content: JSON.stringify({ commands: { list: 'dir', show: 'type notes.txt', done: 'echo ok', native: 'nope', ghost: 'del *' } }) });
    const r = await baton(['adapt', file, '--platform', 'win32'], dir, env());
    expect(r.code, r.stderr).toBe(0);
    const asked = JSON.parse(llm.requests[0]!.body.messages[1]!.content) as { steps: { step: string }[] };
    expect(asked.steps.map((s) => s.step)).toEqual(['list', 'show', 'done']);
    expect(r.stdout).toContain('--- a/ported.yaml\n+++ b/ported.yaml\n');
    expect(r.stdout).toContain('-    run: ls -l   # plain\n+    run:   # plain\n+      linux: "ls -l"\n+      darwin: "ls -l"\n+      win32: "dir"\n');
    expect(r.stdout).toContain('       linux: cat notes.txt\n-  - { id: done, needs: [show], run: "echo ok" }\n+      win32: "type notes.txt"\n');
    expect(r.stdout).toContain('+  - { id: done, needs: [show], run: { linux: "echo ok", darwin: "echo ok", win32: "echo ok" } }');
    expect(r.stdout).not.toContain('del *');
    expect(readFileSync(file, 'utf8')).toBe(src);
    llm.script({ content: JSON.stringify({ commands: { list: 'dir', show: 'type notes.txt', done: 'echo ok' } }) });
    const w = await baton(['adapt', file, '--platform', 'win32', '--write'], dir, env());
    expect(w.code, w.stderr).toBe(0);
    const { spec, errors } = await validateWorkflowText(readFileSync(file, 'utf8'), { label: file, baseDir: dir });
    expect(errors).toEqual([]);
    const list = spec!.steps.find((s) => s.id === 'list')!.action;
    expect(list.kind === 'run' && list.command).toMatchObject({ linux: 'ls -l', darwin: 'ls -l', win32: 'dir' });
    expect(readFileSync(file, 'utf8')).toContain('# ported\n');
    const again = await baton(['adapt', file, '--platform', 'win32'], dir, env());
    expect(again.stderr).toContain('nothing to adapt');
  });
});

describe('baton explain --apply', () => {
  it('refuses without --yes off a terminal, then re-runs the failed run as recovery 1 says, recording who approved it', async () => {
    const no = await baton(['--db', db, 'explain', runId, '--apply', '1'], dir, env());
    expect(no.code).toBe(2);
    expect(no.stderr).toContain('stdin is not a terminal; give --yes');
    const far = await baton(['--db', db, 'explain', runId, '--apply', '9', '--yes'], dir, env());
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/step 'leaks' has \d+ recoveries: 9 is not one of them/);
    writeFileSync(flag, 'fixed\n');
    const r = await baton(['--db', db, 'explain', runId, 'leaks', '--apply', '1', '--yes', '--json'], dir, env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`baton retry ${runId} --failed`);
    expect(r.stderr).toMatch(/applied recovery 1 of step leaks, approved by cli:\S+@\S+: re-running leaks, after/);
    const store = openSqliteStore(db);
    try {
      expect((await store.getRun(runId))!.state).toBe('succeeded');
      const attempts = (await store.getAttempts(runId, 'leaks')).map((a) => [a.number, a.state]);
      expect(attempts).toEqual([[1, 'failed'], [2, 'succeeded']]);
      expect((await store.getAttempts(runId, 'prepare')).length).toBe(1);
      const rerun = (await store.getEvents(runId)).find((e) => e.type === 'rerun')!;
      expect(rerun.data).toMatchObject({ failed: true, steps: ['leaks', 'after'], recovery: { stepId: 'leaks', rank: 1, command: `baton retry ${runId} --failed` } });
      expect(String((rerun.data as { by?: string }).by)).toMatch(/^cli:/);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('POST /api/v1/runs/{id}/diagnosis/apply', () => {
  it('applies a recovery for an operator, approved as the token, and refuses a viewer and an unknown rank', async () => {
    rmSync(flag, { force: true });
    const adb = join(dir, 'api.db');
    const made = await baton(['--db', adb, 'run', join(dir, 'leaky.yaml'), '--json'], dir, { LLM_TEST_TOKEN: SECRET });
    expect(made.code, made.stderr).toBe(1);
    const id = jsonEvents(made.stdout)[0]!.runId;
    // The server runs in this process: its steps read their secret and env from here.
    process.env.LLM_TEST_TOKEN = SECRET;
    const api = await startApi({ store: openSqliteStore(adb) });
    try {
      const path = `/api/v1/runs/${id}/diagnosis/apply`;
      expect((await api.call('POST', path, { role: 'viewer', body: { recovery: 1 } })).status).toBe(403);
      const far = await api.call('POST', path, { role: 'operator', body: { recovery: 42 } });
      expect(far.status, far.text).toBe(400);
      expect((far.body as { error: { code: string } }).error.code).toBe('recovery-not-applicable');
      expect((await api.call('POST', path, { role: 'operator', body: { recovery: 1, step: 'nope' } })).status).toBe(404);
      writeFileSync(flag, 'fixed\n');
      const cli = await baton(['--server', api.url, 'explain', id, '--apply', '2', '--yes', '--detach'], dir, { BATON_TOKEN: api.tokens.operator });
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stderr).toContain(`baton retry ${id} --from leaks`);
      const rerun = (await api.store.getEvents(id)).find((e) => e.type === 'rerun')!;
      expect(rerun.data).toMatchObject({ by: 'api:test-operator', from: 'leaks', recovery: { stepId: 'leaks', rank: 2, command: `baton retry ${id} --from leaks` } });
      await waitFor(async () => (await api.store.getRun(id))!.state === 'succeeded', 20_000, 'the re-run to succeed');
    } finally {
      delete process.env.LLM_TEST_TOKEN;
      const { store } = api;
      await api.close();
      await store.close();
    }
  }, 60_000);
});
