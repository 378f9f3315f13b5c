import { describe, expect, it } from 'vitest';
import { classify, errorSignature, frameInside, missingOutputRefs, normaliseError, outputRefs, splitLogTail } from './classify.js';
import type { LogLine } from './classify.js';
import { diffParams, missingCommand, rankRecoveries } from './recover.js';
import type { RecoveryInput, WorkerTags } from './recover.js';

const lines = (...texts: string[]): LogLine[] => texts.map((text, i) => ({ offset: i * 10, line: i + 1, text }));

describe('classify', () => {
  it('takes the failure kind for a timeout, before anything in the log', () => {
    const c = classify({ stepKind: 'run', failure: { type: 'timeout', message: 'timed out after 200ms', retryable: true }, lines: lines('Permission denied') });
    expect(c.class).toBe('timeout');
    expect(c.evidence[0]).toMatchObject({ id: 'e1', kind: 'failure', text: 'timeout: timed out after 200ms' });
  });

  it('reads exit 137 and out-of-memory lines as memory', () => {
    expect(classify({ stepKind: 'run', exitCode: 137, lines: [] }).class).toBe('memory');
    const c = classify({ stepKind: 'run', exitCode: 1, lines: lines('start', 'MemoryError: cannot allocate', 'bye') });
    expect(c.class).toBe('memory');
    expect(c.evidence.find((e) => e.kind === 'log')).toMatchObject({ text: 'MemoryError: cannot allocate', offset: 10, line: 2 });
    const own = classify({ stepKind: 'uses', failure: { type: 'memory-limit', message: 'the handler went past its memory limit of 64 MiB', retryable: false }, lines: [] });
    expect(own.class).toBe('memory');
    expect(own.summary).toContain("step's own memory limit");
  });

  it('tells a missing command, a refused permission and a network failure apart', () => {
    expect(classify({ stepKind: 'run', exitCode: 127, lines: lines('sh: 1: nope: not found') }).class).toBe('command-not-found');
    expect(classify({ stepKind: 'run', failure: { type: 'spawn', message: "could not start 'x': spawn x ENOENT", retryable: false }, lines: [] }).class).toBe('command-not-found');
    expect(classify({ stepKind: 'run', exitCode: 126, lines: lines('sh: 1: ./x.sh: Permission denied') }).class).toBe('permission-denied');
    expect(classify({ stepKind: 'run', exitCode: 1, lines: lines('Error: connect ECONNREFUSED 127.0.0.1:9') }).class).toBe('network');
    expect(classify({ stepKind: 'run', exitCode: 22, lines: lines('curl: (22) The requested URL returned error: HTTP/1.1 503') }).class).toBe('network');
  });

  it('reads an http step\'s status: 4xx is the request, 5xx, 408, 429 and no response are network', () => {
    const http = (status: number) => ({ type: 'http-status', message: `GET http://h/x answered ${status} (expected 2xx)`, retryable: status >= 500, details: { status } });
    const notFound = classify({ stepKind: 'http', failure: http(404), lines: lines('2026-01-01T00:00:00Z info http GET http://h/x') });
    expect(notFound.class).toBe('http-status');
    expect(notFound.key).toBe('GET http://h/x answered 404 (expected 2xx)');
    expect(classify({ stepKind: 'http', failure: http(401), lines: [] }).summary).toMatch(/credentials/);
    for (const s of [408, 429, 502]) expect(classify({ stepKind: 'http', failure: http(s), lines: [] }).class).toBe('network');
    expect(classify({ stepKind: 'http', failure: { type: 'http-request', message: 'GET http://h/x: no complete response within 100 ms (http.timeout)', retryable: true }, lines: [] }).class).toBe('network');
  });

  it('points a failed sub-workflow step at its child run', () => {
    const c = classify({ stepKind: 'workflow', failure: { type: 'sub-workflow', message: 'child run abc failed: inner (exited with code 4)', retryable: true, details: { childRunId: 'abc', state: 'failed' } }, lines: [] });
    expect(c.class).toBe('sub-workflow');
    expect(c.summary).toContain("'baton explain abc'");
  });

  it('names a secret-missing failure and a lost attempt', () => {
    expect(classify({ stepKind: 'run', failure: { type: 'secret-missing', message: 'secret "K" is not set', retryable: false }, lines: [] }).class).toBe('secret-missing');
    expect(classify({ stepKind: 'run', failure: { type: 'lost', message: 'worker died', retryable: true }, lines: [] }).class).toBe('lost');
  });

  it('sees a handler exception only when the top frame is in the workflow folder', () => {
    const failure = (frame: string) => ({ type: 'TypeError', message: 'x is undefined', retryable: true, details: { stack: [frame] } });
    expect(classify({ stepKind: 'uses', baseDir: '/w', failure: failure('at run (file:///w/h.mjs:3:9)'), lines: [] }).class).toBe('handler-exception');
    expect(classify({ stepKind: 'uses', baseDir: '/w', failure: failure('at x (file:///w/node_modules/lib/i.js:1:1)'), lines: [] }).class).toBe('exit-nonzero');
    expect(frameInside('at /w/a/b.mjs:1:2', '/w')).toBe(true);
    expect(frameInside('at node:internal/x:1:2', '/w')).toBe(false);
  });

  it('quotes the last error-looking lines of a plain failure, else the last five', () => {
    const c = classify({ stepKind: 'run', exitCode: 3, lines: lines('a', 'FATAL: disk', 'b', 'c') });
    expect(c.class).toBe('exit-nonzero');
    expect(c.evidence.map((e) => e.text)).toEqual(['exit code 3', 'FATAL: disk']);
    const d = classify({ stepKind: 'run', exitCode: 3, lines: lines('1', '2', '3', '4', '5', '6') });
    expect(d.evidence.filter((e) => e.kind === 'log').map((e) => e.text)).toEqual(['2', '3', '4', '5', '6']);
  });

  it('finds a field an upstream output lacks', () => {
    const refs = outputRefs('echo ${{ steps.fetch.output.url }} ${{ steps.fetch.output.meta["id"] }}');
    expect(refs.map((r) => r.path)).toEqual([['url'], ['meta', 'id']]);
    const missing = missingOutputRefs(refs, new Map([['fetch', { link: 'x', meta: { id: 1 } }]]));
    expect(missing).toEqual([{ expression: 'steps.fetch.output.url', stepId: 'fetch', path: 'url', available: ['link', 'meta'] }]);
    expect(classify({ stepKind: 'run', exitCode: 2, lines: [], missingOutputs: missing }).class).toBe('output-missing');
  });
});

