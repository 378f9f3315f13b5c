/**
 * From `baton.config.yaml` to delivered mail: channels compiled with their secrets read
 * from the environment, a rule's alert sent through a real SMTP server on loopback
 * (smtp-server, auth checked, the message read back), and the config's own checks.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, VirtualClock } from '../src/index.js';
import type { Store } from '../src/index.js';
import { AlertService, ChannelSecretError, compileChannels, compileRule, createChannel } from '../src/observe/index.js';
import { validateConfigText } from '../src/workflow/index.js';
import { tempDir } from './helpers.js';

let dir: string;
let store: Store;
let smtp: SMTPServer;
let port: number;
let mails: string[];

beforeEach(async () => {
  dir = tempDir('baton-alerts-config-');
  store = openSqliteStore(join(dir, 'b.db'));
  await store.migrate();
  mails = [];
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'], authOptional: false, allowInsecureAuth: true, logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'baton' && auth.password === 'smtp-pass-9f1') cb(null, { user: 'baton' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, _session, cb) {
      let text = '';
      stream.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => {
        mails.push(text);
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  port = (smtp.server.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const configText = (p: number): string => `
publicUrl: https://baton.example.com
secrets:
  - { name: SMTP_PASSWORD, env: TEST_SMTP_PASSWORD }
channels:
  mail:
    email:
      host: 127.0.0.1
      port: ${p}
      auth: { user: baton, password: SMTP_PASSWORD }
      from: baton@example.com
      to: [ops@example.com, oncall@example.com]
alerts:
  - name: any-run-failed
    rule: run-failed
    group: { wait: 0s }
`;

describe('baton.config.yaml channels', () => {
  it('an email channel with its password from the environment delivers a rule alert through real SMTP', async () => {
    const { config, errors } = validateConfigText(configText(port), { label: 'baton.config.yaml', baseDir: dir });
    expect(errors).toEqual([]);
    const specs = compileChannels(config!, { TEST_SMTP_PASSWORD: 'smtp-pass-9f1' });
    const clock = new VirtualClock(Date.UTC(2026, 11, 2, 2));
    const alerts = new AlertService({ store, clock, channels: new Map(specs.map((s) => [s.name, createChannel(s)])), rules: config!.alerts!, publicUrl: config!.publicUrl! });
    // A rule without notify: every channel.
    expect(alerts.serverRules()).toEqual([expect.objectContaining({ name: 'any-run-failed', notify: ['mail'] })]);
    const rule = compileRule(config!.alerts![0]!, ['mail']);
    const { alert } = await alerts.book.fire(rule, { workflow: 'nightly', runId: 'r-9' }, 'run nightly/r-9 failed: load', { runId: 'r-9' }, []);
    await alerts.pass();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^Subject: .*FIRING.*any-run-failed/m);
    expect(mails[0]).toContain('ops@example.com');
    expect(mails[0]).toContain('run nightly/r-9 failed: load');
    expect(mails[0]).toContain('https://baton.example.com/runs/r-9');
    const [d] = await store.alerts.deliveriesFor(alert.id);
    expect(d).toMatchObject({ channel: 'mail', state: 'delivered', attempts: 1 });
    await alerts.stop();
  });

  it('a wrong password ends the delivery with the SMTP code, the password masked; an unset secret refuses the config', async () => {
    const { config } = validateConfigText(configText(port), { label: 'baton.config.yaml', baseDir: dir });
    expect(() => compileChannels(config!, {})).toThrow(ChannelSecretError);
    expect(() => compileChannels(config!, {})).toThrow(/SMTP_PASSWORD.*TEST_SMTP_PASSWORD/);
    const specs = compileChannels(config!, { TEST_SMTP_PASSWORD: 'wrong-pass-77' });
    const alerts = new AlertService({ store, clock: new VirtualClock(), channels: new Map(specs.map((s) => [s.name, createChannel(s)])), rules: config!.alerts! });
    const { alert } = await alerts.book.fire(compileRule(config!.alerts![0]!, ['mail']), { workflow: 'nightly' }, 'failed', undefined, []);
    await alerts.pass();
    const [d] = await store.alerts.deliveriesFor(alert.id);
    expect(d).toMatchObject({ state: 'failed', attempts: 1, statusCode: 535 });
    expect(d!.error).not.toContain('wrong-pass-77');
    await alerts.stop();
  });

  it('defaultEscalate: checked as a rule\'s escalate, with positions, unknown channels and did-you-mean', () => {
    const ok = validateConfigText('channels:\n  ops:\n    command: { run: "cat" }\ndefaultEscalate:\n  levels:\n    - notify: [ops]\n      after: 10m\n  repeat: 2\n', { label: 'c.yaml', baseDir: dir });
    expect(ok.errors).toEqual([]);
    expect(ok.config!.defaultEscalate).toEqual({ levels: [{ notify: ['ops'], after: '10m' }], repeat: 2 });
    const { errors } = validateConfigText([
      'channels:',
      '  ops:',
      '    command: { run: "cat" }',
      'defaultEscalate:',
      '  levels:',
      '    - notify: [opz]',
      '      aftr: 10m',
      '  repaet: 2',
    ].join('\n'), { label: 'c.yaml', baseDir: dir });
    expect(errors.map((e) => [e.file, e.line, e.column, e.path, e.message, e.suggestion])).toEqual([
      ['c.yaml', 6, 16, 'defaultEscalate.levels[0].notify[0]', 'unknown channel "opz"', 'ops'],
      ['c.yaml', 7, 7, 'defaultEscalate.levels[0].aftr', 'unknown field "aftr"', 'after'],
      ['c.yaml', 8, 3, 'defaultEscalate.repaet', 'unknown field "repaet"', 'repeat'],
    ]);
  });

  it('refuses a channel of two kinds, an unknown secret and an unknown field, each with its position', () => {
    const { errors } = validateConfigText([
      'secrets: [HOOK_SECRET]',
      'channels:',
      '  ops:',
      '    webhook: { url: "http://127.0.0.1:1/x", secret: HOOK_SECRT }',
      '    command: { run: "cat" }',
      'retention: { runs: 30d, logz: 30d }',
    ].join('\n'), { label: 'c.yaml', baseDir: dir });
    expect(errors.map((e) => [e.line, e.path, e.message, e.suggestion])).toEqual([
      [3, 'channels.ops', 'a channel has one kind, not webhook and command', undefined],
      [4, 'channels.ops.webhook.secret', 'unknown secret "HOOK_SECRT": declare it under secrets', 'HOOK_SECRET'],
      [6, 'retention.logz', 'unknown field "logz"', 'logs'],
    ]);
  });
});
