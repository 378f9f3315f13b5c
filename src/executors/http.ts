/**
 * @module executors/http
 * Runs an `http:` step with Node's built-in fetch: evaluates the request's `${{ }}` parts
 * as data (secrets included, which never leave this process), sends it with the attempt id
 * as `Idempotency-Key`, reads at most `maxResponseBytes` of the response, and turns the
 * status into success or a failure classified for the retry policy. The attempt's log gets
 * the request line, the status, the time and the size; never headers or bodies.
 */
import { failures } from '../core/index.js';
import type { Failure } from '../core/index.js';
import { BATON_VERSION, errorMessage } from '../shared/index.js';
import type { JsonValue } from '../shared/index.js';
import type { ExpressionScope, HttpRequestSpec } from '../workflow/index.js';
import { ExpressionError, httpUrlProblem, interpolate, interpolateValue } from '../workflow/index.js';
import { toOutput } from './handler-result.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

/** The `User-Agent` an http step sends unless its headers set one. */
export const HTTP_USER_AGENT = `baton/${BATON_VERSION}`;

/** Most characters of a response body kept in a status failure's details. */
const ERROR_BODY_CHARS = 1_000;

/** Runs one attempt of an http step. Never throws. */
export async function runHttp(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.action.kind !== 'http') throw new Error(`step ${req.stepId} is not an http step`);
  const spec = req.step.action.request;
  let prepared: Prepared;
  try {
    prepared = prepare(spec, req);
  } catch (e) {
    // Headers refuse a value with a newline or a bad name: another try would send the same.
    const message = errorMessage(e);
    return { ok: false, failure: e instanceof ExpressionError ? failures.expression(message) : failures.httpInvalid(`step '${req.stepId}': ${message}`) };
  }
  const problem = httpUrlProblem(prepared.url);
  if (problem !== undefined) return { ok: false, failure: failures.httpInvalid(`step '${req.stepId}': ${problem}`) };
  const url = new URL(prepared.url);
  // Credentials in a URL would reach the log; fetch refuses them anyway, with a vaguer error.
  if (url.username !== '' || url.password !== '') {
    return { ok: false, failure: failures.httpInvalid(`step '${req.stepId}': url must not hold a user or password: send them in an Authorization header`) };
  }
  // The URL as evaluated, not `url.href`: normalizing percent-encodes characters, and a
  // secret changed that way would no longer be recognised by the masker.
  const line = `${spec.method} ${prepared.url}`;
  const timeout = spec.timeoutMs === undefined ? undefined : AbortSignal.timeout(spec.timeoutMs);
  const signal = timeout === undefined ? req.signal : AbortSignal.any([req.signal, timeout]);
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  req.log.info(`http ${line}`);
  let res: Response;
  let body: Buffer;
  try {
    res = await fetch(url, { method: spec.method, headers: prepared.headers, ...(prepared.body !== undefined ? { body: prepared.body } : {}), signal, redirect: 'follow' });
    const read = await readCapped(res, spec.maxResponseBytes);
    if (!read.ok) {
      req.log.info(`http ${res.status} ${res.statusText} after ${elapsed()} ms: response over ${spec.maxResponseBytes} bytes`);
      return {
        ok: false,
        failure: failures.responseTooLarge(
          `${line} answered more than maxResponseBytes (${spec.maxResponseBytes} bytes)${read.declared !== undefined ? `: content-length ${read.declared}` : ''}`,
          { status: res.status, maxResponseBytes: spec.maxResponseBytes },
        ),
      };
    }
    body = read.body;
  } catch (e) {
    const ms = elapsed();
    if (timeout?.aborted === true && !req.signal.aborted) {
      req.log.info(`http request timed out after ${ms} ms`);
      return { ok: false, failure: failures.httpRequest(`${line}: no complete response within ${spec.timeoutMs ?? 0} ms (http.timeout)`, { timeoutMs: spec.timeoutMs ?? 0 }) };
    }
    // A cancel or the step's timeout: the runtime reports it by its abort cause.
    if (req.signal.aborted) return { ok: false, failure: failures.cancelled('the request was aborted') };
    const message = networkMessage(e);
    req.log.info(`http request failed after ${ms} ms: ${message}`);
    return { ok: false, failure: failures.httpRequest(`${line}: ${message}`) };
  }
  req.log.info(`http ${res.status} ${res.statusText} in ${elapsed()} ms, ${body.length} bytes`);
  const expected = spec.expectStatus === undefined ? res.status >= 200 && res.status < 300 : spec.expectStatus.includes(res.status);
  if (!expected) return { ok: false, failure: statusFailure(res, body, line, spec, req) };
  return toOutput(parseBody(res, body), limits.maxOutputBytes);
}

