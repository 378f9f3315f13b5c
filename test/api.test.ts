/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- API responses are JSON read loosely; the assertions check their shape */
/**
 * The HTTP API over a real socket, on a real SQLite store, with the real engine executing
 * the runs it creates: every route, every role, auth failures, malformed and oversized
 * bodies, signed webhooks and their replays, SSE resumed after a dropped connection, and
 * cursor pages while runs are being inserted.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/server/index.js';
import type { TestApi } from './api-helpers.js';
import { openSse, startApi } from './api-helpers.js';
import { waitFor, waitForRenewals } from './helpers.js';

const HELLO = `name: hello
params:
  times:
    type: integer
    default: 1
steps:
  - id: a
    run: echo hello-from-a
  - id: b
    needs: [a]
    run: echo b
`;

const HOOKED = `name: hooked
secrets: [HOOK_SECRET]
webhook:
  secret: HOOK_SECRET
params:
  sku:
    type: string
steps:
  - id: take
    run: echo taking
`;

const SECRET = 'hook-secret-value-123';

let api: TestApi;
let gate: string;

/** A workflow whose step `wait` runs until the file `gate` exists, then `after` runs. */
const gated = (name: string, file: string): string => `name: ${name}
steps:
  - id: wait
    run: "while [ ! -f ${file} ]; do sleep 0.05; done"
  - id: after
    needs: [wait]
    run: echo after
`;

async function register(text: string): Promise<{ name: string; version: string }> {
  const r = await api.call('POST', '/api/v1/workflows', { body: text, headers: { 'content-type': 'application/yaml' } });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

async function runUntilDone(id: string, timeoutMs = 10_000): Promise<any> {
  return waitFor(async () => {
    const r = await api.call('GET', `/api/v1/runs/${id}`, { role: 'viewer' });
    return ['succeeded', 'failed', 'cancelled'].includes(r.body.run.state) ? r.body : undefined;
  }, timeoutMs, `run ${id} to end`);
}

beforeAll(async () => {
  // Steps read secrets from the executing process's environment, the API from its `env`.
  process.env.HOOK_SECRET = SECRET;
  api = await startApi({ env: { HOOK_SECRET: SECRET } });
  gate = join(api.dir, 'gate');
  await register(HELLO);
  await register(HOOKED);
});
afterAll(async () => api.close());

describe('health and documentation', () => {
  it('/healthz and /readyz answer without a token', async () => {
    expect((await api.call('GET', '/healthz', { role: 'none' })).body).toEqual({ status: 'ok' });
    expect((await api.call('GET', '/readyz', { role: 'none' })).body).toEqual({ status: 'ready' });
  });

  it('/readyz says 503 while a migration is missing', async () => {
    const db = new Database(join(api.dir, 'baton.db'));
    try {
      const row = db.prepare('SELECT * FROM schema_migrations WHERE version = 6').get() as { version: number; name: string; applied_at: number };
      db.prepare('DELETE FROM schema_migrations WHERE version = 6').run();
      const r = await api.call('GET', '/readyz', { role: 'none' });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: 'migrations-pending', details: ['0006_api.sql'] });
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(row.version, row.name, row.applied_at);
      expect((await api.call('GET', '/readyz', { role: 'none' })).status).toBe(200);
    } finally {
      db.close();
    }
  });

  it('serves an OpenAPI 3 document generated from the route schemas, and a reference page', async () => {
    const doc = await api.call('GET', '/api/v1/openapi.json', { role: 'none' });
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/{id}', '/api/v1/events', '/api/v1/workflows', '/hooks/{workflow}']));
    expect(doc.body.paths['/api/v1/runs'].post.requestBody.content['application/json'].schema.properties.workflow).toBeDefined();
    const page = await fetch(`${api.url}/api/v1/docs/`);
    expect(page.status).toBe(200);
  });
});