describe('normaliseError', () => {
  it('replaces what varies between occurrences', () => {
    expect(normaliseError("open '/tmp/a1/x.json' failed at 2026-01-02T03:04:05Z after 3 tries")).toBe('open <str> failed at <time> after <n> tries');
    expect(normaliseError('connect ECONNREFUSED 127.0.0.1:40123')).toBe('connect ECONNREFUSED <n>:<n>');
    expect(normaliseError('run mfy3k2aa0123abcd failed, id 0xdeadbeef in /var/lib/x/y.db')).toBe('run <id> failed, id <id> in <path>');
    expect(normaliseError('token ***   leaked')).toBe('token *** leaked');
  });

  it('gives two occurrences of one error one signature', () => {
    const a = classify({ stepKind: 'run', exitCode: 1, lines: lines('Error: connect ECONNREFUSED 127.0.0.1:40001') });
    const b = classify({ stepKind: 'run', exitCode: 1, lines: lines('Error: connect ECONNREFUSED 127.0.0.1:40999') });
    expect(errorSignature(a)).toBe(errorSignature(b));
  });
});

describe('splitLogTail', () => {
  it('drops a partial first line of a tail and numbers lines only from the start', () => {
    expect(splitLogTail(Buffer.from('one\ntwo\n'), 0)).toEqual([{ offset: 0, line: 1, text: 'one' }, { offset: 4, line: 2, text: 'two' }]);
    expect(splitLogTail(Buffer.from('ne\ntwo\n'), 100)).toEqual([{ offset: 103, text: 'two' }]);
  });
});

