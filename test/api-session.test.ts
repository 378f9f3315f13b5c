/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- API responses are JSON read loosely; the tests check their shape */
/**
 * The dashboard's session: a token exchanged for a cookie, the cookie accepted in place of
 * the token with its role, CSRF on cookie-made changes, expiry and revocation, the security
 * headers, and the built dashboard served with its page fallback.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './api-helpers.js';
import { tempDir } from './helpers.js';

/** The `name=value` of a Set-Cookie header, and its attributes. */
function parseCookie(header: string | null): { pair: string; attrs: string[] } {
  expect(header).toBeTruthy();
  const [pair, ...attrs] = header!.split(';').map((s) => s.trim());
  return { pair: pair!, attrs: attrs.map((a) => a.toLowerCase()) };
}

describe('dashboard sessions', () => {
  let api: TestApi;
  let web: string;

  beforeAll(async () => {
    web = tempDir('baton-web-');
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>baton</title><script type="module" src="/assets/app-1a2b.js"></script>');
    writeFileSync(join(web, 'assets', 'app-1a2b.js'), 'console.log(1)');
    writeFileSync(join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    api = await startApi({ webDir: web });
  });
  afterAll(async () => api.close());

  async function login(role: 'viewer' | 'operator' | 'admin', headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; attrs: string[]; body: Record<string, unknown> }> {
    const res = await fetch(`${api.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token: api.tokens[role] }) });
    expect(res.status).toBe(201);
    const body = await res.json() as Record<string, unknown>;
    const { pair, attrs } = parseCookie(res.headers.get('set-cookie'));
    return { cookie: pair, csrf: body.csrfToken as string, attrs, body };
  }

  it('exchanges a token for an HttpOnly, SameSite=Strict cookie that stands for the token with its role', async () => {
    const s = await login('viewer');
    expect(s.cookie).toMatch(/^baton_session=bs_[A-Za-z0-9_-]{43}$/);
    expect(s.attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(s.attrs.some((a) => a.startsWith('expires='))).toBe(true);
    expect(s.attrs).not.toContain('secure'); // plain HTTP on loopback: a Secure cookie would never come back
    expect(s.body).toMatchObject({ role: 'viewer', name: 'test-viewer' });
    expect(s.body.expiresAt).toBeGreaterThan(Date.now() + 11 * 3600_000);

    const runs = await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: s.cookie } });
    expect(runs.status).toBe(200);
    const me = await api.call('GET', '/api/v1/session', { role: 'none', headers: { cookie: s.cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'viewer', expiresAt: s.body.expiresAt });
    // The viewer's cookie may not do what a viewer's token may not.
    const create = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body: { role: 'viewer', name: 'x' } });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
  });

  it('sets Secure when the request came over TLS through a proxy', async () => {
    const s = await login('viewer', { 'x-forwarded-proto': 'https' });
    expect(s.attrs).toContain('secure');
  });

  it('refuses a bad token, a bad cookie, and a bearer-only session read', async () => {
    const bad = await api.call('POST', '/api/v1/session', { role: 'none', body: { token: 'baton_000000000000_' + 'x'.repeat(32) } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('unauthenticated');
    const forged = await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: `baton_session=bs_${'A'.repeat(43)}` } });
    expect(forged.status).toBe(401);
    expect(forged.body.error.message).toMatch(/log in again/);
    const bearer = await api.call('GET', '/api/v1/session', { role: 'viewer' });
    expect(bearer.status).toBe(404);
    expect(bearer.body.error.code).toBe('no-session');
  });

  it('needs the CSRF token for a change made with the cookie, and no CSRF token with a bearer token', async () => {
    const s = await login('admin');
    const body = { role: 'viewer', name: 'made-by-cookie' };
    const none = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie }, body });
    expect(none.status).toBe(403);
    expect(none.body.error.code).toBe('csrf');
    const wrong = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': 'abc-def' }, body });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('csrf');
    // Another session's CSRF token does not open this one.
    const other = await login('admin');
    const crossed = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': other.csrf }, body });
    expect(crossed.status).toBe(403);
    const ok = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf }, body });
    expect(ok.status).toBe(201);
    // GET /session hands out a fresh token of the same session: it works too.
    const me = await api.call('GET', '/api/v1/session', { role: 'none', headers: { cookie: s.cookie } });
    const again = await api.call('POST', '/api/v1/tokens', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': me.body.csrfToken }, body: { role: 'viewer', name: 'again' } });
    expect(again.status).toBe(201);
    const bearer = await api.call('POST', '/api/v1/tokens', { role: 'admin', body: { role: 'viewer', name: 'by-bearer' } });
    expect(bearer.status).toBe(201);
  });

  it('ends on log-out, when its token is revoked, and at expiry', async () => {
    const s = await login('operator');
    const out = await api.call('DELETE', '/api/v1/session', { role: 'none', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(out.status).toBe(204);
    expect(parseCookie(out.headers.get('set-cookie')).pair).toBe('baton_session=');
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: s.cookie } })).status).toBe(401);

    const tokenRes = await api.call('POST', '/api/v1/tokens', { role: 'admin', body: { role: 'viewer', name: 'short-lived' } });
    const { token, record: { id } } = tokenRes.body as { token: string; record: { id: string } };
    const res = await fetch(`${api.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const cookie = parseCookie(res.headers.get('set-cookie')).pair;
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie } })).status).toBe(200);
    expect((await api.call('DELETE', `/api/v1/tokens/${id}`, { role: 'admin' })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie } })).status).toBe(401);

    // Expiry is the stored one: move it into the past as time passing would.
    const later = await login('viewer');
    const all = await api.store.api.listTokens();
    expect(all.length).toBeGreaterThan(0);
    const hash = (await import('node:crypto')).createHash('sha256').update(later.cookie.slice('baton_session=bs_'.length)).digest('hex');
    const rec = await api.store.api.getSession(hash);
    expect(rec?.expiresAt).toBe(later.body.expiresAt);
    await api.store.api.revokeSession(hash, Date.now());
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: later.cookie } })).status).toBe(401);
    expect(await api.store.api.deleteSessions(Date.now() + 1)).toBeGreaterThanOrEqual(1);
  });

  it('replaces the session a cookie held when the browser logs in again', async () => {
    const first = await login('viewer');
    const second = await login('viewer', { cookie: first.cookie });
    expect(second.cookie).not.toBe(first.cookie);
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: first.cookie } })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/runs', { role: 'none', headers: { cookie: second.cookie } })).status).toBe(200);
  });

  it('serves the dashboard with a strict policy: hashed assets cached, pages answered with index.html, the API not', async () => {
    const page = await fetch(`${api.url}/runs/abc?state=failed`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/app-1a2b.js');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');

    const root = await fetch(`${api.url}/`);
    expect(root.status).toBe(200);
    const asset = await fetch(`${api.url}/assets/app-1a2b.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${api.url}/favicon.svg`)).status).toBe(200);
    expect((await fetch(`${api.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${api.url}/assets/../index.html`)).status).not.toBe(500);

    const apiMiss = await fetch(`${api.url}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(apiMiss.status).toBe(404);
    expect(((await apiMiss.json()) as { error: { code: string } }).error.code).toBe('not-found');
    const json = await fetch(`${api.url}/runs/abc`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    // The API's answers carry the headers too; the documentation page keeps its own policy.
    expect((await fetch(`${api.url}/healthz`)).headers.get('x-content-type-options')).toBe('nosniff');
    const docs = await fetch(`${api.url}/api/v1/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-security-policy')).toContain("script-src-attr 'none'");
    expect(docs.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });
});

describe('a server without the dashboard built', () => {
  it('answers pages with 503 and how to build it, and the API as before', async () => {
    const api = await startApi({ webDir: tempDir('baton-noweb-') });
    try {
      const page = await fetch(`${api.url}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(503);
      expect(await page.text()).toMatch(/npm run build/);
      expect((await api.call('GET', '/api/v1/runs', { role: 'viewer' })).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
