/**
 * The dashboard's browser-test harness: a real `baton server` (the built CLI, `npm run build`
 * first) on SQLite in a temp dir with the workflows a test file gives, one token per role
 * made with `baton token create`, a TCP relay between the browser and the server that a test
 * can cut (to drop the live event stream), and headless Debian chromium through
 * playwright-core, with every Content-Security-Policy violation, page error and dialog
 * recorded, and axe-core for accessibility.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BATON, ROOT, waitFor } from '../helpers.js';

/** Roles of tokens the harness makes. */
export type Role = 'viewer' | 'operator' | 'admin';

/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');
/** Screenshots the README shows. */
export const DOC_SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** A TCP relay from a local port to the server, which a test can cut and restore. */
export interface Relay {
  url: string;
  /** Connections opened so far. */
  connections: number;
  /** `Last-Event-ID` values seen in requests passing through (proof that a stream resumed). */
  lastEventIds: string[];
  /** Destroys every open connection and refuses new ones until {@link Relay.restore}. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a relay to `port` on 127.0.0.1. */
export async function startRelay(port: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) return void client.destroy();
    relay.connections++;
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => {
      const m = /\r\nlast-event-id: *([^\r\n]*)/i.exec(d.toString('latin1'));
      if (m) relay.lastEventIds.push(m[1]!);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const relay: Relay = {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    connections: 0,
    lastEventIds: [],
    cut() {
      blocked = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      blocked = false;
    },
    close: () => new Promise<void>((resolve) => {
      relay.cut();
      server.close(() => resolve());
    }),
  };
  return relay;
}

/** A running `baton server` with its tokens. */
export interface BatonServer {
  /** The server's own address (`http://127.0.0.1:PORT`). */
  url: string;
  port: number;
  dir: string;
  /** Folder the workflows were written to. */
  workflowsDir: string;
  /** A folder for files steps wait on: `@GATES@` in workflow texts is replaced by its path. */
  gates: string;
  /** The SQLite file. */
  db: string;
  tokens: Record<Role, string>;
  /** A JSON request with a role's bearer token. */
  call(method: string, path: string, body?: unknown, role?: Role): Promise<{ status: number; body: unknown }>;
  /** Creates a run of `workflow` as admin; its id. */
  startRun(workflow: string, params?: Record<string, unknown>): Promise<string>;
  /** Reads a run as admin. */
  run(id: string): Promise<{ run: { state: string }; steps: { stepId: string; state: string }[] }>;
  close(): Promise<void>;
}

function baton(args: string[], cwd: string): string {
  const r = spawnSync(process.execPath, [BATON, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baton ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Starts `baton server` on a fresh SQLite store with `workflows` (file name → text; `@GATES@`
 * in a text becomes the gates folder's path).
 * @throws Error when the build is missing
 */
export async function startServer(workflows: Record<string, string>): Promise<BatonServer> {
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html')) || !existsSync(join(ROOT, 'dist', 'cli'))) {
    throw new Error('the dashboard tests need the build: run `npm run build` first');
  }
  const dir = mkdtempSync(join(tmpdir(), 'baton-web-'));
  const workflowsDir = join(dir, 'workflows');
  mkdirSync(workflowsDir);
  const gates = join(dir, 'gates');
  mkdirSync(gates);
  for (const [name, text] of Object.entries(workflows)) writeFileSync(join(workflowsDir, name), text.replaceAll('@GATES@', gates));
  const db = join(dir, 'data', 'baton.db');
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = baton(['--db', db, 'token', 'create', '--role', role, '--name', `web-${role}`], dir);
  const child: ChildProcess = spawn(process.execPath, [BATON, '--db', db, 'server', '--workflows', workflowsDir, '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitFor(() => /API listening on (http:\/\/[^/\s]+)\/api\/v1/.exec(out)?.[1], 20_000, `baton server to listen (output so far: ${out})`);
  const call = async (method: string, path: string, body?: unknown, role: Role = 'admin'): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(url + path, {
      method, headers: { authorization: `Bearer ${tokens[role]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) as unknown : undefined };
  };
  return {
    url, port: Number(new URL(url).port), dir, workflowsDir, gates, db, tokens, call,
    async startRun(workflow, params = {}) {
      const r = await call('POST', '/api/v1/runs', { workflow, params });
      if (r.status !== 201) throw new Error(`cannot start ${workflow}: ${r.status} ${JSON.stringify(r.body)}`);
      return (r.body as { run: { id: string } }).run.id;
    },
    async run(id) {
      return (await call('GET', `/api/v1/runs/${id}`)).body as { run: { state: string }; steps: { stepId: string; state: string }[] };
    },
    async close() {
      if (child.exitCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Launches headless Debian chromium (playwright gives each launch a fresh, temporary profile). */
export async function launchBrowser(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { browser, close: () => browser.close() };
}

/** What a watched page recorded. */
export interface PageWatch {
  page: Page;
  context: BrowserContext;
  /** CSP violations (from `securitypolicyviolation` and console reports). */
  csp: string[];
  /** Uncaught page errors. */
  errors: string[];
  /** Dialogs (alert, confirm, prompt) that opened; each is dismissed. */
  dialogs: string[];
}

/**
 * Closes the pages a test opened, failing it on any CSP violation, page error or dialog they
 * recorded (every browser test file runs this after each test).
 */
export async function closeWatched(pages: PageWatch[]): Promise<void> {
  for (const w of pages.splice(0)) {
    expect(w.csp, 'Content-Security-Policy violations').toEqual([]);
    expect(w.errors, 'page errors').toEqual([]);
    expect(w.dialogs, 'dialogs').toEqual([]);
    await w.context.close();
  }
}

/** A new context and page whose CSP violations, errors and dialogs are recorded. */
export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<PageWatch> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const w: PageWatch = { page, context, csp: [], errors: [], dialogs: [] };
  await page.exposeBinding('__reportCsp', (_s, text: string) => void w.csp.push(text));
  // Injected by the browser's debugging protocol, not by the page: the page's CSP does not apply to it.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => { window.__reportCsp(e.violatedDirective + ' blocked ' + e.blockedURI + ' (' + e.sourceFile + ':' + e.lineNumber + ')'); });",
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) w.csp.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return w;
}

/** Signs in on the login page with a token and waits for the app. */
export async function login(w: PageWatch, base: string, token: string): Promise<void> {
  await w.page.goto(base + '/');
  await w.page.getByLabel('API token').fill(token);
  await w.page.getByRole('button', { name: 'Sign in' }).click();
  await w.page.getByTestId('who').waitFor();
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is (axe evaluated through the debugging protocol, not a script tag, which CSP would refuse). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const g = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; impact?: string; help: string; nodes: { target: unknown[] }[] }[] }> } };
    const r = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')}`);
}

/**
 * Saves a screenshot under test-artifacts/ and, with `doc` and `BATON_UPDATE_SCREENSHOTS=1`,
 * copies it to docs/screenshots/ for the README (only then: a test run leaves the checkout clean).
 */
export async function screenshot(page: Page, name: string, doc = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (doc && process.env.BATON_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOC_SCREENSHOTS, { recursive: true });
    copyFileSync(file, join(DOC_SCREENSHOTS, `${name}.png`));
  }
}
