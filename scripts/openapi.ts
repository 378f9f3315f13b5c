/**
 * Writes the HTTP API's OpenAPI document (built in-process, see `openapi-document.ts`):
 * - `tsx scripts/openapi.ts FILE` writes it to FILE (stdout without one);
 * - `--lint` writes it to a temporary file and lints it with Redocly (`redocly.yaml`:
 *   recommended rules, warnings as errors), exiting with Redocly's status
 *   (`npm run lint:openapi`);
 * - `--types` regenerates the checked-in client types `test/generated/api.d.ts`
 *   (`npm run gen:api-types`), which `test/api-client.test.ts` compares with the document.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TYPES_FILE, openapiDocument, openapiTypes } from './openapi-document.js';

const arg = process.argv[2];
const doc = await openapiDocument();
const text = JSON.stringify(doc, null, 2) + '\n';
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
} else if (arg === '--types') {
  const file = fileURLToPath(TYPES_FILE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await openapiTypes(doc));
} else if (arg) writeFileSync(arg, text);
else process.stdout.write(text);
