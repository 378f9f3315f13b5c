/**
 * @module web/api/client
 * The dashboard's HTTP client: openapi-fetch typed by the server's OpenAPI document, with
 * the session cookie (same origin) and, on every state-changing request, the session's
 * CSRF token. Errors become {@link ApiError}; a 401 tells the session it has ended.
 */
import createClient from 'openapi-fetch';
import type { Middleware } from 'openapi-fetch';
import type { paths } from './types.js';

/** An error answer of the API (`{ error: { code, message } }`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when no answer came. */
    readonly status: number,
    /** The API's error code (`forbidden`, `csrf`, `run-not-found`…), or `network`. */
    readonly code: string,
    message: string,
    /** The error's `details` (`invalid-params`: the problems; `param-needed`: `{candidates}`). */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;
let onUnauthenticated: (() => void) | undefined;

/** Sets the CSRF token sent with state-changing requests (from the session; undefined after logout). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Registers what to do when the API answers 401 (the session expired or was revoked). */
export function onSessionLost(fn: (() => void) | undefined): void {
  onUnauthenticated = fn;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Headers every request of the dashboard carries, by method. */
export function requestHeaders(method: string): Record<string, string> {
  return UNSAFE.has(method.toUpperCase()) && csrfToken !== undefined ? { 'X-CSRF-Token': csrfToken } : {};
}

const session: Middleware = {
  onRequest({ request }) {
    for (const [k, v] of Object.entries(requestHeaders(request.method))) request.headers.set(k, v);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith('/session')) onUnauthenticated?.();
    return response;
  },
};

/** The typed client; paths are the document's (`/api/v1/...`). */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(session);

/** Reads an error body into an {@link ApiError}. */
export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = typeof e?.code === 'string' ? e.code : `http-${status}`;
  const message = typeof e?.message === 'string' ? e.message : `the server answered ${status}`;
  return new ApiError(status, code, message, e?.details);
}

/**
 * The data of an openapi-fetch answer, or throws its error as an {@link ApiError}.
 * @throws ApiError
 */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (r.error !== undefined || !r.response.ok) throw toApiError(r.response.status, r.error);
  return r.data as T;
}

/**
 * A raw request to the API (for text answers: logs, and routes the document does not type yet).
 * @throws ApiError on a non-2xx answer or a network failure
 */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const method = init.method ?? 'GET';
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(requestHeaders(method))) headers.set(k, v);
  let res: Response;
  try {
    res = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) {
    if (res.status === 401 && !path.endsWith('/session')) onUnauthenticated?.();
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw toApiError(res.status, body);
  }
  return res;
}
