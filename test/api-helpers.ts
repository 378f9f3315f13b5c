/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument -- API responses are JSON read loosely; the tests check their shape */
/**
 * A started `serve()` (engine + trigger loop + HTTP API on a free loopback port) with one
 * token per role, and small clients for JSON routes and Server-Sent Events.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, Store } from '../src/index.js';
import type { FleetStore, Role } from '../src/store/index.js';
import { openSqliteStore } from '../src/index.js';
import { createToken } from '../src/server/index.js';
import type { UploadLimits } from '../src/server/index.js';
import type { RunningServer, ServeRetentionOptions } from '../src/modes/index.js';
import { processOnStore, serve } from '../src/modes/index.js';
import type { AlertClock, Channel } from '../src/observe/index.js';
import type { BackpressureLimits, BatonConfig } from '../src/workflow/index.js';
import { tempDir } from './helpers.js';

/** A running server and what tests need to talk to it. */
export interface TestApi {
  url: string;
  dir: string;
  store: Store;
  server: RunningServer;
  tokens: Record<Role, string>;
  /** `fetch` on the API with a role's token (or none) and a JSON body. */
  call(method: string, path: string, o?: { role?: Role | 'none'; token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Buffer }): Promise<{ status: number; body: any; headers: Headers; text: string }>;
  close(): Promise<void>;
}

/** Starts a server on a fresh SQLite store (or the `store` given) in a temp dir; without retention unless `retention` says how. */
export async function startApi(o: { store?: Store; fleet?: FleetStore; env?: Record<string, string>; bodyLimitBytes?: number; webhookRatePerMinute?: number; workflowsDir?: string; retention?: ServeRetentionOptions; clock?: Clock; webDir?: string; uploads?: Partial<UploadLimits>; config?: BatonConfig; channels?: Map<string, Channel>; slots?: number; backpressure?: BackpressureLimits; intakeCacheMs?: number; alertClock?: AlertClock } = {}): Promise<TestApi> {
  const dir = tempDir('baton-api-');
  const store = o.store ?? openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  const proc = processOnStore({ mode: 'server', store, dataDir: dir, ...(o.fleet ? { fleet: o.fleet } : {}), ...(o.clock ? { clock: o.clock } : {}), ...(o.slots ? { slots: o.slots } : {}) });
  const server = await serve(proc, {
    report: () => undefined, api: { host: '127.0.0.1', port: 0 }, pollMs: 200, feedPollMs: 100,
    // Fixtures are dated in 2023 and the clock is real: a pass a minute in would prune them.
    retention: o.retention ?? false,
    ...(o.env ? { env: o.env } : {}),
    ...(o.bodyLimitBytes ? { bodyLimitBytes: o.bodyLimitBytes } : {}),
    ...(o.webhookRatePerMinute ? { webhookRatePerMinute: o.webhookRatePerMinute } : {}),
    ...(o.workflowsDir ? { workflowsDir: o.workflowsDir } : {}),
    ...(o.webDir ? { webDir: o.webDir } : {}),
    ...(o.uploads ? { uploads: o.uploads } : {}),
    ...(o.config ? { config: o.config } : {}),
    ...(o.channels ? { channels: o.channels } : {}),
    ...(o.backpressure ? { backpressure: o.backpressure } : {}),
    ...(o.intakeCacheMs !== undefined ? { intakeCacheMs: o.intakeCacheMs } : {}),
    ...(o.alertClock ? { alertClock: o.alertClock } : {}),
  });
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await createToken(store, role, `test-${role}`, Date.now())).token;
  const url = server.address!;
  return {
    url, dir, store, server, tokens,
    async call(method, path, c = {}) {
      const headers: Record<string, string> = { ...c.headers };
      const token = c.token ?? (c.role === 'none' ? undefined : tokens[c.role ?? 'admin']);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      let body: string | Buffer | undefined = c.raw;
      if (c.body !== undefined) {
        body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, headers: res.headers, text };
    },
    async close() {
      await server.close();
      if (!o.store) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One Server-Sent Event as received. */
export interface SseMessage {
  id?: string;
  data: any;
}

/** An open SSE stream: messages collected as they arrive. */
export interface SseStream {
  messages: SseMessage[];
  /** Drops the connection (as a network failure would). */
  close(): void;
  status: number;
}

/** Opens an SSE stream and parses messages into `messages` until closed. */
export async function openSse(url: string, token: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const stream: SseStream = { messages: [], close: () => abort.abort(), status: res.status };
  if (!res.body) return stream;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const msg: { id?: string; data?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) msg.id = line.slice(4);
            else if (line.startsWith('data: ')) msg.data = (msg.data ?? '') + line.slice(6);
          }
          if (msg.data !== undefined) stream.messages.push({ ...(msg.id !== undefined ? { id: msg.id } : {}), data: JSON.parse(msg.data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return stream;
}
