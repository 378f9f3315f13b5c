/**
 * A client generated from the OpenAPI document (openapi-typescript types, openapi-fetch)
 * against a real server: the checked-in types match the document the server serves, and
 * the routes whose bodies are not JSON — workflow registration, attempt logs, metrics,
 * live events — work through the typed client as documented.
 */
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPES_FILE, openapiTypes } from '../scripts/openapi-document.js';
import type { OpenAPI3 } from 'openapi-typescript';
import type { paths } from './generated/api.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

let api: TestApi;
let client: ReturnType<typeof createClient<paths>>;

beforeAll(async () => {
  api = await startApi();
  client = createClient<paths>({ baseUrl: api.url, headers: { authorization: `Bearer ${api.tokens.admin}` } });
});
afterAll(async () => api.close());

describe('the generated client', () => {
  it('has types generated from the document the server serves (npm run gen:api-types)', async () => {
    const served = await api.call('GET', '/api/v1/openapi.json', { role: 'none' });
    expect(served.status).toBe(200);
    expect(await openapiTypes(served.body as OpenAPI3)).toBe(readFileSync(TYPES_FILE, 'utf8'));
  });

  it('registers a workflow as a JSON object and as YAML text', async () => {
    const asJson = await client.POST('/api/v1/workflows', {
      body: { name: 'typed', steps: [{ id: 'a', run: 'echo typed-client-log' }] },
    });
    expect(asJson.response.status, JSON.stringify(asJson.error)).toBe(201);
    expect(asJson.data).toMatchObject({ name: 'typed', created: true });
    const asYaml = await client.POST('/api/v1/workflows', {
      body: 'name: typed-yaml\nsteps:\n  - id: a\n    run: echo yaml\n',
      bodySerializer: (b) => b,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(asYaml.response.status, JSON.stringify(asYaml.error)).toBe(201);
    expect(asYaml.data?.name).toBe('typed-yaml');
    const invalid = await client.POST('/api/v1/workflows/validate', { body: { name: 'x', steps: 'no' } });
    expect(invalid.data?.valid).toBe(false);
  });

  it('reads an attempt log and the metrics as text, and opens the event stream', async () => {
    const created = await client.POST('/api/v1/runs', { body: { workflow: 'typed' } });
    expect(created.response.status).toBe(201);
    const id = created.data!.run.id;
    await waitFor(async () => {
      const r = await client.GET('/api/v1/runs/{id}', { params: { path: { id } } });
      return r.data?.run.state === 'succeeded' ? true : undefined;
    }, 10_000, `run ${id} to succeed`);
    const log = await client.GET('/api/v1/runs/{id}/steps/{step}/attempts/{number}/log', {
      params: { path: { id, step: 'a', number: 1 }, query: { offset: 0 } },
      parseAs: 'text',
    });
    expect(log.response.status).toBe(200);
    expect(log.data).toContain('typed-client-log');
    expect(log.response.headers.get('content-type')).toMatch(/^text\/plain/);

    const metrics = await client.GET('/metrics', { parseAs: 'text' });
    expect(metrics.response.status).toBe(200);
    expect(metrics.data).toMatch(/^# HELP /m);

    const events = await client.GET('/api/v1/events', { params: { query: { run: id, after: '0' } }, parseAs: 'stream' });
    expect(events.response.status).toBe(200);
    expect(events.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (events.data as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('"to":"succeeded"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    expect(text).toContain(`"runId":"${id}"`);
    expect(text).toContain('"to":"succeeded"');
  });
});
