/**
 * @module web/api/session
 * The browser's session: a token is exchanged once for an HttpOnly cookie
 * (`POST /api/v1/session`) and forgotten; the page keeps only the role, the name and the
 * CSRF token the server returned. Logout deletes the session on the server.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError, onSessionLost, request, setCsrfToken } from './client.js';
import type { Session } from './types.js';

/** What {@link useSession} gives. */
export interface SessionState {
  /** `undefined` while the first check runs; `null` when signed out. */
  session: Session | null | undefined;
  /** Exchanges an API token for a session. @throws ApiError (401 for a bad token) */
  login: (token: string) => Promise<void>;
  /** Ends the session on the server and here. */
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

/** Reads a session answer, checking the fields the page relies on. */
function readSession(v: unknown): Session {
  const s = v as Partial<Session>;
  if ((s.role !== 'viewer' && s.role !== 'operator' && s.role !== 'admin') || typeof s.csrfToken !== 'string') {
    throw new ApiError(500, 'bad-session', 'the server sent a session without a role or CSRF token');
  }
  return { role: s.role, name: typeof s.name === 'string' ? s.name : '', expiresAt: typeof s.expiresAt === 'number' ? s.expiresAt : 0, csrfToken: s.csrfToken };
}

/** Provides the session to the app; checks for an existing one on mount. */
export function SessionProvider({ children }: { children: ReactNode }): ReactNode {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const queries = useQueryClient();

  const adopt = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrfToken);
    setSession(s);
    if (!s) queries.clear();
  }, [queries]);

  useEffect(() => {
    let live = true;
    request('/api/v1/session')
      .then(async (res) => live && adopt(readSession(await res.json())))
      .catch(() => live && adopt(null));
    onSessionLost(() => adopt(null));
    return () => {
      live = false;
      onSessionLost(undefined);
    };
  }, [adopt]);

  const login = useCallback(async (token: string) => {
    const res = await request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    adopt(readSession(await res.json()));
  }, [adopt]);

  const logout = useCallback(async () => {
    try {
      await request('/api/v1/session', { method: 'DELETE' });
    } finally {
      adopt(null);
    }
  }, [adopt]);

  const value = useMemo(() => ({ session, login, logout }), [session, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session and its actions. @throws Error outside a {@link SessionProvider} */
export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession needs a SessionProvider');
  return s;
}
