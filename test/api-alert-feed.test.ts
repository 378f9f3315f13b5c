/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- API responses and SSE messages are JSON read loosely; the assertions check their shape */
/**
 * Alert changes on the live feed of a real server (`GET /api/v1/events`): a run that fails
 * fires its alerts onto the stream after the run's own failure, an acknowledgement through
 * the API follows, a stream resumed with Last-Event-ID gets what it missed, and the run,
 * workflow and type filters take alert events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SseMessage, SseStream, TestApi } from './api-helpers.js';
import { openSse, startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

const FAILS = `name: breaks
steps:
  - id: boom
    run: exit 3
`;

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
  const r = await api.call('POST', '/api/v1/workflows', { body: FAILS, headers: { 'content-type': 'application/yaml' } });
  expect(r.status, r.text).toBe(201);
});
afterAll(async () => api.close());

const alertsOf = (s: SseStream): SseMessage[] => s.messages.filter((m) => m.data.type === 'alert');

describe('alert events on the live feed', () => {
  it('a failed run fires its alerts onto the stream, after its failure; an acknowledgement follows; a resumed stream misses none', async () => {
    const all = await openSse(`${api.url}/api/v1/events`, api.tokens.viewer);
    const alertsOnly = await openSse(`${api.url}/api/v1/events?type=alert`, api.tokens.viewer);
    expect(all.status).toBe(200);
    const run = (await api.call('POST', '/api/v1/runs', { body: { workflow: 'breaks' } })).body.run.id as string;
    const byRun = await openSse(`${api.url}/api/v1/events?run=${run}&after=0`, api.tokens.viewer);
    // The built-in rules: run-failed (about the workflow, naming the run) and step-failed (about the step).
    await waitFor(() => alertsOf(all).length >= 2 || undefined, 10_000, 'two alerts on the stream');
    const fired = alertsOf(all);
    expect(fired.map((m) => m.data.data.rule).sort()).toEqual(['run-failed', 'step-failed']);
    for (const m of fired) {
      expect(m.data).toMatchObject({ type: 'alert', runId: run, workflow: 'breaks', to: 'firing', data: { change: 'fired', actor: 'system' } });
      expect(m.data.from).toBeUndefined();
      expect(m.data.alertId).toBe(m.data.data.alertId);
    }
    expect(fired.find((m) => m.data.data.rule === 'step-failed')!.data).toMatchObject({ stepId: 'boom', data: { kind: 'step-failed', subject: { workflow: 'breaks', stepId: 'boom' } } });
    // Commit order: the failure that fired them comes first.
    const failedAt = all.messages.findIndex((m) => m.data.type === 'step' && m.data.runId === run && m.data.to === 'failed');
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(all.messages.indexOf(fired[0]!)).toBeGreaterThan(failedAt);
    const lastSeen = all.messages.at(-1)!.id!;
    all.close();

    const target = fired.find((m) => m.data.data.rule === 'run-failed')!.data.alertId as string;
    expect((await api.call('POST', `/api/v1/alerts/${target}/ack`, { role: 'operator', body: { note: 'mine' } })).status).toBe(200);
    const acked = await waitFor(() => alertsOnly.messages.find((m) => m.data.alertId === target && m.data.to === 'acknowledged'), 10_000, 'the acknowledgement on the stream');
    expect(acked.data).toMatchObject({ from: 'firing', data: { change: 'acknowledged', actor: 'token:test-operator', rule: 'run-failed' } });
    expect(alertsOnly.messages.every((m) => m.data.type === 'alert')).toBe(true);
    alertsOnly.close();

    // Resumed after the last event the first stream saw: the acknowledgement made meanwhile is there.
    const resumed = await openSse(`${api.url}/api/v1/events`, api.tokens.viewer, { 'last-event-id': lastSeen });
    await waitFor(() => resumed.messages.find((m) => m.data.alertId === target && m.data.to === 'acknowledged'), 10_000, 'the acknowledgement after resuming');
    resumed.close();

    // The run's stream holds the alerts about it, in order with its events.
    await waitFor(() => byRun.messages.filter((m) => m.data.type === 'alert').length >= 3 || undefined, 10_000, "the run's alert events");
    byRun.close();
    expect(new Set(byRun.messages.map((m) => m.data.runId))).toEqual(new Set([run]));
    const seqs = byRun.messages.map((m) => m.data.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("a workflow's stream holds the alerts about it", async () => {
    const all = (await api.store.api.eventsAfter(undefined, { type: 'alert' }, 100)).map((e) => e.seq);
    const mine = await openSse(`${api.url}/api/v1/events?workflow=breaks&type=alert&after=0`, api.tokens.viewer);
    await waitFor(() => mine.messages.length >= all.length || undefined, 10_000, 'the alert events of breaks');
    mine.close();
    expect(mine.messages.map((m) => m.data.seq)).toEqual(all);
    expect(mine.messages.every((m) => m.data.workflow === 'breaks')).toBe(true);
  });
});
