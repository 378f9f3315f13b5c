/**
 * The HTTP API at its edges, over real sockets: failures fastify and Node answer before a
 * route runs (bad URL, long path segment, oversized headers, unknown route, wrong media
 * type), 500s logged with a request id the body repeats, a client dripping its body cut off
 * by the request timeout, a body far over the limit answered 413 rather than reset, and
 * `?after=` from the beginning.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { Store } from '../src/index.js';
import { buildApi, createToken } from '../src/server/index.js';
import type { FailedRequest } from '../src/server/errors.js';
import { installErrorHandling } from '../src/server/errors.js';
import { tempDir } from './helpers.js';

let dir: string;
let store: Store;
let app: FastifyInstance;
let port: number;
let token: string;

beforeAll(async () => {
  dir = tempDir('baton-api-edges-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  token = (await createToken(store, 'admin', 'edges', Date.now())).token;
  app = await buildApi({ store, dataDir: dir, requestTimeoutMs: 600, headersTimeoutMs: 400 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  await store.close();
});

/** Sends raw bytes on a fresh connection and resolves with everything the server sent back until it closed. */
function rawExchange(write: (send: (chunk: string | Buffer) => boolean) => void | Promise<void>): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, ...(error !== undefined ? { error } : {}) }));
    socket.on('connect', () => void write((chunk) => socket.write(chunk)));
  });
}

/** Status and JSON body of a raw HTTP response. */
function parse(text: string): { status: number; body: { error: { code: string; message: string } } } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(body) as { error: { code: string; message: string } } };
}

describe('errors fastify and Node raise keep the error shape', () => {
  it('a URL that does not decode: 400 bad-url; a path segment over the limit: 414', async () => {
    const bad = await app.inject({ method: 'GET', url: '/api/v1/runs/%E0%A4%A', headers: { authorization: `Bearer ${token}` } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'bad-url' } });
    const long = await fetch(`http://127.0.0.1:${port}/api/v1/runs/${'x'.repeat(300)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(long.status).toBe(414);
    expect(await long.json()).toMatchObject({ error: { code: 'uri-too-long' } });
  });

  it('headers over the limit: 431 in the error shape', async () => {
    const r = await rawExchange((send) => void send(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    const { status, body } = parse(r.text);
    expect(status).toBe(431);
    expect(body.error.code).toBe('headers-too-large');
  });

  it('an unknown route: 404; an unsupported media type: 415', async () => {
    const nf = await app.inject({ method: 'GET', url: '/nope' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json()).toMatchObject({ error: { code: 'not-found' } });
    const media = await app.inject({ method: 'POST', url: '/api/v1/runs', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' }, payload: '<run/>' });
    expect(media.statusCode).toBe(415);
    expect(media.json()).toMatchObject({ error: { code: 'unsupported-media-type' } });
  });
});

describe('limits', () => {
  it('cuts off a client dripping its body at the request timeout, with 408 in the error shape', async () => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const r = await rawExchange((send) => {
      send(`POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`);
      timer = setInterval(() => send('{'), 50);
    });
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(5_000);
    const { status, body } = parse(r.text);
    expect(status).toBe(408);
    expect(body.error.code).toBe('request-timeout');
  });

  it('answers a 5 MB body with 413 and the error body before closing, not a reset', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'a');
    const r = await rawExchange(async (send) => {
      send(`POST /api/v1/workflows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/yaml\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (let i = 0; i < body.length; i += 64 * 1024) {
        if (!send(body.subarray(i, i + 64 * 1024))) await new Promise((res) => setTimeout(res, 1));
      }
    });
    expect(r.error).toBeUndefined();
    const { status, body: err } = parse(r.text);
    expect(status).toBe(413);
    expect(err.error.code).toBe('body-too-large');
  });
});

describe('500s', () => {
  it('logs the failure with its request id, masked, and puts the id in the body', async () => {
    const logged: FailedRequest[] = [];
    const bare = Fastify();
    installErrorHandling(bare, { mask: (t) => t.replaceAll('hunter2-secret', '***'), logFailure: (f) => logged.push(f) });
    bare.get('/boom', () => {
      throw new Error('connect failed with password hunter2-secret');
    });
    const r = await bare.inject({ method: 'GET', url: '/boom' });
    await bare.close();
    expect(r.statusCode).toBe(500);
    const body = r.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body.error.code).toBe('internal');
    expect(body.error.requestId).toBe(logged[0]?.requestId);
    expect(body.error.message).toContain(body.error.requestId);
    expect(logged[0]?.error).toContain('password ***');
    expect(JSON.stringify(logged)).not.toContain('hunter2-secret');
  });

  it('a server without a logger writes the failure to stderr', async () => {
    const other = openSqliteStore(join(dir, 'other.db'));
    await other.migrate();
    const t = (await createToken(other, 'viewer', 'x', Date.now())).token;
    const api = await buildApi({ store: other, dataDir: dir });
    await api.ready();
    await other.close(); // every store read now throws
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const r = await api.inject({ method: 'GET', url: '/api/v1/runs', headers: { authorization: `Bearer ${t}` } });
      expect(r.statusCode).toBe(500);
      const id = r.json<{ error: { requestId: string } }>().error.requestId;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.join('')).toContain(`request ${id} GET /api/v1/runs failed`);
    } finally {
      spy.mockRestore();
      await api.close();
    }
  });
});

describe('?after=', () => {
  it("'0' and empty start from the first event; an id beyond the newest is a 400", async () => {
    for (const after of ['0', '']) {
      const ctl = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/events?after=${after}`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
      expect(res.status).toBe(200);
      ctl.abort();
    }
    const beyond = await app.inject({ method: 'GET', url: '/api/v1/events?after=999999999', headers: { authorization: `Bearer ${token}` } });
    expect(beyond.statusCode).toBe(400);
    expect(beyond.json()).toMatchObject({ error: { code: 'bad-cursor' } });
  });
});