describe('rankRecoveries', () => {
  it('puts a param change that ended the same failure first, then the retries', () => {
    const rs = rankRecoveries({
      runId: 'r1', stepId: 's', sourcePath: '/w/flow.yaml',
      classification: { class: 'network', evidence: [{ id: 'e1', kind: 'log', text: 'ECONNREFUSED' }] },
      changes: { params: [], duration: {}, peakRss: {} },
      similar: { signature: 'x', scanned: 2, truncated: false, items: [{ runId: 'r0', attempt: 1, at: 1, version: 'v', endedBy: 'param-change', fix: { runId: 'r2', params: [{ key: 'port', from: 1, to: 8080 }] } }] },
    });
    expect(rs.map((r) => r.command)).toEqual(['baton run /w/flow.yaml --param port=8080', 'baton retry r1 --failed', 'baton retry r1 --from s']);
    expect(rs[0]!.evidence).toContain('s1');
  });

  it('re-runs a step --on a tag a live worker has when the failing worker lacks the tool or the memory', () => {
    const w = (id: string, tags: string[], over: Partial<WorkerTags> = {}): WorkerTags => ({ id, platform: 'linux', tags, live: true, memoryBytes: 2 ** 31, ...over });
    const input = (cls: 'command-not-found' | 'memory' | 'network', text: string, workers: WorkerTags[]): RecoveryInput => ({
      runId: 'r1', stepId: 'build', classification: { class: cls, evidence: [{ id: 'e1', kind: 'failure', text }] }, evidenceTexts: [text],
      changes: { params: [], duration: {}, peakRss: {}, worker: { failed: 'small' } }, similar: { signature: 'x', scanned: 0, truncated: false, items: [] },
      toolTags: { ansible: 'ansible-playbook', docker: 'docker' }, workers,
    });
    const spawn = "spawn: could not start 'docker': spawn docker ENOENT";
    expect(rankRecoveries(input('command-not-found', spawn, [w('small', ['x64']), w('big', ['x64', 'docker'])]))[0]!.command).toBe('baton retry r1 --from build --on docker');
    expect(rankRecoveries(input('command-not-found', 'sh: 1: ansible-playbook: not found', [w('small', []), w('ops', ['ansible'])]))[0]!.command).toBe('baton retry r1 --from build --on ansible');
    // Only a live worker counts, and only when the one that failed lacks the tag.
    expect(rankRecoveries(input('command-not-found', spawn, [w('small', []), w('big', ['docker'], { live: false })])).map((r) => r.command)).not.toContain('baton retry r1 --from build --on docker');
    expect(rankRecoveries(input('command-not-found', spawn, [w('small', ['docker']), w('big', ['docker'])])).some((r) => r.command.includes('--on'))).toBe(false);
    const mem = rankRecoveries(input('memory', 'exit code 137', [w('small', ['x64']), w('mid', ['x64', 'm'], { memoryBytes: 2 ** 32 }), w('huge', ['x64', 'highmem'], { memoryBytes: 2 ** 36 })]));
    expect(mem[0]!.command).toBe('baton retry r1 --from build --on highmem');
    expect(mem[0]!.reason).toContain('worker small has 2.0 GiB; worker huge, tagged highmem, has 64.0 GiB');
    expect(rankRecoveries(input('network', 'ECONNREFUSED', [w('small', []), w('big', ['docker'])])).some((r) => r.command.includes('--on'))).toBe(false);
    // No fleet: no worker to name.
    expect(rankRecoveries({ ...input('command-not-found', spawn, []), workers: undefined }).some((r) => r.command.includes('--on'))).toBe(false);
  });

  it('reads the missing command out of spawn and shell messages', () => {
    expect(missingCommand(["spawn: could not start 'docker': spawn docker ENOENT"])).toBe('docker');
    expect(missingCommand(['sh: 1: /opt/bin/terraform: not found'])).toBe('terraform');
    expect(missingCommand(['bash: line 1: kubectl: command not found'])).toBe('kubectl');
    expect(missingCommand(['bash: git: command not found'])).toBe('git');
    expect(missingCommand(['exit code 127'])).toBeUndefined();
  });

  it('diffs params key by key', () => {
    expect(diffParams({ a: 1, b: 'x' }, { a: 2, c: true })).toEqual([{ key: 'a', from: 1, to: 2 }, { key: 'b', from: 'x' }, { key: 'c', to: true }]);
  });
});
