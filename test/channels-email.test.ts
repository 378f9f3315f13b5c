/**
 * The email channel against a real SMTP server (smtp-server) on loopback, with AUTH checked:
 * what the message carries (subject, addresses, Message-ID, text and escaped HTML bodies)
 * and how each SMTP answer becomes an outcome. Messages are read back from the DATA stream
 * with a small MIME reader (multipart, quoted-printable, base64).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerSession } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChannel, messageIdFor } from '../src/observe/index.js';
import type { Channel, ChannelSpec, EmailChannelSpec } from '../src/observe/index.js';
import { SECRET, firing, mask, report, resolved, upcoming } from './channels-fixtures.js';

const USER = 'baton';

interface Mail {
  from: string;
  to: string[];
  user: unknown;
  raw: string;
}

let server: SMTPServer;
let port: number;
let mails: Mail[] = [];
let connections = 0;
let closedConnections = 0;
/** When set, DATA is never answered (a stalled server). */
let stall = false;
const channels: Channel[] = [];

const smtpError = (code: number, message: string): Error => Object.assign(new Error(message), { responseCode: code });

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 200,
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onClose() {
      closedConnections++;
    },
    onAuth(auth, _session, cb) {
      if (auth.username === USER && auth.password === SECRET) cb(null, { user: USER });
      else cb(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, _session, cb) {
      const local = address.address.split('@')[0];
      if (local === 'refused') cb(smtpError(550, 'No such user here'));
      else if (local === 'later') cb(smtpError(451, 'Greylisted, try again later'));
      else if (local === 'leak') cb(smtpError(550, `mailbox ${SECRET} is not yours`));
      else cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stall) return;
        const env = session.envelope;
        mails.push({ from: env.mailFrom ? env.mailFrom.address : '', to: env.rcptTo.map((r) => r.address), user: session.user, raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  mails = [];
  stall = false;
});
afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
});

const channel = (email: Partial<EmailChannelSpec> = {}): Channel => {
  const spec: ChannelSpec = {
    name: 'mail',
    type: 'email',
    sendResolved: true,
    publicUrl: 'https://baton.example.com',
    mask,
    email: {
      host: '127.0.0.1',
      port,
      secure: false,
      requireTls: false,
      auth: { user: USER, password: SECRET },
      from: 'baton@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      subjectPrefix: '[baton]',
      timeoutMs: 5000,
      ...email,
    },
  };
  const c = createChannel(spec);
  channels.push(c);
  return c;
};

describe('email channel: the message', () => {
  it('sends one message with the alert subject, addresses, Message-ID, and both bodies listing each alert', async () => {
    const outcome = await channel().send(firing, 'dl_01');
    expect(outcome).toMatchObject({ ok: true, retryable: false, statusCode: 250 });
    expect(outcome.error).toBeUndefined();
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.user).toBe(USER);
    expect(mail.from).toBe('baton@example.com');
    expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
    const m = parseMime(mail.raw);
    expect(m.headers.get('subject')).toBe('[baton] [FIRING:2] any-run-failed nightly');
    expect(m.headers.get('from')).toBe('baton@example.com');
    expect(m.headers.get('to')).toBe('ops@example.com, oncall@example.com');
    expect(m.headers.get('message-id')).toBe('<dl_01@baton>');
    expect(m.headers.get('x-baton-delivery')).toBe('dl_01');
    expect(m.headers.get('x-baton-event')).toBe('alert');

    const text = m.parts.get('text/plain')!;
    expect(text).toContain('2 alerts firing for any-run-failed nightly.');
    expect(text).toContain('- run nightly/r-1 failed: step `load` exited 1');
    expect(text).toContain('Rule: any-run-failed (run-failed)');
    expect(text).toContain('Workflow: nightly');
    expect(text).toContain('Run: r-1');
    expect(text).toContain('State: firing');
    expect(text).toContain('Fired: 2025-03-01T02:04:12.000Z');
    expect(text).toContain('Acknowledged: 2025-03-01T02:10:00.000Z by ana');
    expect(text).toContain('Link: https://baton.example.com/runs/r-1');
    expect(text).toContain('Dashboard: https://baton.example.com');

    const html = m.parts.get('text/html')!;
    expect(html).toContain('run nightly/r-1 failed: step `load` exited 1');
    expect(html).toContain('<a href="https://baton.example.com/runs/r-1">');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(html).not.toContain('<script>');
  });

  it('subjects of a resolved group, a run report and an upcoming run', async () => {
    const c = channel({ subjectPrefix: '' });
    await c.send(resolved, 'dl_02');
    await c.send(report, 'dl_03');
    await c.send(upcoming, 'dl_04');
    const subjects = mails.map((m) => parseMime(m.raw).headers.get('subject'));
    expect(subjects).toEqual(['[RESOLVED] any-run-failed nightly', 'nightly succeeded in 4m12s', 'nightly is due at 2025-03-02T02:00:00.000Z']);
    expect(parseMime(mails[0]!.raw).parts.get('text/plain')).toContain('Resolved: 2 alerts of any-run-failed nightly.');
  });

  it('keeps one pooled connection per channel for its messages, and close() ends it', async () => {
    const before = { open: connections, closed: closedConnections };
    const c = channel();
    await c.send(report, 'dl_05');
    await c.send(report, 'dl_06');
    expect(connections - before.open).toBe(1);
    await c.close();
    await waitUntil(() => closedConnections - before.closed === 1);
  });

  it('makes Message-IDs of any delivery id', () => {
    expect(messageIdFor('dl_01.2')).toBe('<dl_01.2@baton>');
    expect(messageIdFor('a b<c>@.x.')).toBe('<a%20b%3Cc%3E%40.x%2E@baton>');
  });
});

