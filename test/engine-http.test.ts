import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock, compileWorkflow, workflowVersion } from '../src/index.js';
import type { AttemptRecord, JsonObject, WorkflowInput } from '../src/index.js';
import { BATON_VERSION } from '../src/shared/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, nextEvent, stepTo, waitFor } from './helpers.js';
import type { TestServer } from './http-server.js';
import { json, testServer } from './http-server.js';

const TOKEN = 'tok-http-9f8e7d6c5b4a';

let rig: EngineRig | undefined;
let server: TestServer | undefined;
beforeEach(() => {
  process.env.HTTP_TEST_TOKEN = TOKEN;
});
afterEach(async () => {
  delete process.env.HTTP_TEST_TOKEN;
  await rig?.cleanup();
  await server?.close();
  rig = undefined;
  server = undefined;
});

/** Runs a workflow to its end on a fresh engine. */
async function run(input: WorkflowInput, params: JsonObject = {}): Promise<{ id: string; state: string; attempts: AttemptRecord[] }> {
  rig = await engineRig();
  const spec = compileWorkflow(input, { baseDir: rig.dir });
  const r = await rig.engine.startRun(spec, workflowVersion(spec), { params });
  const { state } = await r.result;
  return { id: r.id, state, attempts: await rig.store.getAttempts(r.id) };
}

const log = (a: AttemptRecord | undefined): string => readFileSync(a!.logPath!, 'utf8');

