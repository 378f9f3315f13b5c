/**
 * @module server/errors
 * One error shape for every API response that is not a success:
 * `{ "error": { "code", "message", "details"? } }`, with the HTTP status that fits. Codes
 * are stable lowercase words clients may branch on; messages are for people.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PriorityRangeError, RerunSelectionError, ResumeError, RunHeldError, RunStateError } from '../runtime/index.js';
import { ParamError, WorkflowValidationError } from '../workflow/index.js';
import { BadCursorError, RunNotFoundError } from '../store/index.js';
import { LogPatternError } from '../observe/index.js';
import { IntakeRefusedError } from '../triggers/index.js';
import { BatonError, coerceError } from '../shared/index.js';

/** A failure a route reports on purpose. */
export class ApiError extends BatonError {
  /**
   * @param status - the HTTP status of the response.
   * @param code - the body's stable `error.code`.
   * @param details - JSON sent as the body's `error.details`.
   */
  constructor(
    /** The HTTP status to answer with. */
    readonly status: number,
    code: string,
    message: string,
    /** JSON detail sent as `error.details` (the validation problems, the candidates…). */
    readonly details?: unknown,
    /** Response headers sent with it (`Retry-After` of a 429). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(code, message);
  }
}

/** The body of every error response. `requestId` is set on 500s: the id the server logged the failure under. */
export interface ErrorBody {
  /** The one error shape of every refusal. */
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

/** How {@link installErrorHandling} reports a request that failed with a 500. */
export interface FailedRequest {
  requestId: string;
  method: string;
  url: string;
  /** The error's stack (or message), already masked. */
  error: string;
}

/** Options of {@link installErrorHandling}. */
export interface ErrorHandlingOptions {
  /** Hides secret values in what is logged. @default the text as it is */
  mask?: (text: string) => string;
  /** Where a 500 is logged. @default one line on stderr */
  logFailure?: (f: FailedRequest) => void;
  /** Asked first about a request no route matched (the dashboard's pages); true when it answered. @default none */
  fallback?: (req: FastifyRequest, reply: FastifyReply) => boolean;
}

/** Library errors that mean "the request was wrong", mapped to their status and code. */
function fromLibrary(e: unknown): ApiError | undefined {
  if (e instanceof ApiError) return e;
  if (e instanceof RunNotFoundError) return new ApiError(e.candidates.length > 1 ? 409 : 404, e.candidates.length > 1 ? 'ambiguous-run' : 'run-not-found', e.message, e.candidates.length ? { candidates: e.candidates } : undefined);
  if (e instanceof BadCursorError) return new ApiError(400, 'bad-cursor', e.message);
  if (e instanceof LogPatternError) return new ApiError(400, e.code, e.message);
  if (e instanceof ParamError) return new ApiError(400, 'invalid-params', e.message, e.problems);
  if (e instanceof WorkflowValidationError) return new ApiError(400, 'invalid-workflow', e.message, e.errors);
  if (e instanceof ResumeError) return new ApiError(409, 'not-resumable', e.message);
  if (e instanceof RunStateError) return new ApiError(409, 'run-state', e.message, { state: e.state, held: e.held });
  if (e instanceof PriorityRangeError) return new ApiError(400, 'invalid-request', e.message);
  if (e instanceof RerunSelectionError) return new ApiError(e.problem === 'unknown-step' ? 400 : 409, e.problem, e.message);
  if (e instanceof RunHeldError) return new ApiError(409, 'run-held', e.message, { holder: e.holder });
  if (e instanceof IntakeRefusedError) {
    return new ApiError(429, 'intake-refused', e.message, { queued: e.depth, limit: e.limit, retryAfterSec: e.retryAfterSec }, { 'retry-after': String(e.retryAfterSec) });
  }
  return undefined;
}

/** Fastify's own errors, by code: what the client sent was not acceptable. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-content-length',
  FST_ERR_BAD_URL: 'bad-url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri-too-long',
};

/** The one error body, as JSON text. */
export function errorText(code: string, message: string, details?: unknown, requestId?: string): string {
  const body: ErrorBody = { error: { code, message, ...(details !== undefined ? { details } : {}), ...(requestId !== undefined ? { requestId } : {}) } };
  return JSON.stringify(body);
}

/** Writes a failure of an oversized body only once the client has sent all of it (or gone). */
function afterBody(req: FastifyRequest, then: () => void): void {
  const raw = req.raw;
  if (raw.readableEnded || raw.destroyed) return then();
  // Closing a socket with unread request bytes makes the kernel answer them with a reset,
  // which the client sees instead of the 413: read (and drop) the rest first. The server's
  // requestTimeout bounds how long a client may keep sending.
  raw.on('data', () => undefined);
  raw.once('end', then);
  raw.once('close', then);
  raw.resume();
}

/**
 * fastify's `frameworkErrors`: a URL that does not decode (400 `bad-url`) or a path
 * parameter over `maxParamLength` (414 `uri-too-long`), in the one error shape.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  void reply.status(status).type('application/json').send(errorText(FASTIFY_CODES[err.code] ?? 'bad-request', status === 414 ? 'a path segment of the URL is too long' : err.message));
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses before a request exists —
 * headers (request line included) over `maxHeaderSize` (431 `headers-too-large`), a
 * request not received within `requestTimeout` or headers within `headersTimeout` (408
 * `request-timeout`), anything malformed (400 `bad-request`) — answered in the one error
 * shape, then the connection is closed, as Node does.
 * @see https://nodejs.org/api/http.html#event-clienterror
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers-too-large', 'the request line and headers are larger than the server accepts']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request-timeout', 'the request was not received in time']
      : [400, 'bad-request', 'the request is not valid HTTP'];
  if (socket.writable) {
    const body = errorText(code, message);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/**
 * Installs the error and not-found handlers that give every failure the one shape. A 500
 * is logged (masked) with its request id, and the body carries that id.
 */
export function installErrorHandling(app: FastifyInstance, o: ErrorHandlingOptions = {}): void {
  const mask = o.mask ?? ((t: string): string => t);
  const logFailure = o.logFailure ?? ((f: FailedRequest): void => {
    process.stderr.write(`baton server: request ${f.requestId} ${f.method} ${f.url} failed: ${f.error}\n`);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const known = fromLibrary(err);
    let e: ApiError;
    if (known) e = known;
    else if (hasZodFastifySchemaValidationErrors(err)) {
      e = new ApiError(400, 'invalid-request', `invalid request ${err.validationContext ?? ''}: ${err.validation.map((v) => `${v.instancePath || '/'} ${v.message ?? ''}`).join('; ')}`.replace('  ', ' '),
        err.validation.map((v) => ({ in: err.validationContext, path: v.instancePath, message: v.message })));
    } else if (err.statusCode === 429) e = new ApiError(429, 'rate-limited', err.message);
    else if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      e = new ApiError(403, 'csrf', 'a change made with the session cookie needs the X-CSRF-Token header: the csrfToken that POST or GET /api/v1/session answered');
    } else if (err.code && FASTIFY_CODES[err.code]) e = new ApiError(err.statusCode ?? 400, FASTIFY_CODES[err.code]!, err.message);
    else if (err instanceof SyntaxError || (err.statusCode === 400 && err.code === undefined)) e = new ApiError(400, 'malformed-json', `the body is not valid JSON: ${err.message}`);
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) e = new ApiError(err.statusCode, 'bad-request', err.message);
    else {
      const failure = coerceError(err);
      logFailure({ requestId: req.id, method: req.method, url: mask(req.url), error: mask(failure.stack ?? failure.message) });
      const body = errorText('internal', `the server failed to handle the request; see its log for request ${req.id}`, undefined, req.id);
      void reply.status(500).type('application/json').send(body);
      return;
    }
    const text = errorText(e.code, e.message, e.details);
    if (e.headers) void reply.headers(e.headers);
    const send = (): void => void reply.status(e.status).type('application/json').send(text);
    if (e.status === 413) {
      void reply.header('connection', 'close');
      afterBody(req, send);
    } else send();
  });
  app.setNotFoundHandler((req, reply) => {
    if (o.fallback?.(req, reply)) return;
    void reply.status(404).type('application/json').send(errorText('not-found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
}
