/**
 * The CLI's API client reads every answer through the server's own schemas: a server that
 * answers in another shape (another version, not baton) gets a clear error naming the
 * fields, not a wrong value deep inside a command.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ClientError } from '../src/cli/client.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serverAnswering(body: unknown): Promise<string> {
  const srv = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  close = () => new Promise((r) => srv.close(() => r()));
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

describe('ApiClient', () => {
  it('refuses an answer that does not fit the server schema, naming the fields', async () => {
    const url = await serverAnswering({ run: { id: 42, workflow: 'w' }, steps: [], attempts: [] });
    const err = await new ApiClient(url, 't').getRun('r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('bad-response');
    expect((err as ClientError).message).toMatch(/run\.id/);
    expect((err as ClientError).message).toMatch(/GET \/api\/v1\/runs\/r1/);
  });

  it('reads an answer that fits', async () => {
    const run = { id: 'r1', workflow: 'w', version: 'v', state: 'queued', trigger: 'api', params: {}, priority: 0, stepCount: 1, createdAt: 1 };
    const url = await serverAnswering({ run, steps: [], attempts: [], traceId: 'ab'.repeat(16) });
    expect((await new ApiClient(url, 't').getRun('r1')).run).toEqual(run);
  });
});
