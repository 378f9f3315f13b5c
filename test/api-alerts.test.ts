/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- API responses are JSON read loosely; the assertions check their shape */
/**
 * /api/v1/alerts and /api/v1/silences on a real server: viewers read, operators
 * acknowledge, resolve and silence; answers follow the documented schemas; an alert's
 * page shows its events and deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from '../src/observe/index.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { baton } from './helpers.js';

let api: TestApi;
let id: string;
beforeAll(async () => {
  api = await startApi();
  const rule = compileRule({ name: 'run-failed', rule: 'run-failed', notify: [] }, []);
  id = (await api.server.alerts.book.fire(rule, { workflow: 'nightly' }, 'run nightly/abc failed', { runId: 'abc' }, [])).alert.id;
});
afterAll(async () => api.close());

describe('alerts API', () => {
  it('lists open alerts for a viewer, refuses an unknown state, and needs a token', async () => {
    const list = await api.call('GET', '/api/v1/alerts?state=open', { role: 'viewer' });
    expect(list.status).toBe(200);
    expect(list.body.alerts).toEqual([expect.objectContaining({ id, rule: 'run-failed', state: 'firing', subject: { workflow: 'nightly' } })]);
    expect((await api.call('GET', '/api/v1/alerts?workflow=other', { role: 'viewer' })).body.alerts).toEqual([]);
    const bad = await api.call('GET', '/api/v1/alerts?state=burning', { role: 'viewer' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('burning');
    expect((await api.call('GET', '/api/v1/alerts', { role: 'none' })).status).toBe(401);
  });

  it('acknowledging needs an operator, records who and the note; a missing alert is 404', async () => {
    expect((await api.call('POST', `/api/v1/alerts/${id}/ack`, { role: 'viewer', body: {} })).status).toBe(403);
    const ack = await api.call('POST', `/api/v1/alerts/${id}/ack`, { role: 'operator', body: { note: 'on it' } });
    expect(ack.status).toBe(200);
    expect(ack.body.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'token:test-operator' });
    const shown = await api.call('GET', `/api/v1/alerts/${id}`, { role: 'viewer' });
    expect(shown.body.events.map((e: { type: string }) => e.type)).toEqual(['fired', 'acknowledged']);
    expect(shown.body.events[1].note).toBe('on it');
    expect((await api.call('POST', '/api/v1/alerts/al_nope/ack', { role: 'operator', body: {} })).status).toBe(404);
  });

  it('silences: created by an operator with a duration, listed, ended', async () => {
    const made = await api.call('POST', '/api/v1/silences', { role: 'operator', body: { matchers: [{ name: 'workflow', value: 'nightly' }], duration: '2h', comment: 'maintenance' } });
    expect(made.status).toBe(201);
    expect(made.body.silence.endsAt - made.body.silence.startsAt).toBe(7_200_000);
    expect((await api.call('POST', '/api/v1/silences', { role: 'viewer', body: { matchers: [{ name: 'a', value: 'b' }], duration: '1h' } })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/silences', { role: 'operator', body: { matchers: [{ name: 'a', value: 'b' }], duration: 'soon' } })).status).toBe(400);
    const listed = await api.call('GET', '/api/v1/silences', { role: 'viewer' });
    expect(listed.body.silences.map((s: { id: string }) => s.id)).toEqual([made.body.silence.id]);
    const ended = await api.call('DELETE', `/api/v1/silences/${made.body.silence.id}`, { role: 'operator' });
    expect(ended.status).toBe(200);
    expect(ended.body.silence.expiredAt).toBeDefined();
    expect((await api.call('GET', '/api/v1/silences', { role: 'viewer' })).body.silences).toEqual([]);
  });

  it('resolving closes the alert; a resolved alert cannot be acknowledged', async () => {
    const r = await api.call('POST', `/api/v1/alerts/${id}/resolve`, { role: 'operator', body: { note: 'fixed the feed' } });
    expect(r.body.alert).toMatchObject({ state: 'resolved', resolvedBy: 'token:test-operator' });
    const again = await api.call('POST', `/api/v1/alerts/${id}/ack`, { role: 'operator', body: {} });
    expect(again.status).toBe(409);
    expect((await api.call('GET', '/api/v1/alerts/rules', { role: 'viewer' })).body.rules.map((x: { name: string }) => x.name)).toContain('run-failed');
  });

  it('baton alerts --server goes through the API with the caller\'s role', async () => {
    const rule = compileRule({ name: 'step-failed', rule: 'step-failed', notify: [] }, []);
    const other = (await api.server.alerts.book.fire(rule, { workflow: 'nightly', stepId: 'load' }, 'step load failed', undefined, [])).alert.id;
    const cli = (args: string[], role: 'viewer' | 'operator') => baton(['--server', api.url, 'alerts', ...args], api.dir, { BATON_TOKEN: api.tokens[role] });
    const listed = await cli(['--json'], 'viewer');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: other, state: 'firing' })]);
    const refused = await cli(['ack', other], 'viewer');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('operator');
    const acked = await cli(['ack', other, '--note', 'mine'], 'operator');
    expect(acked.stdout.trim()).toBe(`${other}: acknowledged`);
    const shown = JSON.parse((await cli(['show', other, '--json'], 'viewer')).stdout) as { events: { type: string; actor: string }[] };
    expect(shown.events.at(-1)).toMatchObject({ type: 'acknowledged', actor: 'token:test-operator' });
    const silenced = await cli(['silence', 'workflow=nightly', '--for', '1h', '--note', 'deploy'], 'operator');
    expect(silenced.code).toBe(0);
    expect(JSON.parse((await cli(['silences', '--json'], 'viewer')).stdout)).toEqual([expect.objectContaining({ comment: 'deploy', createdBy: 'token:test-operator' })]);
  }, 30_000);

  it('/metrics carries alerts by rule and state and deliveries by channel and state', async () => {
    const m = await api.call('GET', '/metrics', { role: 'viewer' });
    expect(m.text).toMatch(/^baton_alerts\{rule="run-failed",state="resolved"\} 1$/m);
    expect(m.text).toMatch(/^baton_alerts\{rule="step-failed",state="acknowledged"\} 1$/m);
    expect(m.text).toContain('# TYPE baton_alert_delivery_attempts_total counter');
    expect(m.text).toContain('# TYPE baton_alert_deliveries gauge');
  });
});
