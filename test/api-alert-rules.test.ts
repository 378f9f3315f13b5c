/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment -- API responses are JSON read loosely; the assertions check their shape */
/**
 * Alert rules through the API on a real server with a `baton.config.yaml`: admins set and
 * delete rules (viewers and operators are refused), a rule is validated by the config's own
 * schema (a 400 names the field), a rule set through the API overrides the config's of its
 * name and fires on a real failed run, deleting it restores the config's; and the CLI's
 * `baton alerts rules` round trip, locally and with --server.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from '../src/observe/index.js';
import type { AlertNotification } from '../src/observe/index.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { baton, waitFor } from './helpers.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';

let api: TestApi;
let receiver: Receiver<AlertNotification>;

beforeAll(async () => {
  receiver = await startReceiver<AlertNotification>();
  const ops = createChannel({ name: 'ops', type: 'webhook', sendResolved: true, mask: (t) => t, webhook: { url: receiver.url('/ops'), format: 'baton', headers: {}, timeoutMs: 2000 } });
  api = await startApi({
    channels: new Map([['ops', ops]]),
    config: { baseDir: '.', channels: { ops: { webhook: { url: receiver.url('/ops') } } }, alerts: [{ name: 'any-run-failed', rule: 'run-failed', severity: 'critical', notify: ['ops'] }] },
  });
});
afterAll(async () => {
  await api.close();
  await receiver.close();
});

const rules = async (): Promise<{ name: string; source: string; severity: string }[]> => (await api.call('GET', '/api/v1/alerts/rules', { role: 'viewer' })).body.rules;

describe('alert rules through the API', () => {
  it('only admins set and delete rules; viewers list them with their source', async () => {
    const body = { rule: 'step-duration', after: '10m', notify: ['ops'] };
    for (const role of ['viewer', 'operator'] as const) {
      const put = await api.call('PUT', '/api/v1/alert-rules/slow-step', { role, body });
      expect(put.status).toBe(403);
      expect(put.body.error.message).toContain('admin');
      expect((await api.call('DELETE', '/api/v1/alert-rules/slow-step', { role })).status).toBe(403);
    }
    expect((await api.call('PUT', '/api/v1/alert-rules/slow-step', { role: 'none', body })).status).toBe(401);
    const put = await api.call('PUT', '/api/v1/alert-rules/slow-step', { role: 'admin', body });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ created: true, rule: { name: 'slow-step', kind: 'step-duration', source: 'api', notify: ['ops'], definition: { name: 'slow-step', after: '10m' } } });
    expect((await api.call('PUT', '/api/v1/alert-rules/slow-step', { role: 'admin', body: { ...body, after: '20m' } })).body.created).toBe(false);
    expect(await rules()).toEqual([
      expect.objectContaining({ name: 'any-run-failed', source: 'config' }),
      expect.objectContaining({ name: 'slow-step', source: 'api', definition: expect.objectContaining({ after: '20m' }) }),
    ]);
    const del = await api.call('DELETE', '/api/v1/alert-rules/slow-step', { role: 'admin' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: 'slow-step' });
    expect((await api.call('DELETE', '/api/v1/alert-rules/slow-step', { role: 'admin' })).status).toBe(404);
    expect((await rules()).map((r) => r.name)).toEqual(['any-run-failed']);
  });

  it('a rule is checked by the config schema: a 400 names the field, with a did-you-mean', async () => {
    const typo = await api.call('PUT', '/api/v1/alert-rules/slow', { role: 'admin', body: { rule: 'step-duration', aftr: '10m' } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('invalid-rule');
    expect(typo.body.error.message).toContain('aftr');
    expect(typo.body.error.details).toEqual([expect.objectContaining({ path: 'aftr', message: 'unknown field "aftr"', suggestion: 'after' })]);
    const kind = await api.call('PUT', '/api/v1/alert-rules/slow', { role: 'admin', body: { rule: 'step-duraton' } });
    expect(kind.status).toBe(400);
    expect(kind.body.error.message).toMatch(/^the rule is invalid: rule: rule must be one of/);
    const channel = await api.call('PUT', '/api/v1/alert-rules/slow', { role: 'admin', body: { rule: 'run-failed', notify: ['opz'] } });
    expect(channel.status).toBe(400);
    expect(channel.body.error.details).toEqual([expect.objectContaining({ path: 'notify[0]', message: 'unknown channel "opz"', suggestion: 'ops' })]);
    const named = await api.call('PUT', '/api/v1/alert-rules/slow', { role: 'admin', body: { name: 'fast', rule: 'run-failed' } });
    expect(named.status).toBe(400);
    expect(named.body.error.details[0]).toMatchObject({ path: 'name', message: 'the rule is named "fast", not "slow"' });
    const duration = await api.call('PUT', '/api/v1/alert-rules/slow', { role: 'admin', body: { rule: 'step-duration', after: 'soon' } });
    expect(duration.status).toBe(400);
    expect(duration.body.error.details[0].path).toBe('after');
    expect((await rules()).map((r) => r.name)).toEqual(['any-run-failed']);
  });

  it("a rule set through the API overrides the config's of its name and fires on a failed run; deleting it restores the config's", async () => {
    const put = await api.call('PUT', '/api/v1/alert-rules/any-run-failed', { role: 'admin', body: { rule: 'run-failed', severity: 'info', notify: ['ops'], group: { wait: '0s' } } });
    expect(put.body.rule).toMatchObject({ name: 'any-run-failed', source: 'api', severity: 'info' });
    expect(await rules()).toEqual([expect.objectContaining({ name: 'any-run-failed', source: 'api', severity: 'info' })]);

    const flow = join(api.dir, 'fails.yaml');
    writeFileSync(flow, 'name: fails\nsteps:\n  - id: load\n    run: "exit 3"\n');
    expect((await baton(['--db', join(api.dir, 'baton.db'), 'run', flow], api.dir)).code).toBe(1);
    await waitFor(() => receiver.at('/ops').length >= 1, 10_000, 'the alert message');
    const [message] = receiver.at('/ops');
    expect(message!.alerts[0]).toMatchObject({ rule: 'any-run-failed', severity: 'info', subject: { workflow: 'fails' } });

    const del = await api.call('DELETE', '/api/v1/alert-rules/any-run-failed', { role: 'admin' });
    expect(del.body).toMatchObject({ deleted: 'any-run-failed', restored: { name: 'any-run-failed', source: 'config', severity: 'critical' } });
    expect(await rules()).toEqual([expect.objectContaining({ name: 'any-run-failed', source: 'config', severity: 'critical' })]);
  }, 30_000);

  it('baton alerts rules: set from a YAML file, list, delete, with --server (admin) and on the store', async () => {
    const file = join(api.dir, 'rule.yaml');
    writeFileSync(file, 'rule: step-duration\np95Factor: 3\nafter: 2h\nnotify: [ops]\n');
    const remote = (args: string[], role: 'viewer' | 'admin' = 'admin') => baton(['--server', api.url, 'alerts', 'rules', ...args], api.dir, { BATON_TOKEN: api.tokens[role] });
    const refused = await remote(['set', 'slow', '--file', file], 'viewer');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('admin');
    const set = await remote(['set', 'slow', '--file', file]);
    expect(set.stderr).toBe('');
    expect(set.stdout.trim()).toBe('slow (step-duration, api): set');
    const listed = JSON.parse((await remote(['--json'], 'viewer')).stdout) as { name: string; source: string; definition?: { p95Factor?: number } }[];
    expect(listed.map((r) => [r.name, r.source])).toEqual([['any-run-failed', 'config'], ['slow', 'api']]);
    expect(listed[1]!.definition?.p95Factor).toBe(3);
    const table = (await remote([], 'viewer')).stdout;
    expect(table).toMatch(/^slow\s+step-duration\s+api\s+warning\s+ops\s+yes$/m);

    // A file with a mistake is refused before it is sent, with its line.
    const bad = join(api.dir, 'bad.yaml');
    writeFileSync(bad, 'rule: step-duration\np95Factr: 3\n');
    const refusedFile = await remote(['set', 'slow', '--file', bad]);
    expect(refusedFile.code).toBe(2);
    expect(refusedFile.stderr).toContain(`${bad}:2:1`);
    expect(refusedFile.stderr).toContain('p95Factor');

    const del = await remote(['delete', 'slow']);
    expect(del.stdout.trim()).toBe('slow: deleted');

    // On the store itself: the config file beside it tells what a server would run.
    const local = (args: string[]) => baton(['--db', join(api.dir, 'baton.db'), 'alerts', 'rules', ...args], api.dir);
    writeFileSync(join(api.dir, 'baton.config.yaml'), `channels:\n  ops:\n    webhook: { url: "${receiver.url('/ops')}" }\nalerts:\n  - name: any-run-failed\n    rule: run-failed\n    notify: [ops]\n`);
    writeFileSync(file, 'rule: run-failed\nseverity: info\nnotify: [ops]\n');
    expect((await local(['set', 'any-run-failed', '--file', file])).stdout.trim()).toBe('any-run-failed (run-failed, api): set');
    expect(JSON.parse((await local(['--json'])).stdout)).toEqual([expect.objectContaining({ name: 'any-run-failed', source: 'api', severity: 'info' })]);
    // The server on the store sees it too.
    await waitFor(async () => (await rules())[0]?.source === 'api', 5_000, 'the server to load the rule');
    writeFileSync(file, 'rule: run-failed\nnotify: [opz]\n');
    const unknown = await local(['set', 'other', '--file', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown channel "opz"');
    expect((await local(['delete', 'any-run-failed'])).stdout.trim()).toBe('any-run-failed: deleted; any-run-failed (run-failed, config) applies again');
    const again = await local(['delete', 'any-run-failed']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no rule any-run-failed was set through the API');
  }, 60_000);
});
