/**
 * @module web/pages/login
 * Sign-in: an API token (`baton token create --role viewer|operator|admin`) is exchanged for
 * a session cookie; the page never stores the token.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useSession } from '../../api/session.js';
import { ApiError } from '../../api/client.js';

/** The sign-in form. */
export function LoginPage(): ReactNode {
  const { login } = useSession();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" className="login">
      <div className="panel">
        <h1>Sign in to baton</h1>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            setError(undefined);
            login(token.trim()).then(
              () => setToken(''),
              (err: unknown) => setError(err instanceof ApiError && err.status === 401 ? 'That token is unknown, malformed or revoked.' : err instanceof Error ? err.message : String(err)),
            ).finally(() => setBusy(false));
          }}
        >
          <label htmlFor="token">API token</label>
          <input id="token" name="token" type="password" autoComplete="off" spellCheck={false} required value={token} onChange={(e) => setToken(e.target.value)} placeholder="baton_…" />
          <p className="muted">Create one with <code>baton token create --role viewer</code> (or operator, admin).</p>
          {error && <p className="error" role="alert">{error}</p>}
          <button type="submit" className="primary" disabled={busy || token.trim() === ''}>Sign in</button>
        </form>
      </div>
    </main>
  );
}
