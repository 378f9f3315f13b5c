/**
 * @module server/sessions
 * Dashboard sessions: a browser exchanges an API token once for an HttpOnly cookie, so no
 * script of the page ever holds a credential. The cookie's value is 256 random bits; only
 * its SHA-256 is stored (the row's id), so a copy of the database opens no session. The
 * role is the token's, read at every use: revoking the token ends its sessions.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SessionRecord, Store, TokenRecord } from '../store/index.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'baton_session';

/**
 * How long a session lasts, ms: a working day plus the night batch, then log in again
 * (OWASP asks for an absolute timeout; 12 h is what Grafana and Argo CD default near).
 */
export const SESSION_TTL_MS = 12 * 3600_000;

/** The header a cookie-authenticated state change carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const COOKIE_RE = /^bs_([A-Za-z0-9_-]{43})$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A session as opened: `cookie` is the value to set, never stored. */
export interface OpenedSession {
  /** `bs_<43 chars>`: the cookie's value. */
  cookie: string;
  record: SessionRecord;
}

/** Opens and stores a session for `token`, lasting `ttlMs` from `now` (ms since the epoch). */
export async function openSession(store: Store, token: TokenRecord, now: number, ttlMs = SESSION_TTL_MS): Promise<OpenedSession> {
  const secret = randomBytes(32).toString('base64url');
  const record: SessionRecord = {
    id: sha256(secret),
    tokenId: token.id,
    csrfSecret: randomBytes(18).toString('base64url'),
    createdAt: now,
    expiresAt: now + ttlMs,
  };
  await store.api.createSession(record);
  return { cookie: `bs_${secret}`, record };
}

/** A live session with the token it speaks for. */
export interface LiveSession {
  session: SessionRecord;
  token: TokenRecord;
}

/**
 * The live session a cookie value names, or undefined (malformed, unknown, expired,
 * revoked, or its token revoked: the caller answers 401 alike).
 */
export async function findSession(store: Store, cookie: string, now: number): Promise<LiveSession | undefined> {
  const m = COOKIE_RE.exec(cookie);
  if (!m) return undefined;
  const session = await store.api.getSession(sha256(m[1]!));
  if (!session || session.revokedAt !== undefined || session.expiresAt <= now) return undefined;
  const token = await store.api.getToken(session.tokenId);
  if (!token || token.revokedAt !== undefined) return undefined;
  return { session, token };
}
