/**
 * A server that cannot start (its port taken) stops what it had started and says why; the
 * one already listening is not disturbed.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import { processOnStore, serve } from '../src/modes/index.js';
import type { RunningServer } from '../src/modes/index.js';
import { tempDir } from './helpers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

describe('serve', () => {
  it('refuses a taken port after stopping its run loop, and leaves the running server serving', async () => {
    const dir = tempDir('baton-modes-server-');
    const store = openSqliteStore(join(dir, 'baton.db'));
    await store.migrate();
    open.push(store);
    const first: RunningServer = await serve(processOnStore({ mode: 'server', store, dataDir: dir }), { report: () => undefined, api: { host: '127.0.0.1', port: 0 } });
    open.push(first);
    const port = Number(new URL(first.address!).port);
    const reports: string[] = [];
    const second = serve(processOnStore({ mode: 'server', store, dataDir: dir }), { report: (r) => reports.push(r.kind), api: { host: '127.0.0.1', port } });
    await expect(second).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await fetch(`${first.address!}/healthz`)).status).toBe(200);
  });
});