describe('authentication and roles', () => {
  it('refuses a missing, malformed, unknown or revoked token with 401 and the error shape', async () => {
    const none = await api.call('GET', '/api/v1/runs', { role: 'none' });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: 'unauthenticated' });
    expect((await api.call('GET', '/api/v1/runs', { token: 'nope' })).status).toBe(401);
    const forged = api.tokens.admin.slice(0, -4) + 'AAAA';
    expect((await api.call('GET', '/api/v1/runs', { token: forged })).status).toBe(401);
    const created = await api.call('POST', '/api/v1/tokens', { body: { role: 'viewer', name: 'short-lived' } });
    expect(created.status).toBe(201);
    expect((await api.call('GET', '/api/v1/runs', { token: created.body.token })).status).toBe(200);
    const list = await api.call('GET', '/api/v1/tokens');
    expect(list.body.tokens.find((t: any) => t.id === created.body.record.id)).toMatchObject({ name: 'short-lived', role: 'viewer' });
    expect(list.text).not.toContain('hash');
    expect((await api.call('DELETE', `/api/v1/tokens/${created.body.record.id}`)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/runs', { token: created.body.token })).status).toBe(401);
    expect((await api.call('DELETE', `/api/v1/tokens/${created.body.record.id}`)).status).toBe(404);
  });

  // One route of each class: read, operate, register, manage tokens.
  const matrix: [string, string, () => unknown, Record<'viewer' | 'operator' | 'admin', number>][] = [
    ['GET', '/api/v1/runs', () => undefined, { viewer: 200, operator: 200, admin: 200 }],
    ['GET', '/api/v1/workflows', () => undefined, { viewer: 200, operator: 200, admin: 200 }],
    ['GET', '/api/v1/schedules', () => undefined, { viewer: 200, operator: 200, admin: 200 }],
    ['GET', '/metrics', () => undefined, { viewer: 200, operator: 200, admin: 200 }],
    ['POST', '/api/v1/runs', () => ({ workflow: 'hello' }), { viewer: 403, operator: 201, admin: 201 }],
    ['POST', '/api/v1/schedules/hello/pause', () => undefined, { viewer: 403, operator: 404, admin: 404 }],
    ['POST', '/api/v1/workflows', () => HELLO, { viewer: 403, operator: 403, admin: 201 }],
    ['POST', '/api/v1/workflows/validate', () => HELLO, { viewer: 403, operator: 403, admin: 200 }],
    ['GET', '/api/v1/tokens', () => undefined, { viewer: 403, operator: 403, admin: 200 }],
  ];
  for (const [method, path, body, want] of matrix) {
    it(`${method} ${path}: ${JSON.stringify(want)}`, async () => {
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const b = body();
        const r = await api.call(method, path, { role, ...(b !== undefined ? { body: b } : {}), ...(typeof b === 'string' ? { headers: { 'content-type': 'application/yaml' } } : {}) });
        expect(r.status, `${role}: ${r.text}`).toBe(want[role]);
        if (r.status === 403) expect(r.body.error.code).toBe('forbidden');
      }
    });
  }
});

