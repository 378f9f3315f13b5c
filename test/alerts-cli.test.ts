/**
 * The smallest alerting case exactly as a user writes it: a `baton.config.yaml` with one
 * webhook channel and one `run-failed` rule, given to a real `baton server`; a failing run
 * makes exactly one signed POST to a real HTTP receiver, `baton alerts --json` lists the
 * alert firing, `baton alerts ack` acknowledges it.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { Receiver } from './receiver.js';
import { startReceiver } from './receiver.js';

let dir: string;
let receiver: Receiver<Record<string, unknown>>;
let received: Receiver<Record<string, unknown>>['received'];
let url: string;
const spawned: CliProcess[] = [];

beforeEach(async () => {
  dir = tempDir('baton-alerts-cli-');
  receiver = await startReceiver();
  received = receiver.received;
  url = receiver.url('/alerts');
});

afterEach(async () => {
  for (const p of spawned.splice(0)) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('baton server --config: the smallest alerting case', () => {
  it('a failed run makes exactly one POST naming the rule, workflow and run; alerts --json lists it; ack acknowledges it', async () => {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'nightly.yaml'), 'name: nightly\nsteps:\n  - id: load\n    run: "exit 3"\n  - id: report\n    needs: [load]\n    run: "true"\n');
    const config = join(dir, 'baton.config.yaml');
    writeFileSync(config, [
      'channels:',
      '  ops:',
      `    webhook: { url: "${url}" }`,
      'alerts:',
      '  - name: any-run-failed',
      '    rule: run-failed',
      '    notify: [ops]',
      '    group: { wait: 0s }',
      '',
    ].join('\n'));
    const db = join(dir, 'baton.db');
    const server = spawnBaton(['--db', db, 'server', '--port', '0', '--config', config, '--workflows', flows], dir);
    spawned.push(server);
    await waitFor(() => /baton server: \d+ workflows? loaded/.test(server.stdout()), 15_000, 'the server to start');
    expect(server.stdout()).toContain('config: ');

    const run = await baton(['--db', db, 'run', join(flows, 'nightly.yaml'), '--json'], dir);
    expect(run.code).toBe(1);
    const runId = (JSON.parse(run.stdout.trim().split('\n')[0]!) as { runId: string }).runId;

    const started = Date.now();
    await waitFor(() => received.length >= 1, 10_000, 'the webhook POST');
    expect(Date.now() - started).toBeLessThan(5_000);
    const [post] = received;
    expect(post!.headers['content-type']).toContain('application/json');
    expect(post!.headers['x-baton-delivery']).toBeTruthy();
    const body = post!.body as { type: string; status: string; alerts: { rule: string; subject: { workflow: string }; summary: string; details?: { runId?: string } }[] };
    expect(body.type).toBe('alert');
    expect(body.status).toBe('firing');
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]!.rule).toBe('any-run-failed');
    expect(body.alerts[0]!.subject.workflow).toBe('nightly');
    expect(body.alerts[0]!.summary).toContain(runId);
    expect(body.alerts[0]!.details?.runId).toBe(runId);

    const listed = await baton(['--db', db, 'alerts', '--json'], dir);
    expect(listed.code).toBe(0);
    const alerts = JSON.parse(listed.stdout) as { id: string; rule: string; state: string }[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'any-run-failed', state: 'firing' });

    const ack = await baton(['--db', db, 'alerts', 'ack', alerts[0]!.id, '--note', 'on it'], dir);
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toContain('acknowledged');
    const shown = await baton(['--db', db, 'alerts', 'show', alerts[0]!.id, '--json'], dir);
    const detail = JSON.parse(shown.stdout) as { alert: { state: string }; events: { type: string; note?: string }[]; deliveries: { channel: string; state: string; attempts: number }[] };
    expect(detail.alert.state).toBe('acknowledged');
    expect(detail.events.map((e) => e.type)).toEqual(['fired', 'notified', 'acknowledged']);
    expect(detail.events[2]!.note).toBe('on it');
    // The delivery record is the proof that one message went: one job, delivered on its first attempt.
    expect(detail.deliveries).toEqual([expect.objectContaining({ channel: 'ops', state: 'delivered', attempts: 1 })]);
    expect(received).toHaveLength(1);
    // The server says what it fired in its log.
    await waitFor(() => server.stdout().includes(`alert fired: any-run-failed ${alerts[0]!.id} (critical): run nightly/${runId} failed`), 5_000, 'the log line');
    const store = openSqliteStore(db);
    try {
      expect((await store.alerts.list({})).length).toBe(1);
    } finally {
      await store.close();
    }
  }, 40_000);

  it('a server killed with -9 after an alert fired and before its message went sends it after restart, once', async () => {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'nightly.yaml'), 'name: nightly\nsteps:\n  - id: load\n    run: "exit 3"\n');
    const config = join(flows, 'baton.config.yaml');
    writeFileSync(config, `channels:\n  ops:\n    webhook: { url: "${url}" }\nalerts:\n  - name: any-run-failed\n    rule: run-failed\n    group: { wait: 4s }\n`);
    const db = join(dir, 'baton.db');
    // Found beside --workflows, without --config.
    const start = (): CliProcess => {
      const p = spawnBaton(['--db', db, 'server', '--port', '0', '--workflows', flows], dir);
      spawned.push(p);
      return p;
    };
    const first = start();
    await waitFor(() => /baton server: \d+ workflows? loaded/.test(first.stdout()), 15_000, 'the server to start');
    expect(first.stdout()).toContain('baton.config.yaml (1 channel, 1 alert rule)');
    expect((await baton(['--db', db, 'run', join(flows, 'nightly.yaml')], dir)).code).toBe(1);
    await waitFor(async () => {
      const r = await baton(['--db', db, 'alerts', '--json'], dir);
      return (JSON.parse(r.stdout) as unknown[]).length === 1;
    }, 10_000, 'the alert to fire');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(received).toHaveLength(0);
    const second = start();
    await waitFor(() => received.length >= 1, 15_000, 'the message after restart');
    // The next passes find nothing left to send.
    await waitFor(() => /baton server: \d+ workflows? loaded/.test(second.stdout()), 15_000, 'the server to start');
    const r = await baton(['--db', db, 'alerts', '--json'], dir);
    const [alert] = JSON.parse(r.stdout) as { id: string }[];
    const shown = JSON.parse((await baton(['--db', db, 'alerts', 'show', alert!.id, '--json'], dir)).stdout) as { deliveries: unknown[] };
    expect(shown.deliveries).toHaveLength(1);
    expect(received).toHaveLength(1);
  }, 60_000);

  it('a config with a mistake stops the server with file, line, field and a did-you-mean', async () => {
    const config = join(dir, 'baton.config.yaml');
    writeFileSync(config, 'channels:\n  ops:\n    webhook: { url: "http://127.0.0.1:1/x" }\nalerts:\n  - name: failed\n    rule: run-failed\n    notfy: [ops]\n  - name: slow\n    rule: step-duration\n    notify: [opz]\n');
    const r = await baton(['--db', join(dir, 'baton.db'), 'server', '--port', '0', '--config', config], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${config}:7:5`);
    expect(r.stderr).toContain('alerts[0].notfy');
    expect(r.stderr).toContain('notify');
    expect(r.stderr).toContain('unknown channel "opz"');
    expect(r.stderr).toContain('alerts[1].notify[0]');
  });
});
