/**
 * The webhook channel against a real HTTP server on loopback: what it sends (body in both
 * formats, headers, a signature baton's own inbound verification accepts) and how each kind
 * of answer — or no answer — becomes an outcome.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BATON_VERSION } from '../src/shared/index.js';
import { verifyWebhook } from '../src/triggers/index.js';
import { ChannelError, createChannel } from '../src/observe/index.js';
import type { Channel, ChannelSpec, SlackBody, WebhookChannelSpec } from '../src/observe/index.js';
import { SECRET, firing, mask, report, resolved } from './channels-fixtures.js';
import { waitFor } from './helpers.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let base: string;
let received: Received[] = [];
/** How the server answers the next requests; by default 204. */
let answer: (res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  answer = (res) => res.writeHead(204).end();
});

const channel = (webhook: Partial<WebhookChannelSpec> = {}): Channel => {
  const spec: ChannelSpec = {
    name: 'hook',
    type: 'webhook',
    sendResolved: true,
    publicUrl: 'https://baton.example.com',
    mask,
    webhook: { url: `${base}/notify/path-token`, format: 'baton', headers: {}, timeoutMs: 5000, ...webhook },
  };
  return createChannel(spec);
};

describe('webhook channel: what it sends', () => {
  it('POSTs the notification as JSON with baton headers, signed as inbound webhooks verify', async () => {
    const hook = channel({ secret: SECRET, headers: { Authorization: 'Bearer abc', 'X-Baton-Event': 'spoofed' } });
    const outcome = await hook.send(firing, 'dl_01');
    expect(outcome).toMatchObject({ ok: true, retryable: false, statusCode: 204 });
    expect(received).toHaveLength(1);
    const [r] = received as [Received];
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/notify/path-token');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe(`baton/${BATON_VERSION}`);
    expect(r.headers['x-baton-delivery']).toBe('dl_01');
    expect(r.headers['x-baton-event']).toBe('alert'); // the channel's own, not the configured one
    expect(r.headers.authorization).toBe('Bearer abc');
    expect(JSON.parse(r.body.toString('utf8'))).toEqual(firing);
    const headers = { timestamp: r.headers['x-baton-timestamp'] as string, delivery: r.headers['x-baton-delivery'] as string, signature: r.headers['x-baton-signature'] as string };
    expect(verifyWebhook(headers, r.body, { secret: SECRET, toleranceSec: 300, now: Date.now() })).toEqual({ timestamp: Number(headers.timestamp), delivery: 'dl_01' });
    expect(() => verifyWebhook(headers, r.body, { secret: 'another-secret', toleranceSec: 300, now: Date.now() })).toThrow(/signature does not match/);
  });

  it('sends no signature without a secret, and names the event of a run report', async () => {
    await channel().send(report, 'dl_02');
    const [r] = received as [Received];
    expect(r.headers['x-baton-signature']).toBeUndefined();
    expect(r.headers['x-baton-timestamp']).toBeUndefined();
    expect(r.headers['x-baton-event']).toBe('run-report');
  });

  it('format slack: text fallback, a header, one section per alert with its fields, a link button, escaped user data', async () => {
    await channel({ format: 'slack' }).send(firing, 'dl_03');
    const body = JSON.parse(received[0]!.body.toString('utf8')) as SlackBody;
    expect(body.text).toContain('[FIRING:2] any-run-failed nightly');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '[FIRING:2] any-run-failed nightly', emoji: false } });
    const sections = body.blocks.filter((b) => b.type === 'section' && 'fields' in b) as { text: { text: string }; fields: { text: string }[]; accessory?: { url: string } }[];
    expect(sections).toHaveLength(2);
    const fields = sections[0]!.fields.map((f) => f.text);
    expect(fields).toEqual(expect.arrayContaining(['*Rule*\nany-run-failed (run-failed)', '*Workflow*\nnightly', '*Run*\nr-1', '*Step*\nload', '*State*\nfiring']));
    expect(sections[0]!.accessory).toMatchObject({ type: 'button', url: 'https://baton.example.com/runs/r-1' });
    expect(sections[1]!.accessory).toBeUndefined();
    expect(sections[1]!.text.text).toBe('*run nightly/r-2 failed: &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;*');
    expect(JSON.stringify(body)).not.toContain('<!channel>');
    expect(body.blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ type: 'button', url: 'https://baton.example.com' }] });
  });

  it('format slack: a resolved message says so', async () => {
    await channel({ format: 'slack' }).send(resolved, 'dl_04');
    const body = JSON.parse(received[0]!.body.toString('utf8')) as SlackBody;
    expect(body.text).toMatch(/^\[RESOLVED\] any-run-failed nightly — Resolved: 2 alerts/);
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { text: '[RESOLVED] any-run-failed nightly' } });
    expect(JSON.stringify(body.blocks)).toContain('*Resolved*\\n2025-03-01T03:00:00.000Z');
  });
});

describe('webhook channel: outcomes', () => {
  it('a 500 is retryable, with the status and the start of the body, secrets masked', async () => {
    answer = (res) => res.writeHead(500).end(`database password ${SECRET} rejected\n${'x'.repeat(5000)}`);
    const outcome = await channel().send(firing, 'dl_10');
    expect(outcome).toMatchObject({ ok: false, retryable: true, statusCode: 500 });
    expect(outcome.error).toMatch(/^http:\/\/127\.0\.0\.1:\d+ answered 500: database password \*\*\* rejected x+/);
    expect(outcome.error).not.toContain(SECRET);
    expect(outcome.error).not.toContain('path-token'); // the URL's path may be a credential
    expect(outcome.error!.length).toBeLessThanOrEqual(200);
  });

  it('a 400 ends the delivery; 408, 425 and 429 do not', async () => {
    answer = (res) => res.writeHead(400).end('bad payload');
    expect(await channel().send(firing, 'dl_11')).toMatchObject({ ok: false, retryable: false, statusCode: 400 });
    for (const status of [408, 425, 429, 503]) {
      answer = (res) => res.writeHead(status).end();
      expect(await channel().send(firing, `dl_${status}`)).toMatchObject({ ok: false, retryable: true, statusCode: status });
    }
  });

  it('a redirect is not followed and ends the delivery', async () => {
    answer = (res) => res.writeHead(302, { location: `${base}/elsewhere` }).end();
    const outcome = await channel().send(firing, 'dl_12');
    expect(outcome).toMatchObject({ ok: false, retryable: false, statusCode: 302 });
    expect(outcome.error).toContain('redirects are not followed');
    expect(received.map((r) => r.url)).toEqual(['/notify/path-token']);
  });

  it('a server that never answers times out within timeoutMs, retryable', async () => {
    answer = () => undefined; // holds the request open
    const t0 = performance.now();
    const outcome = await channel({ timeoutMs: 300 }).send(firing, 'dl_13');
    const took = performance.now() - t0;
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('did not answer within 300 ms') as unknown });
    expect(outcome.statusCode).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2500);
  });

  it('connection refused is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await channel({ url: `http://127.0.0.1:${port}/x` }).send(firing, 'dl_14');
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome.error).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('a cancelled delivery is retryable', async () => {
    answer = () => undefined;
    const stop = new AbortController();
    const pending = channel().send(firing, 'dl_15', stop.signal);
    await waitFor(() => received.length === 1, 5000, 'the request to arrive');
    stop.abort();
    expect(await pending).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('cancelled') as unknown });
  });

  it('refuses a URL that is not http(s) when the channel is made', () => {
    expect(() => channel({ url: 'ftp://example.com/x' })).toThrow(ChannelError);
  });
});
