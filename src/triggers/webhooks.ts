/**
 * @module triggers/webhooks
 * Webhooks as a trigger: what a signed request must carry to start a run, decided without
 * HTTP (the route in `server/routes/hooks.ts` only adapts headers and statuses).
 *
 * The sender signs `<timestamp>.<delivery>.<raw body>` with HMAC-SHA256 keyed with the
 * workflow's `webhook.secret`. The delivery id is inside the signed text: a captured request
 * re-sent with a fresh `X-Baton-Delivery` inside the tolerance window no longer verifies, so
 * the one-run-per-delivery rule cannot be sidestepped. The older scheme that signed only
 * `<timestamp>.<raw body>` is refused outright (the 401 message names the new one), since
 * accepting it would keep that replay open. A timestamp outside the tolerance is refused
 * (replay of an old capture); each delivery id starts at most one run, recorded by the
 * store in the run's own transaction.
 * @see https://docs.stripe.com/webhooks#verify-manually (timestamped HMAC; ours adds the delivery id)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JsonValue } from '../shared/index.js';
import { BatonError, errorMessage } from '../shared/index.js';
import type { WorkflowSpec } from '../workflow/index.js';
import { resolveParams } from '../workflow/index.js';
import { resolveSecrets } from '../executors/index.js';
import { newRun } from '../runtime/index.js';
import type { NewRun } from '../runtime/index.js';

/** Header carrying `sha256=<hex HMAC-SHA256>` of the signed text. */
export const SIGNATURE_HEADER = 'x-baton-signature';
/** Header carrying the send time, Unix seconds (decimal digits). */
export const TIMESTAMP_HEADER = 'x-baton-timestamp';
/** Header carrying the sender's delivery id: unique per delivery, at most {@link MAX_DELIVERY_LENGTH} characters. */
export const DELIVERY_HEADER = 'x-baton-delivery';
/** Longest delivery id accepted, characters. */
export const MAX_DELIVERY_LENGTH = 200;
/** What the signature covers, for messages and documentation. */
export const SIGNED_TEXT = '<timestamp>.<delivery>.<raw body>';

/** Why a webhook request was refused. Each maps to one HTTP status in the route. */
export type WebhookProblem =
  /** A header is missing or empty. */
  | 'unsigned'
  /** The timestamp is not Unix seconds within the tolerance. */
  | 'stale-signature'
  /** The signature does not match (wrong secret, altered body or delivery id, old scheme). */
  | 'bad-signature'
  /** The delivery id is too long, or the body is not a JSON object. */
  | 'invalid-request'
  /** The body is not JSON. */
  | 'malformed-json';

/** A webhook request baton refuses; `code` is the {@link WebhookProblem}. */
export class WebhookError extends BatonError {
  declare readonly code: WebhookProblem;
  constructor(code: WebhookProblem, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/**
 * The `X-Baton-Signature` value a sender computes: `sha256=` and the hex HMAC-SHA256 of
 * `<timestamp>.<delivery>.<body>` keyed with the secret (UTF-8).
 * @param timestamp - Unix time, seconds, exactly as sent in `X-Baton-Timestamp`.
 * @param delivery - the `X-Baton-Delivery` value, exactly as sent.
 * @example
 * const body = JSON.stringify({ sku: 'A' });
 * const ts = Math.floor(Date.now() / 1000);
 * const id = crypto.randomUUID();
 * fetch(`${url}/hooks/restock`, { method: 'POST', body, headers: {
 *   'content-type': 'application/json', 'x-baton-timestamp': String(ts),
 *   'x-baton-delivery': id, 'x-baton-signature': signWebhook(secret, ts, id, body) } });
 */
export function signWebhook(secret: string, timestamp: number, delivery: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${delivery}.`).update(body).digest('hex');
}

/** The three headers of a signed request, as received (absent or empty = undefined). */
export interface WebhookHeaders {
  timestamp?: string | undefined;
  delivery?: string | undefined;
  signature?: string | undefined;
}

/** What {@link verifyWebhook} checks a request against. */
export interface WebhookCheck {
  /** The secret's value on this server. */
  secret: string;
  /** Largest distance between the sender's timestamp and `now`, seconds (the workflow's `webhook.toleranceSec`). */
  toleranceSec: number;
  /** The server's time, ms since the Unix epoch. */
  now: number;
}

/** A request that verified: its timestamp (Unix seconds) and delivery id. */
export interface VerifiedDelivery {
  timestamp: number;
  delivery: string;
}

/**
 * Checks the headers and signature of a webhook request, in the order a sender can fix
 * them: headers present, timestamp fresh, delivery id short enough, signature right.
 * Compares in constant time.
 * @throws WebhookError `unsigned`, `stale-signature`, `invalid-request` (delivery id over
 *   {@link MAX_DELIVERY_LENGTH} characters) or `bad-signature`.
 */
export function verifyWebhook(headers: WebhookHeaders, body: Buffer, check: WebhookCheck): VerifiedDelivery {
  const { timestamp: ts, delivery, signature } = headers;
  if (!ts || !delivery || !signature) {
    throw new WebhookError('unsigned', `a webhook needs the headers ${TIMESTAMP_HEADER}, ${DELIVERY_HEADER} and ${SIGNATURE_HEADER} (sha256= + hex HMAC-SHA256 of '${SIGNED_TEXT}')`);
  }
  const seconds = /^\d{1,12}$/.test(ts) ? Number(ts) : NaN;
  if (!Number.isFinite(seconds) || Math.abs(check.now / 1000 - seconds) > check.toleranceSec) {
    throw new WebhookError('stale-signature', `${TIMESTAMP_HEADER} must be Unix seconds within ${check.toleranceSec} s of the server's clock`);
  }
  if (delivery.length > MAX_DELIVERY_LENGTH) throw new WebhookError('invalid-request', `${DELIVERY_HEADER} is longer than ${MAX_DELIVERY_LENGTH} characters`);
  const want = Buffer.from(signWebhook(check.secret, seconds, delivery, body));
  const got = Buffer.from(signature);
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    throw new WebhookError('bad-signature', `the signature does not match: ${SIGNATURE_HEADER} must be sha256= + hex HMAC-SHA256 of '${SIGNED_TEXT}' keyed with the webhook secret (a signature of '<timestamp>.<raw body>' alone, the scheme before the delivery id was signed, is no longer accepted)`);
  }
  return { timestamp: seconds, delivery };
}