interface Prepared {
  url: string;
  headers: Headers;
  body?: string;
}

/** The request with its expressions evaluated and baton's headers added. @throws ExpressionError */
function prepare(spec: HttpRequestSpec, req: AttemptRequest): Prepared {
  const steps: ExpressionScope['steps'] = {};
  for (const [id, output] of Object.entries(req.outputs())) steps[id] = { output };
  const scope: ExpressionScope = { params: req.params, steps, run: { id: req.runId, attempt: req.attempt }, secrets: req.secretValues ?? {} };
  if (req.map !== undefined) Object.assign(scope, { item: req.map.item, map: { index: req.map.index } });
  const url = interpolate(spec.url, scope);
  const headers = new Headers();
  for (const [name, value] of Object.entries(spec.headers)) headers.set(name, interpolate(value, scope));
  if (!headers.has('user-agent')) headers.set('user-agent', HTTP_USER_AGENT);
  // The attempt id is stable per try: a server that saw this key already can answer from
  // its record instead of acting twice (draft-ietf-httpapi-idempotency-key-header).
  if (spec.idempotencyKey && !headers.has('idempotency-key')) headers.set('idempotency-key', req.attemptId);
  const out: Prepared = { url, headers };
  if (spec.body !== undefined) {
    const value = interpolateValue(spec.body, scope);
    if (typeof spec.body === 'string' && typeof value === 'string') out.body = value;
    else {
      out.body = JSON.stringify(value);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }
  return out;
}

/** Reads the body, stopping (and cancelling the stream) once it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<{ ok: true; body: Buffer } | { ok: false; declared?: number }> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, declared };
  }
  if (res.body === null) return { ok: true, body: Buffer.alloc(0) };
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return { ok: false };
    }
    chunks.push(value);
  }
  return { ok: true, body: Buffer.concat(chunks, size) };
}

/** JSON media types: `application/json` and any `+json` suffix (RFC 6839 §3.1). */
function isJson(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || type.endsWith('+json');
}

/** The step's output: the parsed JSON when the response says it is JSON, else the text; nothing for an empty body. */
function parseBody(res: Response, body: Buffer): unknown {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  if (!isJson(res.headers.get('content-type'))) return text;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    // Kept as text, not failed: the status said success and the data is still there.
    return text;
  }
}

function statusFailure(res: Response, body: Buffer, line: string, spec: HttpRequestSpec, req: AttemptRequest): Failure {
  const want = spec.expectStatus === undefined ? '2xx' : spec.expectStatus.join(', ');
  const text = body.toString('utf8');
  const excerpt = req.masker ? req.masker.maskThenTruncate(text, ERROR_BODY_CHARS) : text.slice(0, ERROR_BODY_CHARS);
  const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after'), Date.now()) : undefined;
  const details: JsonValue = { status: res.status, ...(excerpt !== '' ? { body: excerpt } : {}), ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  return failures.httpStatus(`${line} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} (expected ${want})`, res.status, details, retryAfter);
}

/**
 * A `Retry-After` value as a wait in ms (RFC 9110 §10.2.3): either `delay-seconds` (a
 * non-negative integer) or an HTTP-date, measured from `nowMs`. A date in the past is 0.
 * @returns undefined when absent or not one of those forms (the header is then ignored).
 * @example parseRetryAfter('120', now) // 120000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number.parseInt(v, 10) * 1000;
  // An HTTP-date always names a weekday and GMT; Date.parse alone would accept "1".
  if (!/GMT$/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** undici reports a network error as "fetch failed" with the reason as its cause. */
function networkMessage(e: unknown): string {
  const cause = (e as { cause?: unknown } | null)?.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason = cause instanceof Error ? cause.message : undefined;
  return [typeof code === 'string' ? code : undefined, reason ?? errorMessage(e)].filter(Boolean).join(': ');
}