describe('email channel: outcomes', () => {
  it('a recipient refused with 550 ends the delivery with statusCode 550', async () => {
    const outcome = await channel({ to: ['refused@example.com'] }).send(firing, 'dl_10');
    expect(outcome).toMatchObject({ ok: false, retryable: false, statusCode: 550 });
    expect(outcome.error).toContain('No such user here');
  });

  it('451 is retryable', async () => {
    const outcome = await channel({ to: ['later@example.com'] }).send(firing, 'dl_11');
    expect(outcome).toMatchObject({ ok: false, retryable: true, statusCode: 451 });
  });

  it('a wrong password is not retryable (535), and the password is not in the error', async () => {
    const outcome = await channel({ auth: { user: USER, password: 'not-the-password' } }).send(firing, 'dl_12');
    expect(outcome).toMatchObject({ ok: false, retryable: false, statusCode: 535 });
    expect(outcome.error).not.toContain('not-the-password');
    expect(mails).toHaveLength(0);
  });

  it('some recipients refused: delivered to the others, the refusal said', async () => {
    const outcome = await channel({ to: ['ops@example.com', 'refused@example.com'] }).send(firing, 'dl_13');
    expect(outcome).toMatchObject({ ok: true, statusCode: 250 });
    expect(outcome.error).toMatch(/refused refused@example\.com: 550 No such user here/);
    expect(mails.map((m) => m.to)).toEqual([['ops@example.com']]);
  });

  it('a secret in the server answer is masked', async () => {
    const outcome = await channel({ to: ['leak@example.com'] }).send(firing, 'dl_14');
    expect(outcome).toMatchObject({ ok: false, retryable: false, statusCode: 550 });
    expect(outcome.error).toContain('mailbox *** is not yours');
    expect(outcome.error).not.toContain(SECRET);
  });

  it('connection refused is retryable', async () => {
    const outcome = await channel({ port: await closedPort() }).send(firing, 'dl_15');
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome.statusCode).toBeUndefined();
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('a server that stalls after DATA is given up on within timeoutMs, retryable', async () => {
    stall = true;
    const t0 = performance.now();
    const outcome = await channel({ timeoutMs: 300 }).send(firing, 'dl_16');
    const took = performance.now() - t0;
    expect(outcome).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('did not take the message within 300 ms') as unknown });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return p;
}

async function waitUntil(ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Headers (lower-case names, unfolded) and the decoded text parts by content type. */
function parseMime(raw: string): { headers: Map<string, string>; parts: Map<string, string> } {
  const { headers, body } = splitEntity(raw);
  const parts = new Map<string, string>();
  const walk = (h: Map<string, string>, b: string): void => {
    const type = h.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.startsWith('multipart/') && boundary) {
      for (const piece of b.split(`--${boundary}`).slice(1)) {
        if (piece.startsWith('--')) break;
        const sub = splitEntity(piece.replace(/^\r\n/, ''));
        walk(sub.headers, sub.body);
      }
      return;
    }
    parts.set(type.split(';')[0]!.trim().toLowerCase(), decode(b, h.get('content-transfer-encoding') ?? '7bit'));
  };
  walk(headers, body);
  return { headers, parts };
}

function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(at + 4) };
}

function decode(body: string, encoding: string): string {
  const enc = encoding.toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const text = body.replace(/=\r\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const hex = text.slice(i + 1, i + 3);
      if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}
