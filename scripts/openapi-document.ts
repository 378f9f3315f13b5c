/**
 * The HTTP API's OpenAPI document, built from an in-process app on an in-memory store (no
 * port, no data folder), and the TypeScript types openapi-typescript generates from it:
 * what `scripts/openapi.ts` writes and `test/api-client.test.ts` checks.
 */
import { tmpdir } from 'node:os';
import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { openSqliteStore } from '../src/store/index.js';
import { buildApi } from '../src/server/index.js';

/** Where the generated client types are checked in. */
export const TYPES_FILE = new URL('../test/generated/api.d.ts', import.meta.url);

/** The document, as `GET /api/v1/openapi.json` serves it. */
export async function openapiDocument(): Promise<OpenAPI3> {
  const store = openSqliteStore(':memory:');
  await store.migrate();
  const app = await buildApi({ store, dataDir: tmpdir() });
  try {
    await app.ready();
    return app.swagger() as OpenAPI3;
  } finally {
    await app.close();
    await store.close();
  }
}

/** The client types of a document, as openapi-typescript writes them, with a header saying how to regenerate. */
export async function openapiTypes(doc: OpenAPI3): Promise<string> {
  const header = '// Generated from the API\'s OpenAPI document by openapi-typescript: `npm run gen:api-types`. Do not edit.\n';
  return header + astToString(await openapiTS(doc));
}
