/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- API responses are JSON read loosely; the tests check their shape */
/**
 * `GET /api/v1/breakers` (viewer) and `POST /api/v1/breakers/{key}/reset` (operator) on a
 * real server: a workflow's failures open its breaker, a run behind it shows its step queued
 * with `circuit`, the reset closes the breaker and the step runs; `/metrics` has the state
 * gauge and the transitions counter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

describe('breakers API', () => {
  it('lists breakers, shows a step held by one, resets it (operator) and the step runs', async () => {
    expect((await api.call('GET', '/api/v1/breakers', { role: 'none' })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/breakers', { role: 'viewer' })).body).toEqual({ breakers: [] });
    const key = 'step:calls/x';
    const fails = 'name: calls\nretry: { attempts: 1 }\nbreaker: { failures: 1, cooldown: 1h }\nsteps:\n  - id: x\n    run: "exit 1"\n';
    const waits = `name: waits\nsteps:\n  - id: y\n    run: "true"\n    breaker: "${key}"\n`;
    for (const raw of [fails, waits]) expect((await api.call('POST', '/api/v1/workflows', { raw, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const failed = (await api.call('POST', '/api/v1/runs', { body: { workflow: 'calls' } })).body.run.id as string;
    await waitFor(async () => (await api.store.getRun(failed))?.state === 'failed', 10_000, 'the failing run');
    const list = await waitFor(async () => {
      const r = await api.call('GET', '/api/v1/breakers', { role: 'viewer' });
      return r.body.breakers[0]?.state === 'open' ? r.body.breakers : undefined;
    }, 10_000, 'the breaker to open');
    expect(list).toEqual([expect.objectContaining({ key, state: 'open', consecutiveFailures: 1, callsInWindow: 1, failedInWindow: 1, reason: '1 consecutive failures' })]);
    expect(list[0].nextTrialAt - list[0].openedAt).toBe(3_600_000);

    const held = (await api.call('POST', '/api/v1/runs', { body: { workflow: 'waits' } })).body.run.id as string;
    const step = await waitFor(async () => {
      const r = await api.call('GET', `/api/v1/runs/${held}`, { role: 'viewer' });
      return r.body.steps[0]?.circuit ? r.body.steps[0] : undefined;
    }, 10_000, 'the step to wait behind the breaker');
    expect(step).toMatchObject({ stepId: 'y', state: 'queued', circuit: { reason: 'circuit-open', breaker: key, until: list[0].nextTrialAt } });

    const metrics = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    expect(metrics).toContain(`baton_breaker_state{key="${key}",state="open"} 1`);
    expect(metrics).toContain(`baton_breaker_state{key="${key}",state="closed"} 0`);

    const path = `/api/v1/breakers/${encodeURIComponent(key)}/reset`;
    expect((await api.call('POST', path, { role: 'viewer', body: {} })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/breakers/nope/reset', { role: 'operator', body: {} })).status).toBe(404);
    const reset = await api.call('POST', path, { role: 'operator', body: {} });
    expect(reset.status).toBe(200);
    expect(reset.body.breaker).toMatchObject({ key, state: 'closed', reason: expect.stringMatching(/^reset by api:/) as string });
    await waitFor(async () => (await api.store.getRun(held))?.state === 'succeeded', 15_000, 'the held run to finish');
    // The feed carries the changes, reset included (an event of no run).
    const counted = await waitFor(async () => {
      const t = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
      return t.includes(`baton_breaker_transitions_total{key="${key}",from="open",to="closed"} 1`) ? t : undefined;
    }, 10_000, 'the transitions counter');
    expect(counted).toContain(`baton_breaker_transitions_total{key="${key}",from="closed",to="open"} 1`);
  });
});
