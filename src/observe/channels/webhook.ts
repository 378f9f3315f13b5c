/**
 * @module observe/channels/webhook
 * The `webhook:` channel: one HTTPS POST per notification with Node's `fetch`.
 *
 * The body is the notification's JSON as it is (`format: baton`, versioned by its `version`
 * field) or a Slack-compatible body (`format: slack`). With a `secret`, the request is
 * signed exactly as baton's inbound webhooks verify it (`X-Baton-Timestamp`,
 * `X-Baton-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<delivery>.<body>">`, signed by
 * the triggers layer's own `signWebhook`), so one baton can notify another's `/hooks/…` and a
 * receiver verifies with the same few lines. Redirects are not followed: a signed POST is
 * not re-sent to an address the configuration did not name.
 */
import { BATON_VERSION, errorMessage } from '../../shared/index.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from '../../triggers/index.js';
import { ChannelError } from './errors.js';
import { elapsed, failed } from './outcome.js';
import { renderText } from './render.js';
import { slackBody } from './slack.js';
import type { Channel, ChannelSpec, DeliveryOutcome, Notification } from './types.js';

/** Header naming what the body is: `alert`, `run-report` or `run-upcoming` (the notification's `type`). */
export const EVENT_HEADER = 'x-baton-event';

/**
 * Bytes of a refusal's body read to quote its start. Far more than the quoted
 * `MAX_ERROR_CHARS` (200) characters: the text is masked before it is cut, and a secret
 * the read cut in two would no longer be recognised.
 */
const MAX_QUOTED_BYTES = 64 * 1024;

/** A compiled channel of type `webhook`. */
export type WebhookSpec = Extract<ChannelSpec, { type: 'webhook' }>;

/**
 * Whether an HTTP status is worth another try: 408 (request timeout), 425 (too early),
 * 429 (too many requests) and every 5xx. Any other non-2xx (400, 401, 404, 410, a 3xx
 * redirect) will be answered the same way again, so the delivery ends.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15 (status semantics), RFC 8470 (425)
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** The body a webhook channel POSTs for `n`, as sent. */
export function webhookBody(n: Notification, format: 'baton' | 'slack', publicUrl?: string): string {
  if (format === 'baton') return JSON.stringify(n);
  return JSON.stringify(slackBody(renderText(n, publicUrl !== undefined ? { publicUrl } : {})));
}

/**
 * A webhook channel. `send` answers 2xx with `ok`; 408, 425, 429, 5xx, network errors and
 * timeouts (`timeoutMs`, covering connection, answer and the quoted part of its body) as
 * retryable; other statuses as final. A failed outcome carries the status and the first
 * `MAX_ERROR_CHARS` (200) characters of the answer's body, masked. Errors name the URL's
 * origin only: a path may be a credential (Slack's webhook URLs are).
 * @throws ChannelError `channel-invalid` when the URL is not http(s).
 */
export function createWebhookChannel(spec: WebhookSpec): Channel {
  const { url, secret, format, headers, timeoutMs } = spec.webhook;
  let origin: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`protocol ${parsed.protocol}`);
    origin = parsed.origin;
  } catch (e) {
    throw new ChannelError('channel-invalid', `channel ${spec.name}: webhook url must be an http:// or https:// URL (${errorMessage(e)})`, { cause: e });
  }
  const mask = spec.mask;

  async function send(n: Notification, idempotencyKey: string, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const started = performance.now();
    const body = webhookBody(n, format, spec.publicUrl);
    const request = new Headers(headers);
    request.set('content-type', 'application/json');
    request.set('user-agent', `baton/${BATON_VERSION}`);
    request.set(DELIVERY_HEADER, idempotencyKey);
    request.set(EVENT_HEADER, n.type);
    if (secret !== undefined) {
      const timestamp = Math.floor(Date.now() / 1000);
      request.set(TIMESTAMP_HEADER, String(timestamp));
      request.set(SIGNATURE_HEADER, signWebhook(secret, timestamp, idempotencyKey, body));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const both = signal ? AbortSignal.any([timeout, signal]) : timeout;
    try {
      const res = await fetch(url, { method: 'POST', headers: request, body, redirect: 'manual', signal: both });
      if (res.ok) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: true, retryable: false, statusCode: res.status, durationMs: elapsed(started) };
      }
      const quoted = await bodyStart(res, MAX_QUOTED_BYTES);
      const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed: set the channel url to the final address)' : '';
      return failed(`${origin} answered ${res.status}${redirect}${quoted ? `: ${quoted}` : ''}`, isRetryableStatus(res.status), started, mask, { statusCode: res.status });
    } catch (e) {
      if (timeout.aborted) return failed(`${origin} did not answer within ${timeoutMs} ms`, true, started, mask);
      if (signal?.aborted) return failed(`delivery to ${origin} was cancelled`, true, started, mask);
      return failed(`could not reach ${origin}: ${networkProblem(e)}`, true, started, mask);
    }
  }

  return { name: spec.name, type: 'webhook', sendResolved: spec.sendResolved, send, close: () => Promise.resolve() };
}

/** Up to `max` bytes of an answer's body as text; the rest is not read. */
async function bodyStart(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const next = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (next.done || !next.value) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // a body cut short still says what it said
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** What undici's `fetch failed` hides in its cause: `connect ECONNREFUSED 127.0.0.1:8080`. */
function networkProblem(e: unknown): string {
  const cause = (e as { cause?: unknown } | null)?.cause;
  if (cause instanceof AggregateError && cause.errors.length) return cause.errors.map(errorMessage).join('; ');
  return cause !== undefined ? errorMessage(cause) : errorMessage(e);
}
