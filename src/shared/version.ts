/**
 * @module shared/version
 * baton's own version, read once from its package.json (the same relative path from src/
 * under vitest and from dist/), for `--version`, worker registrations and the API document.
 */
import { readFileSync } from 'node:fs';

/** The `version` of baton's package.json. */
export const BATON_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