describe('http steps against a real local server', () => {
  it('GETs JSON, uses it downstream in a POST with a secret header; ids, user agent and log lines', async () => {
    server = await testServer((req, res) => {
      if (req.url === '/items/42') json(res, 200, { name: 'widget', size: 3 });
      else json(res, 201, { ok: true });
    });
    const { id, state, attempts } = await run({
      name: 'http-flow',
      params: { id: { type: 'string' } },
      secrets: [{ name: 'TOKEN', env: 'HTTP_TEST_TOKEN' }],
      steps: [
        { id: 'fetch', http: { url: `${server.origin}/items/\${{ params.id }}` } },
        {
          id: 'notify', needs: ['fetch'],
          http: {
            url: `${server.origin}/notify`, method: 'POST',
            headers: { Authorization: 'Bearer ${{ secrets.TOKEN }}' },
            body: { name: '${{ steps.fetch.output.name }}', size: '${{ steps.fetch.output.size }}' },
            expect: { status: [200, 201] },
          },
        },
      ],
    }, { id: '42' });
    expect(state).toBe('succeeded');
    const steps = Object.fromEntries((await rig!.store.getStepRuns(id)).map((s) => [s.stepId, s]));
    expect(steps.fetch?.output).toEqual({ name: 'widget', size: 3 });
    expect(steps.notify?.output).toEqual({ ok: true });
    const [get, post] = server.seen;
    expect(get).toMatchObject({ method: 'GET', url: '/items/42' });
    expect(post?.method).toBe('POST');
    expect(JSON.parse(post!.body)).toEqual({ name: 'widget', size: 3 });
    expect(post?.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'user-agent': `baton/${BATON_VERSION}` });
    expect(get?.headers['idempotency-key']).toBe(attempts.find((a) => a.stepId === 'fetch')?.id);
    expect(post?.headers['idempotency-key']).toBe(`${id}.notify.1`);
    const fetchLog = log(attempts.find((a) => a.stepId === 'fetch'));
    expect(fetchLog).toContain(`info http GET ${server.origin}/items/42\n`);
    expect(fetchLog).toMatch(/info http 200 OK in \d+ ms, 26 bytes\n/);
    expect(log(attempts.find((a) => a.stepId === 'notify'))).not.toContain(TOKEN);
  });

  it('a 500 then a 200 is retried; each attempt sends its own id as Idempotency-Key', async () => {
    server = await testServer((_req, res, n) => (n === 0 ? json(res, 500, { error: 'boom' }) : json(res, 200, { done: true })));
    const { state, attempts } = await run({
      name: 'http-retry',
      steps: [{ id: 'call', http: { url: `${server.origin}/x`, method: 'PUT', body: 'plain text' }, retry: { attempts: 3, delay: '10ms' } }],
    });
    expect(state).toBe('succeeded');
    expect(attempts.map((a) => [a.number, a.state, a.error?.type])).toEqual([[1, 'failed', 'http-status'], [2, 'succeeded', undefined]]);
    expect(attempts[0]?.error).toMatchObject({ retryable: true, message: `PUT ${server.origin}/x answered 500 Internal Server Error (expected 2xx)`, details: { status: 500, body: '{"error":"boom"}' } });
    expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual(attempts.map((a) => a.id));
    expect(server.seen[0]?.body).toBe('plain text');
    expect(server.seen[0]?.headers['content-type']).toBe('text/plain;charset=UTF-8');
  });

  it('a 429 with Retry-After: 1 waits 1 s before the next attempt (virtual clock), capped by maxDelay', async () => {
    server = await testServer((_req, res, n) => (n === 0 ? json(res, 429, {}, { 'retry-after': '1' }) : json(res, 200, 'ok')));
    const clock = new VirtualClock();
    rig = await engineRig({ clock });
    const r = rig;
    const spec = compileWorkflow({
      name: 'http-429',
      steps: [{ id: 'call', http: { url: `${server.origin}/limited` }, retry: { attempts: 2, delay: '50ms', jitter: 1 } }],
    }, { baseDir: r.dir });
    const retrying = nextEvent(r.engine, stepTo('retrying'));
    const started = await r.engine.startRun(spec, workflowVersion(spec));
    const e = await retrying;
    expect(e.data).toMatchObject({ dueAt: clock.now() + 1_000 });
    clock.advance(999);
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    expect(server.seen).toHaveLength(1);
    clock.advance(1);
    expect((await started.result).state).toBe('succeeded');
    const attempts = await r.store.getAttempts(started.id);
    expect(attempts[0]?.error).toMatchObject({ type: 'http-status', retryable: true, retryAfterMs: 1_000 });

    // A server asking for an hour gets the policy's maxDelay.
    await server.close();
    server = await testServer((_req, res, n) => (n === 0 ? json(res, 503, {}, { 'retry-after': '3600' }) : json(res, 200, 'ok')));
    const capped = compileWorkflow({
      name: 'http-503',
      steps: [{ id: 'call', http: { url: `${server.origin}/busy` }, retry: { attempts: 2, delay: '50ms', maxDelay: '2s' } }],
    }, { baseDir: r.dir });
    const retrying2 = nextEvent(r.engine, stepTo('retrying'));
    const second = await r.engine.startRun(capped, workflowVersion(capped));
    expect((await retrying2).data).toMatchObject({ dueAt: clock.now() + 2_000 });
    clock.advance(2_000);
    expect((await second.result).state).toBe('succeeded');
  });

  it('a 404 fails at once, without spending the retries', async () => {
    server = await testServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('no such item'));
    const { state, attempts } = await run({
      name: 'http-404',
      steps: [{ id: 'call', http: { url: `${server.origin}/missing` }, retry: { attempts: 5, delay: '10ms' } }],
    });
    expect(state).toBe('failed');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toMatchObject({ type: 'http-status', retryable: false, details: { status: 404, body: 'no such item' } });
  });

  it('expect names the statuses that succeed; +json responses are JSON, others text, HEAD has no output', async () => {
    server = await testServer((req, res) => {
      if (req.url === '/gone') res.writeHead(410, { 'content-type': 'application/problem+json' }).end('{"title":"gone"}');
      else res.writeHead(200, { 'content-type': 'text/csv' }).end('a,b\n1,2\n');
    });
    const { id, state } = await run({
      name: 'http-expect',
      steps: [
        { id: 'gone', http: { url: `${server.origin}/gone`, expect: { status: 410 } } },
        { id: 'csv', http: { url: `${server.origin}/csv` } },
        { id: 'head', http: { url: `${server.origin}/csv`, method: 'HEAD' } },
      ],
    });
    expect(state).toBe('succeeded');
    const outputs = Object.fromEntries((await rig!.store.getStepRuns(id)).map((s) => [s.stepId, s.output]));
    expect(outputs).toEqual({ gone: { title: 'gone' }, csv: 'a,b\n1,2\n', head: null });
  });

  it('a slow server hits the request timeout; a retry that gets an answer succeeds', async () => {
    server = await testServer((_req, res, n) => {
      if (n > 0) json(res, 200, { late: false });
      // else: never answered; the client gives up.
    });
    const { state, attempts } = await run({
      name: 'http-slow',
      steps: [{ id: 'call', http: { url: `${server.origin}/slow`, timeout: '300ms' }, retry: { attempts: 2, delay: '10ms' } }],
    });
    expect(state).toBe('succeeded');
    expect(attempts[0]?.error).toMatchObject({ type: 'http-request', retryable: true, message: `GET ${server.origin}/slow: no complete response within 300 ms (http.timeout)` });
    await waitFor(() => server?.seen[0]?.aborted, 2_000, 'the abandoned request closed');
    expect(log(attempts[0])).toMatch(/info http request timed out after \d+ ms\n/);
  });

  it("the step's own timeout aborts the request", async () => {
    server = await testServer(() => undefined);
    const { state, attempts } = await run({ name: 'http-step-timeout', steps: [{ id: 'call', http: { url: `${server.origin}/hang` }, timeout: '300ms' }] });
    expect(state).toBe('failed');
    expect(attempts[0]?.error).toMatchObject({ type: 'timeout' });
    await waitFor(() => server?.seen[0]?.aborted, 2_000, 'the aborted request closed');
  });

  it('cancelling the run aborts the request in flight', async () => {
    server = await testServer(() => undefined);
    rig = await engineRig();
    const spec = compileWorkflow({ name: 'http-cancel', steps: [{ id: 'call', http: { url: `${server.origin}/hang` } }] }, { baseDir: rig.dir });
    const r = await rig.engine.startRun(spec, workflowVersion(spec));
    await waitFor(() => server?.seen.length === 1, 5_000, 'the request to arrive');
    expect(rig.engine.cancelRun(r.id)).toBe(true);
    expect((await r.result).state).toBe('cancelled');
    await waitFor(() => server?.seen[0]?.aborted, 2_000, 'the cancelled request closed');
    expect((await rig.store.getAttempts(r.id))[0]?.state).toBe('cancelled');
  });

  it('a response over maxResponseBytes fails with a clear error, declared or streamed', async () => {
    server = await testServer((req, res) => {
      const big = 'x'.repeat(5_000);
      if (req.url === '/declared') res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      else {
        res.writeHead(200); // chunked: no length to refuse up front
        res.write(big.slice(0, 2_500));
        setTimeout(() => res.end(big.slice(2_500)), 20);
      }
    });
    const { state, attempts } = await run({
      name: 'http-big',
      steps: [
        { id: 'declared', http: { url: `${server.origin}/declared`, maxResponseBytes: '1KiB' }, continueOnError: true },
        { id: 'streamed', http: { url: `${server.origin}/streamed`, maxResponseBytes: '1KiB' }, retry: { attempts: 3 } },
      ],
    });
    expect(state).toBe('failed');
    const byStep = Object.fromEntries(attempts.map((a) => [a.stepId, a]));
    expect(byStep.declared?.error).toMatchObject({ type: 'response-too-large', retryable: false, message: `GET ${server.origin}/declared answered more than maxResponseBytes (1024 bytes): content-length 5000` });
    expect(byStep.streamed?.error).toMatchObject({ type: 'response-too-large', retryable: false });
    expect(attempts.filter((a) => a.stepId === 'streamed')).toHaveLength(1);
  });

  it('secrets in the URL and in an error body are masked in the log and the error', async () => {
    server = await testServer((req, res) => res.writeHead(401, { 'content-type': 'text/plain' }).end(`bad token ${req.url}`));
    const { id, state, attempts } = await run({
      name: 'http-masked',
      secrets: [{ name: 'TOKEN', env: 'HTTP_TEST_TOKEN' }],
      steps: [{ id: 'call', http: { url: `${server.origin}/q?token=\${{ secrets.TOKEN }}` } }],
    });
    expect(state).toBe('failed');
    expect(server.seen[0]?.url).toBe(`/q?token=${TOKEN}`);
    expect(attempts[0]?.error).toEqual({
      type: 'http-status', retryable: false,
      message: `GET ${server.origin}/q?token=*** answered 401 Unauthorized (expected 2xx)`,
      details: { status: 401, body: 'bad token /q?token=***' },
    });
    const text = log(attempts[0]);
    expect(text).toContain(`http GET ${server.origin}/q?token=***\n`);
    const stored = JSON.stringify({ attempts, steps: await rig!.store.getStepRuns(id), events: await rig!.store.getEvents(id) });
    expect(stored + text).not.toContain(TOKEN);
  });

  it('a URL that is not http(s) once evaluated fails naming the step; idempotencyKey: false sends none', async () => {
    server = await testServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
    const { state, attempts } = await run({
      name: 'http-invalid',
      params: { target: { type: 'string' }, name: { type: 'string' } },
      steps: [
        { id: 'plain', http: { url: `${server.origin}/t`, idempotencyKey: false } },
        { id: 'bad', needs: ['plain'], http: { url: '${{ params.target }}' }, retry: { attempts: 3 } },
        { id: 'header', needs: ['plain'], http: { url: `${server.origin}/h`, headers: { 'X-Name': '${{ params.name }}' } }, retry: { attempts: 3 }, continueOnError: true },
      ],
    }, { target: 'file:///etc/passwd', name: 'a\r\nInjected: yes' });
    expect(state).toBe('failed');
    expect(server.seen[0]?.headers['idempotency-key']).toBeUndefined();
    expect((await rig!.store.getStepRuns(attempts[0]!.runId)).find((s) => s.stepId === 'plain')?.output).toBe('hello');
    const bad = attempts.filter((a) => a.stepId === 'bad');
    expect(bad).toHaveLength(1);
    expect(bad[0]?.error).toMatchObject({ type: 'http-invalid', retryable: false, message: "step 'bad': url \"file:///etc/passwd\" must be http:// or https://, not file:" });
    // A value that would split the header is refused, not sent, and not retried.
    const header = attempts.filter((a) => a.stepId === 'header');
    expect(header.map((a) => a.error?.type)).toEqual(['http-invalid']);
    expect(header[0]?.error?.message).toContain("step 'header': ");
    expect(server.seen.map((r) => r.url)).toEqual(['/t']);
  });

  it('a refused connection is a retryable network failure', async () => {
    server = await testServer(() => undefined);
    const origin = server.origin;
    await server.close();
    server = undefined;
    const { state, attempts } = await run({ name: 'http-refused', steps: [{ id: 'call', http: { url: `${origin}/x` }, retry: { attempts: 2, delay: '10ms' } }] });
    expect(state).toBe('failed');
    expect(attempts.map((a) => a.error?.type)).toEqual(['http-request', 'http-request']);
    expect(attempts[0]?.error?.message).toContain('ECONNREFUSED');
  });
});
