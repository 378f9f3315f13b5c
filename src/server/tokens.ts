/**
 * @module server/tokens
 * API tokens: `baton_<id>_<secret>`. The id finds the row; only a SHA-256 of the secret is
 * stored, compared in constant time. A slow password hash is not needed: the secret is
 * 192 random bits, so the hash cannot be reversed by guessing (the reasoning GitHub gives
 * for its token format).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, Store, TokenRecord } from '../store/index.js';
import { ROLES, TOKEN_TOUCH_MS } from '../store/index.js';

/** A token as created: `token` is shown once and never stored. */
export interface CreatedToken {
  /** The secret, `baton_<id>_<32 chars>`: shown once, only its hash is stored. */
  token: string;
  /** The stored row (id, name, role, hash). */
  record: TokenRecord;
}

const TOKEN_RE = /^baton_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Creates and stores a token. */
export async function createToken(store: Store, role: Role, name: string, now: number): Promise<CreatedToken> {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const record: TokenRecord = { id, name, role, hash: sha256(secret), createdAt: now };
  await store.api.createToken(record);
  return { token: `baton_${id}_${secret}`, record };
}

/**
 * The live token a bearer string names, or undefined (malformed, unknown, revoked or wrong
 * secret: the caller answers 401 alike, so a client learns nothing from the difference).
 */
export async function verifyToken(store: Store, bearer: string, now: number): Promise<TokenRecord | undefined> {
  const m = TOKEN_RE.exec(bearer);
  if (!m) return undefined;
  const t = await store.api.getToken(m[1]!);
  if (!t || t.revokedAt !== undefined) return undefined;
  const want = Buffer.from(t.hash, 'hex');
  const got = Buffer.from(sha256(m[2]!), 'hex');
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  // Most requests skip the write: a token's last use is kept to the minute.
  if (t.lastUsedAt === undefined || now - t.lastUsedAt >= TOKEN_TOUCH_MS) await store.api.touchToken(t.id, now);
  return t;
}

/** Whether `role` may do what `needed` may. */
export function allows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
