/**
 * @module server/routes/session
 * The dashboard's log-in: a token exchanged once for a session cookie (HttpOnly, so no
 * script reads it; SameSite=Strict, so no other site's page sends it; Secure over TLS), the
 * session read back with its CSRF token, and log-out.
 */
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRecord, TokenRecord } from '../../store/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { ErrorSchema, SessionBody, SessionSchema } from '../schemas.js';
import { verifyToken } from '../tokens.js';
import { findSession, openSession, SESSION_COOKIE, SESSION_TTL_MS } from '../sessions.js';

/** Log-in attempts allowed per client address per minute: tokens cannot be guessed, but a loop should not fill the sessions table. */
const LOGINS_PER_MINUTE = 30;

/**
 * Whether the request came over TLS, directly or through a proxy that says so. The header
 * is the client's to set, but it can only make the cookie stricter, never weaker.
 */
function overTls(req: FastifyRequest): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

function view(session: SessionRecord, token: TokenRecord, reply: FastifyReply): z.infer<typeof SessionSchema> {
  return { role: token.role, name: token.name, expiresAt: session.expiresAt, csrfToken: reply.generateCsrf() };
}

/** Registers `/session` on the `/api/v1` scope. */
export function registerSessionRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;

  app.post('/session', {
    config: { rateLimit: { max: LOGINS_PER_MINUTE, timeWindow: 60_000 } },
    schema: {
      tags: ['session'],
      operationId: 'createSession',
      summary: 'Log in: exchange an API token for a session cookie',
      description: `Sets the \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over TLS) for 12 hours. Every route then accepts the cookie in place of the bearer token, with the token's role; a POST, PUT, PATCH or DELETE made with it must send the answer's \`csrfToken\` as \`X-CSRF-Token\` (else 403 \`csrf\`). Logging in again replaces the session the cookie held.`,
      security: [],
      body: SessionBody,
      response: { 201: SessionSchema, 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema },
    },
  }, async (req, reply) => {
    const now = ctx.clock();
    const token = await verifyToken(store, req.body.token.trim(), now);
    if (!token) throw new ApiError(401, 'unauthenticated', 'the token is unknown, malformed or revoked');
    // A new session id at every log-in: a cookie planted before it (session fixation) opens nothing after.
    const previous = req.cookies[SESSION_COOKIE];
    if (previous !== undefined) {
      const live = await findSession(store, previous, now);
      if (live) await store.api.revokeSession(live.session.id, now);
    }
    // Ended sessions go when the next one opens: log-ins are rare, the table stays small.
    await store.api.deleteSessions(now - SESSION_TTL_MS);
    const { cookie, record } = await openSession(store, token, now);
    void reply.setCookie(SESSION_COOKIE, cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure: overTls(req), expires: new Date(record.expiresAt) });
    req.session = record;
    return reply.status(201).send(view(record, token, reply));
  });

  app.get('/session', {
    config: { role: 'viewer' },
    schema: {
      tags: ['session'],
      operationId: 'getSession',
      summary: "The session the cookie holds, with a CSRF token",
      description: 'What the dashboard asks when it opens: 401 means log in. A bearer token has no session: 404 `no-session`.',
      response: { 200: SessionSchema, 401: ErrorSchema, 404: ErrorSchema },
    },
  }, async (req, reply) => {
    if (!req.session || !req.token) throw new ApiError(404, 'no-session', 'the request carries a bearer token, not a session cookie');
    return view(req.session, req.token, reply);
  });

  app.delete('/session', {
    config: { role: 'viewer' },
    schema: {
      tags: ['session'],
      operationId: 'deleteSession',
      summary: 'Log out: end the session and clear its cookie',
      response: { 204: z.null().describe('ended'), 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
    },
  }, async (req, reply) => {
    if (!req.session) throw new ApiError(404, 'no-session', 'the request carries a bearer token, not a session cookie');
    await store.api.revokeSession(req.session.id, ctx.clock());
    void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: overTls(req) });
    return reply.status(204).send(null);
  });
}
