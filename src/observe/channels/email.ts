/**
 * @module observe/channels/email
 * The `email:` channel: one message per notification through a pooled nodemailer SMTP
 * transport, one pool per channel (made at the first send, closed by `close()`).
 *
 * The subject follows Alertmanager's (`[baton] [FIRING:3] any-run-failed nightly`); the
 * plain-text and HTML bodies are the same rendering (./render.ts). The Message-ID is made
 * from the delivery id (`<id@baton>`), so a message sent again after a crash between send
 * and record carries the same id and a receiver (or a mail client's threading) can drop it.
 *
 * Outcomes follow the SMTP reply: 4xx transient and 5xx permanent (RFC 5321 §4.2.1), with
 * 503 (bad sequence) transient as nodemailer reads it; connection failures and timeouts
 * are retried; errors before any reply (missing credentials, a bad address) are not.
 */
import nodemailer from 'nodemailer';
import type { NodemailerError, SMTPPoolSentMessageInfo, Transporter } from 'nodemailer';
import { isPermanentResponseCode } from 'nodemailer/lib/errors';
import { coerceError } from '../../shared/index.js';
import { renderHtml } from './html.js';
import { elapsed, errorLine, failed } from './outcome.js';
import { renderText } from './render.js';
import type { Channel, ChannelSpec, DeliveryOutcome, Notification } from './types.js';

/** A compiled channel of type `email`. */
export type EmailSpec = Extract<ChannelSpec, { type: 'email' }>;

/**
 * nodemailer codes of failures that happen before the server said anything about the
 * message and will happen again: missing or unusable credentials, an address or a message
 * nodemailer refuses, a configuration it cannot use, REQUIRETLS unsupported. Every other
 * failure without a reply code (connection refused or reset, DNS, TLS, timeouts) is retried.
 */
const FINAL_CODES = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'EENVELOPE', 'EMESSAGE', 'ECONFIG', 'EREQUIRETLS', 'EMAXRECIPIENTS']);

/**
 * The Message-ID of a delivery: `<id@baton>`, with every character the RFC 5322 `dot-atom`
 * does not take percent-encoded (a dot is kept between other characters).
 * @see https://www.rfc-editor.org/rfc/rfc5322#section-3.6.4
 */
export function messageIdFor(idempotencyKey: string): string {
  const left = idempotencyKey
    .replace(/[^A-Za-z0-9_.-]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''))
    .replace(/^\.|\.$|\.(?=\.)/g, '%2E');
  return `<${left || 'empty'}@baton>`;
}

/** The full subject of a notification: the channel's prefix, a space, the rendered subject. */
export function emailSubject(prefix: string, subject: string): string {
  return prefix ? `${prefix} ${subject}` : subject;
}

/**
 * An email channel. Each SMTP wait (connecting, the greeting, every reply) is bounded by
 * `timeoutMs`, and so is the whole send: a server trickling its replies, which no socket
 * timeout notices, is given up on at the same bound. A send given up on (timeout or the
 * caller's signal) is retryable: the server may have accepted it, and the repeated
 * Message-ID lets the receiving side see the duplicate.
 */
export function createEmailChannel(spec: EmailSpec): Channel {
  const e = spec.email;
  const where = `${e.host}:${e.port}`;
  let transport: Transporter<SMTPPoolSentMessageInfo> | undefined;

  const pool = (): Transporter<SMTPPoolSentMessageInfo> => {
    if (transport) return transport;
    transport = nodemailer.createTransport({
      pool: true,
      host: e.host,
      port: e.port,
      secure: e.secure,
      requireTLS: e.requireTls,
      ...(e.auth ? { auth: { user: e.auth.user, pass: e.auth.password } } : {}),
      connectionTimeout: e.timeoutMs,
      greetingTimeout: e.timeoutMs,
      socketTimeout: e.timeoutMs,
    });
    // The pool reports failures through each send's callback; an 'error' event without a
    // listener would end the process.
    transport.on('error', () => undefined);
    return transport;
  };

  async function send(n: Notification, idempotencyKey: string, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const started = performance.now();
    const r = renderText(n, spec.publicUrl !== undefined ? { publicUrl: spec.publicUrl } : {});
    const timeout = AbortSignal.timeout(e.timeoutMs);
    try {
      const info = await pool().sendMail({
        from: e.from,
        to: e.to,
        subject: emailSubject(e.subjectPrefix, r.subject),
        text: r.text,
        html: renderHtml(r),
        messageId: messageIdFor(idempotencyKey),
        headers: { 'X-Baton-Delivery': idempotencyKey, 'X-Baton-Event': n.type },
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      const outcome: DeliveryOutcome = { ok: true, retryable: false, durationMs: elapsed(started) };
      const code = replyCode(info.response);
      if (code !== undefined) outcome.statusCode = code;
      const refused = info.rejected ?? [];
      if (refused.length) outcome.error = errorLine(`${where} refused ${refused.join(', ')}: ${rejections(info)}`, spec.mask);
      return outcome;
    } catch (thrown) {
      const err = coerceError(thrown) as NodemailerError;
      if (timeout.aborted) return failed(`${where} did not take the message within ${e.timeoutMs} ms`, true, started, spec.mask);
      if (signal?.aborted) return failed(`sending to ${where} was cancelled`, true, started, spec.mask);
      const code = err.responseCode;
      if (typeof code === 'number') return failed(`${where}: ${err.message}`, !isPermanentResponseCode(code), started, spec.mask, { statusCode: code });
      return failed(`${where}: ${err.message}`, !FINAL_CODES.has(err.code ?? ''), started, spec.mask);
    }
  }

  function close(): Promise<void> {
    const t = transport;
    transport = undefined;
    t?.close();
    return Promise.resolve();
  }

  return { name: spec.name, type: 'email', sendResolved: spec.sendResolved, send, close };
}

/** The reply code at the start of the server's last answer (`250 OK: queued as …`). */
function replyCode(response: string | undefined): number | undefined {
  const m = /^([2-5]\d\d)\b/.exec(response ?? '');
  return m ? Number(m[1]) : undefined;
}

function rejections(info: SMTPPoolSentMessageInfo): string {
  const errors: NodemailerError[] = info.rejectedErrors ?? [];
  return errors.map((x) => x.response ?? x.message).join('; ') || 'no reason given';
}