/**
 * The run params a verified body carries: an empty body is `{}`, else a JSON object.
 * @throws WebhookError `malformed-json` or `invalid-request` (not an object).
 */
export function webhookParams(body: Buffer): Record<string, JsonValue> {
  let parsed: unknown;
  try {
    parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (e) {
    throw new WebhookError('malformed-json', `the body is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WebhookError('invalid-request', 'the body must be a JSON object: its fields are the run params');
  }
  return parsed as Record<string, JsonValue>;
}

/**
 * The value of a workflow's webhook secret on this server, or undefined when the workflow
 * takes no webhooks (`secret: undefined` with `declared: false`) or this server cannot read
 * the secret (`declared: true`).
 */
export function webhookSecret(spec: WorkflowSpec, env: Readonly<Record<string, string | undefined>>): { declared: boolean; name?: string; secret?: string } {
  const hook = spec.webhook;
  if (!hook) return { declared: false };
  const declared = (spec.secrets ?? []).filter((s) => s.name === hook.secret);
  const r = resolveSecrets(declared, spec.baseDir, env);
  const secret = r.ok ? r.values[hook.secret] : undefined;
  return { declared: true, name: hook.secret, ...(secret !== undefined ? { secret } : {}) };
}

/** What the store needs to create a webhook run and record its delivery in one transaction. */
export interface WebhookRunInput {
  delivery: { workflow: string; id: string; receivedAt: number };
  run: NewRun;
}

/**
 * The run a verified delivery starts: params checked against the workflow's declarations,
 * trigger `webhook`, and the delivery record that makes a second request with the same id
 * start nothing.
 * @param now - ms since the Unix epoch.
 * @throws ParamError when the params do not fit the declarations.
 */
export function webhookRunInput(spec: WorkflowSpec, version: string, body: Record<string, JsonValue>, delivery: string, now: number): WebhookRunInput {
  const params = resolveParams(spec, body);
  return { delivery: { workflow: spec.name, id: delivery, receivedAt: now }, run: newRun(spec, version, { params, trigger: 'webhook' }, now) };
}

/** The outcome of recording a delivery: a new run, or the run an earlier request with the same id started. */
export type DeliveryOutcome = { accepted: true; runId: string } | { accepted: false; runId: string; message: string };

/**
 * Decides what a delivery recorded by the store means for the sender: `created: false`
 * (the id was seen before) starts nothing and names the first run.
 */
export function deliveryOutcome(delivery: string, recorded: { created: boolean; runId: string }): DeliveryOutcome {
  if (recorded.created) return { accepted: true, runId: recorded.runId };
  return { accepted: false, runId: recorded.runId, message: `delivery '${delivery}' was already received; it started run ${recorded.runId}` };
}
