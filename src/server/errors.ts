/**
 * @module server/errors
 * One error shape for every API response that is not a success:
 * `{ "error": { "code", "message", "details"? } }`, with the HTTP status that fits. Codes
 * are stable lowercase words clients may branch on; messages are for people.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { PriorityRangeError, RerunSelectionError, ResumeError, RunHeldError, RunStateError } from '../runtime/index.js';
import { ParamError, WorkflowValidationError } from '../workflow/index.js';
import { BadCursorError, RunNotFoundError } from '../store/index.js';
import { BatonError } from '../shared/index.js';

/** A failure a route reports on purpose. */
export class ApiError extends BatonError {
  /**
   * @param status - the HTTP status of the response.
   * @param code - the body's stable `error.code`.
   * @param details - JSON sent as the body's `error.details`.
   */
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(code, message);
  }
}

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Library errors that mean "the request was wrong", mapped to their status and code. */
function fromLibrary(e: unknown): ApiError | undefined {
  if (e instanceof ApiError) return e;
  if (e instanceof RunNotFoundError) return new ApiError(e.candidates.length > 1 ? 409 : 404, e.candidates.length > 1 ? 'ambiguous-run' : 'run-not-found', e.message, e.candidates.length ? { candidates: e.candidates } : undefined);
  if (e instanceof BadCursorError) return new ApiError(400, 'bad-cursor', e.message);
  if (e instanceof ParamError) return new ApiError(400, 'invalid-params', e.message, e.problems);
  if (e instanceof WorkflowValidationError) return new ApiError(400, 'invalid-workflow', e.message, e.errors);
  if (e instanceof ResumeError) return new ApiError(409, 'not-resumable', e.message);
  if (e instanceof RunStateError) return new ApiError(409, 'run-state', e.message, { state: e.state, held: e.held });
  if (e instanceof PriorityRangeError) return new ApiError(400, 'invalid-request', e.message);
  if (e instanceof RerunSelectionError) return new ApiError(e.problem === 'unknown-step' ? 400 : 409, e.problem, e.message);
  if (e instanceof RunHeldError) return new ApiError(409, 'run-held', e.message, { holder: e.holder });
  return undefined;
}

/** Fastify's own errors, by code: what the client sent was not acceptable. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-content-length',
};

/** Installs the error and not-found handlers that give every failure the one shape. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const known = fromLibrary(err);
    let e: ApiError;
    if (known) e = known;
    else if (hasZodFastifySchemaValidationErrors(err)) {
      e = new ApiError(400, 'invalid-request', `invalid request ${err.validationContext ?? ''}: ${err.validation.map((v) => `${v.instancePath || '/'} ${v.message ?? ''}`).join('; ')}`.replace('  ', ' '),
        err.validation.map((v) => ({ in: err.validationContext, path: v.instancePath, message: v.message })));
    } else if (err.statusCode === 429) e = new ApiError(429, 'rate-limited', err.message);
    else if (err.code && FASTIFY_CODES[err.code]) e = new ApiError(err.statusCode ?? 400, FASTIFY_CODES[err.code]!, err.message);
    else if (err instanceof SyntaxError || (err.statusCode === 400 && err.code === undefined)) e = new ApiError(400, 'malformed-json', `the body is not valid JSON: ${err.message}`);
    else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) e = new ApiError(err.statusCode, 'bad-request', err.message);
    else {
      req.log.error({ err }, 'request failed');
      e = new ApiError(500, 'internal', 'the server failed to handle the request; see its log');
    }
    const body: ErrorBody = { error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
    void reply.status(e.status).type('application/json').send(JSON.stringify(body));
  });
  app.setNotFoundHandler((req, reply) => {
    const body: ErrorBody = { error: { code: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` } };
    void reply.status(404).type('application/json').send(JSON.stringify(body));
  });
}