describe('workflows', () => {
  it('registers YAML or JSON text; the same text again is the same version', async () => {
    const again = await api.call('POST', '/api/v1/workflows', { body: HELLO, headers: { 'content-type': 'application/yaml' } });
    expect(again.body).toMatchObject({ name: 'hello', created: false });
    const json = JSON.stringify({ name: 'from-json', steps: [{ id: 'x', run: 'echo x' }] }, null, 2);
    const r = await api.call('POST', '/api/v1/workflows', { body: json, headers: { 'content-type': 'application/json' } });
    expect(r.body).toMatchObject({ name: 'from-json', created: true });
    const list = await api.call('GET', '/api/v1/workflows', { role: 'viewer' });
    expect(list.body.workflows.map((w: any) => w.name)).toEqual(expect.arrayContaining(['hello', 'hooked', 'from-json']));
    const one = await api.call('GET', '/api/v1/workflows/from-json', { role: 'viewer' });
    expect(one.body.latest.version).toBe(r.body.version);
    expect((await api.call('GET', `/api/v1/workflows/from-json/versions/${r.body.version}`, { role: 'viewer' })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/workflows/from-json/versions/0000', { role: 'viewer' })).status).toBe(404);
    expect((await api.call('GET', '/api/v1/workflows/nope', { role: 'viewer' })).body.error.code).toBe('workflow-not-found');
  });

  it('refuses an invalid workflow with every problem, positioned in the text sent', async () => {
    const bad = 'name: broken\nsteps:\n  - id: a\n    run: echo a\n    needs: [zz]\n  - id: a\n    run: echo again\n';
    const r = await api.call('POST', '/api/v1/workflows', { body: bad, headers: { 'content-type': 'application/yaml' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid-workflow');
    expect(r.body.error.details.length).toBeGreaterThanOrEqual(2);
    expect(r.body.error.details[0]).toMatchObject({ file: 'request body', line: expect.any(Number), column: expect.any(Number) });
    const v = await api.call('POST', '/api/v1/workflows/validate', { body: bad, headers: { 'content-type': 'text/yaml' } });
    expect(v.status).toBe(200);
    expect(v.body.valid).toBe(false);
    expect((await api.call('GET', '/api/v1/workflows/broken', { role: 'viewer' })).status).toBe(404);
  });
});

describe('runs', () => {
  it('creates a run that the server executes; reads it with steps, attempts and logs', async () => {
    const r = await api.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'hello', params: { times: 3 } } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.run).toMatchObject({ workflow: 'hello', trigger: 'api', params: { times: 3 } });
    const done = await runUntilDone(r.body.run.id);
    expect(done.run.state).toBe('succeeded');
    expect(done.steps.map((s: any) => [s.stepId, s.state])).toEqual([['a', 'succeeded'], ['b', 'succeeded']]);
    expect(done.attempts).toHaveLength(2);
    const log = await api.call('GET', `/api/v1/runs/${r.body.run.id}/steps/a/attempts/1/log`, { role: 'viewer' });
    expect(log.text).toBe('hello-from-a\n');
    expect(log.headers.get('x-log-size')).toBe('13');
    const part = await api.call('GET', `/api/v1/runs/${r.body.run.id}/steps/a/attempts/1/log?offset=6&limit=4`, { role: 'viewer' });
    expect(part.text).toBe('from');
    expect(part.headers.get('x-log-next-offset')).toBe('10');
    expect((await api.call('GET', `/api/v1/runs/${r.body.run.id}/steps/a/attempts/9/log`, { role: 'viewer' })).status).toBe(404);
  });

  it('checks params against the declarations and names the workflow or run that is missing', async () => {
    const bad = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello', params: { times: 'many' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid-params');
    expect((await api.call('POST', '/api/v1/runs', { body: { workflow: 'ghost' } })).body.error.code).toBe('workflow-not-found');
    expect((await api.call('POST', '/api/v1/runs', { body: { params: {} } })).body.error.code).toBe('invalid-request');
    expect((await api.call('GET', '/api/v1/runs/zzzzzzzz', { role: 'viewer' })).body.error.code).toBe('run-not-found');
  });

  it('answers malformed JSON with 400 and an oversized body with 413, in the error shape', async () => {
    const bad = await api.call('POST', '/api/v1/runs', { raw: '{"workflow": "hello",', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('malformed-json');
    const big = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello', params: { pad: 'x'.repeat(1024 * 1024) } } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body-too-large');
    const unknown = await api.call('GET', '/api/v1/nothing-here', { role: 'viewer' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not-found');
  });

  it('filters runs by workflow, state, trigger and time, in cursor pages', async () => {
    const before = Date.now();
    const r = await api.call('POST', '/api/v1/runs', { body: { workflow: 'from-json' } });
    await runUntilDone(r.body.run.id);
    const mine = await api.call('GET', `/api/v1/runs?workflow=from-json&state=succeeded&trigger=api&since=${before}`, { role: 'viewer' });
    expect(mine.body.runs.map((x: any) => x.id)).toEqual([r.body.run.id]);
    expect((await api.call('GET', '/api/v1/runs?state=done', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/runs?limit=501', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/runs?cursor=garbage', { role: 'viewer' })).body.error.code).toBe('bad-cursor');
  });

  it('pages see every run exactly once while new runs are being inserted', async () => {
    const made = new Set<string>();
    for (let i = 0; i < 25; i++) made.add((await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello', at: Date.now() + 3_600_000 } })).body.run.id);
    // Inserts run concurrently with the paging: they land before the first page, so the
    // cursor keeps every later page stable.
    let paging = true;
    let inserted = 0;
    const inserter = (async () => {
      while (paging) {
        await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello', at: Date.now() + 3_600_000 } });
        inserted++;
      }
    })();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/api/v1/runs?state=pending&limit=7${cursor ? `&cursor=${cursor}` : ''}`, { role: 'viewer' });
      seen.push(...page.body.runs.map((x: any) => x.id));
      cursor = page.body.next;
      await new Promise((r) => setTimeout(r, 5));
    } while (cursor);
    paging = false;
    await inserter;
    expect(inserted).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of made) expect(seen).toContain(id);
  });

  it('tails a running attempt\'s log until the attempt ends', async () => {
    const tailGate = join(api.dir, 'tail-gate');
    const { name } = await register(`name: chatty
steps:
  - id: talk
    run: "echo first; while [ ! -f ${tailGate} ]; do sleep 0.05; done; echo second"
`);
    const r = await api.call('POST', '/api/v1/runs', { body: { workflow: name } });
    const id = r.body.run.id as string;
    await waitFor(async () => (await api.call('GET', `/api/v1/runs/${id}`)).body.attempts.length === 1, 10_000, 'the attempt to start');
    const res = await fetch(`${api.url}/api/v1/runs/${id}/steps/talk/attempts/1/log?follow=true`, { headers: { authorization: `Bearer ${api.tokens.viewer}` } });
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('first')) text += decoder.decode((await reader.read()).value);
    writeFileSync(tailGate, '');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toBe('first\nsecond\n');
    expect((await runUntilDone(id)).run.state).toBe('succeeded');
  });

  it('pauses a running run (no new step starts) and resumes it to the end', async () => {
    const { name } = await register(gated('gated', gate));
    const r = await api.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: name } });
    const id = r.body.run.id as string;
    await waitFor(async () => (await api.call('GET', `/api/v1/runs/${id}`)).body.steps[0].state === 'running', 10_000, 'wait to run');
    const p = await api.call('POST', `/api/v1/runs/${id}/pause`, { role: 'operator' });
    expect(p.status, p.text).toBe(200);
    expect(p.body.run.pausedAt).toBeGreaterThan(0);
    writeFileSync(gate, '');
    await waitFor(async () => (await api.call('GET', `/api/v1/runs/${id}`)).body.steps[0].state === 'succeeded', 10_000, 'wait to end');
    // Two heartbeats of the server's engine after the first step ended: the second must not start.
    await waitForRenewals(async () => (await api.call('GET', `/api/v1/runs/${id}`)).body.run.leaseExpiresAt as number | undefined);
    const paused = await api.call('GET', `/api/v1/runs/${id}`);
    expect(paused.body.steps[1].state).not.toBe('running');
    expect(paused.body.steps[1].state).not.toBe('succeeded');
    const res = await api.call('POST', `/api/v1/runs/${id}/resume`, { role: 'operator' });
    expect(res.body.outcome).toBe('unpaused');
    expect((await runUntilDone(id)).run.state).toBe('succeeded');
    expect((await api.call('POST', `/api/v1/runs/${id}/resume`, { role: 'operator' })).status).toBe(409);
    expect((await api.call('POST', `/api/v1/runs/${id}/pause`, { role: 'operator' })).status).toBe(409);
  });

  it('retries only the failed steps of a run, or as a new run; cancels; re-prioritises a waiting run', async () => {
    const flag = join(api.dir, 'fixed');
    const { name } = await register(`name: flaky
steps:
  - id: ok
    run: echo ok
  - id: fragile
    needs: [ok]
    retry: { attempts: 1 }
    run: "test -f ${flag}"
  - id: last
    needs: [fragile]
    run: echo last
`);
    const r = await api.call('POST', '/api/v1/runs', { body: { workflow: name } });
    const id = r.body.run.id as string;
    expect((await runUntilDone(id)).run.state).toBe('failed');
    writeFileSync(flag, '');
    const retry = await api.call('POST', `/api/v1/runs/${id}/retry`, { role: 'operator', body: { mode: 'failed' } });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.steps).toEqual(['fragile', 'last']);
    const done = await runUntilDone(id);
    expect(done.run.state).toBe('succeeded');
    expect(done.attempts.filter((a: any) => a.stepId === 'ok')).toHaveLength(1);
    expect(done.attempts.filter((a: any) => a.stepId === 'fragile').map((a: any) => a.number)).toEqual([1, 2]);
    const fresh = await api.call('POST', `/api/v1/runs/${id}/retry`, { role: 'operator', body: { mode: 'new' } });
    expect(fresh.body.run).toMatchObject({ trigger: 'retry', retryOf: id });
    expect((await api.call('POST', `/api/v1/runs/${id}/retry`, { body: { mode: 'from' } })).status).toBe(400);
    expect((await api.call('POST', `/api/v1/runs/${id}/retry`, { body: { mode: 'from', step: 'nope' } })).status).toBe(400);

    const later = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello', at: Date.now() + 3_600_000 } });
    expect(later.body.run.state).toBe('pending');
    const pr = await api.call('POST', `/api/v1/runs/${later.body.run.id}/priority`, { role: 'operator', body: { priority: 7 } });
    expect(pr.body.run.priority).toBe(7);
    expect((await api.call('POST', `/api/v1/runs/${later.body.run.id}/priority`, { body: { priority: 11 } })).status).toBe(400);
    expect((await api.call('POST', `/api/v1/runs/${id}/priority`, { body: { priority: 1 } })).status).toBe(409);
    const c = await api.call('POST', `/api/v1/runs/${later.body.run.id}/cancel`, { role: 'operator' });
    expect(c.body).toMatchObject({ outcome: 'cancelled', run: { state: 'cancelled' } });
  });
});

describe('live events', () => {
  it('streams state changes and, after a dropped connection, resumes from Last-Event-ID with nothing lost or repeated', async () => {
    const first = await openSse(`${api.url}/api/v1/events?workflow=hello`, api.tokens.viewer);
    expect(first.status).toBe(200);
    const a = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello' } });
    await runUntilDone(a.body.run.id);
    await waitFor(() => first.messages.some((m) => m.data.runId === a.body.run.id && m.data.type === 'run' && m.data.to === 'succeeded'), 5_000, 'the end of run A on the stream');
    first.close();
    const lastId = first.messages[first.messages.length - 1]!.id!;
    // While nobody listens: another run starts and ends.
    const b = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello' } });
    await runUntilDone(b.body.run.id);
    const second = await openSse(`${api.url}/api/v1/events?workflow=hello`, api.tokens.viewer, { 'last-event-id': lastId });
    await waitFor(() => second.messages.some((m) => m.data.runId === b.body.run.id && m.data.type === 'run' && m.data.to === 'succeeded'), 5_000, 'the end of run B after reconnecting');
    second.close();
    const got = [...first.messages, ...second.messages].filter((m) => m.data.runId === b.body.run.id || m.data.runId === a.body.run.id);
    const stored = [...(await api.store.getEvents(a.body.run.id)), ...(await api.store.getEvents(b.body.run.id))].map((e) => e.seq).sort((x, y) => x - y);
    expect(got.map((m) => m.data.seq)).toEqual(stored);
    expect(got.every((m) => m.data.workflow === 'hello')).toBe(true);
  });

  it('filters by run and by type; refuses a malformed Last-Event-ID with 400 before streaming', async () => {
    const r = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello' } });
    const s = await openSse(`${api.url}/api/v1/events?run=${r.body.run.id}&after=0`, api.tokens.viewer);
    await waitFor(() => s.messages.some((m) => m.data.type === 'run' && m.data.to === 'succeeded'), 10_000, 'the run to end on its stream');
    s.close();
    expect(new Set(s.messages.map((m) => m.data.runId))).toEqual(new Set([r.body.run.id]));
    const steps = await openSse(`${api.url}/api/v1/events?run=${r.body.run.id}&type=step&after=0`, api.tokens.viewer);
    const stepCount = s.messages.filter((m) => m.data.type === 'step').length;
    expect(stepCount).toBeGreaterThan(0);
    await waitFor(() => steps.messages.length === stepCount, 5_000, 'the step transitions of the run');
    steps.close();
    expect(steps.messages.map((m) => m.data.seq)).toEqual(s.messages.filter((m) => m.data.type === 'step').map((m) => m.data.seq));
    expect((await api.call('GET', '/api/v1/events?type=attempt', { role: 'viewer' })).status).toBe(400);
    const bad = await api.call('GET', '/api/v1/events?after=not-a-cursor', { role: 'viewer' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad-cursor');
  });
});

describe('webhooks', () => {
  const send = (body: string, o: { ts?: number; delivery?: string; secret?: string; sig?: string } = {}) => {
    const ts = o.ts ?? Math.floor(Date.now() / 1000);
    const delivery = o.delivery ?? `d-${Math.random()}`;
    return api.call('POST', '/hooks/hooked', {
      role: 'none', raw: body,
      headers: {
        'content-type': 'application/json',
        'x-baton-timestamp': String(ts),
        'x-baton-delivery': delivery,
        'x-baton-signature': o.sig ?? signWebhook(o.secret ?? SECRET, ts, delivery, body),
      },
    });
  };

  it('starts a run with the body as params when signed; a replayed delivery starts nothing', async () => {
    const body = JSON.stringify({ sku: 'A-1' });
    const r = await send(body, { delivery: 'delivery-1' });
    expect(r.status, r.text).toBe(202);
    const run = await runUntilDone(r.body.runId);
    expect(run.run).toMatchObject({ workflow: 'hooked', trigger: 'webhook', params: { sku: 'A-1' }, state: 'succeeded' });
    const replay = await send(body, { delivery: 'delivery-1' });
    expect(replay.status).toBe(409);
    expect(replay.body.error).toMatchObject({ code: 'duplicate-delivery', details: { runId: r.body.runId } });
    const runs = await api.call('GET', '/api/v1/runs?workflow=hooked&trigger=webhook', { role: 'viewer' });
    expect(runs.body.runs).toHaveLength(1);
  });

  it('refuses a wrong signature, a stale timestamp, missing headers, bad params, and workflows without a webhook', async () => {
    const body = JSON.stringify({ sku: 'B' });
    expect((await send(body, { secret: 'wrong' })).body.error.code).toBe('bad-signature');
    expect((await send(body, { delivery: 'd-c', sig: signWebhook(SECRET, Math.floor(Date.now() / 1000), 'd-c', '{"sku":"C"}') })).body.error.code).toBe('bad-signature');
    const stale = Math.floor(Date.now() / 1000) - 301;
    expect((await send(body, { ts: stale })).body.error.code).toBe('stale-signature');
    const unsigned = await api.call('POST', '/hooks/hooked', { role: 'none', raw: body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error.code).toBe('unsigned');
    expect((await send(JSON.stringify({ sku: 5 }))).body.error.code).toBe('invalid-params');
    expect((await send('[1,2]')).status).toBe(400);
    const none = await api.call('POST', '/hooks/hello', { role: 'none', raw: body, headers: { 'content-type': 'application/json' } });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('webhook-not-found');
  });

  it('refuses a captured request re-sent with a fresh delivery id, and the old signature scheme', async () => {
    const body = JSON.stringify({ sku: 'R-1' });
    const ts = Math.floor(Date.now() / 1000);
    const captured = { 'content-type': 'application/json', 'x-baton-timestamp': String(ts), 'x-baton-delivery': 'captured-1', 'x-baton-signature': signWebhook(SECRET, ts, 'captured-1', body) };
    expect((await api.call('POST', '/hooks/hooked', { role: 'none', raw: body, headers: captured })).status).toBe(202);
    const replay = await api.call('POST', '/hooks/hooked', { role: 'none', raw: body, headers: { ...captured, 'x-baton-delivery': 'fresh-id-2' } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('bad-signature');
    // The scheme before the delivery id was signed: HMAC of '<timestamp>.<body>' only.
    const old = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
    const refused = await api.call('POST', '/hooks/hooked', { role: 'none', raw: body, headers: { ...captured, 'x-baton-delivery': 'old-scheme', 'x-baton-signature': old } });
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/<timestamp>\.<delivery>\.<raw body>.*no longer accepted/);
    const runs = await api.call('GET', '/api/v1/runs?workflow=hooked&trigger=webhook&limit=500', { role: 'viewer' });
    expect(runs.body.runs.filter((r: any) => r.params.sku === 'R-1')).toHaveLength(1);
  });

  it('rate-limits webhook requests per client and workflow', async () => {
    const limited = await startApi({ env: { HOOK_SECRET: SECRET }, webhookRatePerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call('POST', '/hooks/hooked', { role: 'none', raw: '{}', headers: { 'content-type': 'application/json' } })).status);
      expect(statuses.slice(0, 3).every((s) => s !== 429)).toBe(true);
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('schedules, workers, metrics', () => {
  it('lists schedules with next fire times; pauses and resumes them', async () => {
    await register(`name: nightly
schedule:
  cron: "0 2 * * *"
  timezone: Europe/Paris
steps:
  - id: x
    run: echo x
`);
    const list = await api.call('GET', '/api/v1/schedules', { role: 'viewer' });
    const s = list.body.schedules.find((x: any) => x.workflow === 'nightly');
    expect(s.nextFireTimes).toHaveLength(5);
    const p = await api.call('POST', '/api/v1/schedules/nightly/pause', { role: 'operator' });
    expect(p.body.changed).toEqual([s.id]);
    expect((await api.call('GET', '/api/v1/schedules', { role: 'viewer' })).body.schedules.find((x: any) => x.id === s.id).paused).toBe(true);
    const [wf, sched] = (s.id as string).split('/');
    expect((await api.call('POST', `/api/v1/schedules/${wf}/${sched}/resume`, { role: 'operator' })).body.changed).toEqual([s.id]);
    expect((await api.call('POST', '/api/v1/schedules/nope/pause', { role: 'operator' })).status).toBe(404);
  });

  it('has no fleet on SQLite: no workers, and draining one is a 404', async () => {
    expect((await api.call('GET', '/api/v1/workers', { role: 'viewer' })).body).toEqual({ workers: [] });
    expect((await api.call('POST', '/api/v1/workers/w1/drain', { role: 'operator' })).status).toBe(404);
  });

  it('exposes Prometheus metrics: runs by state, queue depth, step durations', async () => {
    const r = await api.call('POST', '/api/v1/runs', { body: { workflow: 'hello' } });
    await runUntilDone(r.body.run.id);
    // The metrics feed reads the event table about once a second: scrape until it has.
    const m = await waitFor(async () => {
      const got = await api.call('GET', '/metrics', { role: 'viewer' });
      return /baton_step_duration_seconds_count\{workflow="hello",state="succeeded"\} [1-9]/.test(got.text) ? got : undefined;
    }, 10_000, 'step durations in the metrics');
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/baton_runs\{state="succeeded"\} \d+/);
    expect(m.text).toMatch(/baton_queue_depth \d+/);
    expect(m.text).toMatch(/baton_step_duration_seconds_count\{workflow="hello",state="succeeded"\} [1-9]/);
    // The finished run is counted by workflow and state, for rate alerts.
    expect(m.text).toMatch(/baton_runs_finished_total\{workflow="hello",state="succeeded"\} [1-9]/);
  });
});
