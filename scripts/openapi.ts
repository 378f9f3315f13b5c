/**
 * Writes the HTTP API's OpenAPI document, built from an in-process app on an in-memory
 * store (no port, no data folder): to the file given as the first argument, or to stdout.
 * With `--lint` instead, writes it to a temporary file and lints it with Redocly's
 * recommended rules (`npm run lint:openapi`), exiting with Redocly's status: generated
 * clients (openapi-typescript, openapi-fetch) rely on what those rules check.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/index.js';
import { buildApi } from '../src/server/index.js';

/** The document as JSON text. */
async function openapiText(): Promise<string> {
  const store = openSqliteStore(':memory:');
  await store.migrate();
  const app = await buildApi({ store, dataDir: tmpdir() });
  try {
    await app.ready();
    return JSON.stringify(app.swagger(), null, 2) + '\n';
  } finally {
    await app.close();
    await store.close();
  }
}

const arg = process.argv[2];
const text = await openapiText();
if (arg === '--lint') {
  const dir = mkdtempSync(join(tmpdir(), 'baton-openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, text);
  const bin = join(import.meta.dirname, '..', 'node_modules', '.bin', 'redocly');
  const r = spawnSync(bin, ['lint', '--max-problems', '100', file], {
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = r.status ?? 1;
} else if (arg) writeFileSync(arg, text);
else process.stdout.write(text);
