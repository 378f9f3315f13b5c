/**
 * @module executors/secrets
 * Reading the values of a workflow's declared secrets, in the process that executes a step
 * (an embedded engine, a server, each fleet worker from its own environment and files).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { systemErrorCode } from '../shared/index.js';
import type { SecretSpec } from '../workflow/index.js';

/** Why a secret could not be read. */
export type SecretProblem = 'env-unset' | 'file-unreadable' | 'empty';

/** A secret that could not be read; the message names it and its source, never a value. */
export interface MissingSecret {
  name: string;
  problem: SecretProblem;
  message: string;
}

/** The outcome of {@link resolveSecrets}: every value by name, or every secret that is missing. */
export type SecretResolution =
  | { ok: true; values: Record<string, string> }
  | { ok: false; missing: MissingSecret[] };

/**
 * Reads the values of declared secrets in the calling process: `env` sources from `env`
 * (default `process.env`), `file` sources relative to `baseDir`, trailing newlines (`\n`,
 * `\r\n`) trimmed. An unset or empty variable, an unreadable file and an empty file count as
 * missing. Never throws: problems are returned, all of them.
 * @param baseDir - folder `file` sources resolve against (the workflow file's folder).
 */
export function resolveSecrets(
  secrets: readonly SecretSpec[],
  baseDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecretResolution {
  const values: Record<string, string> = {};
  const missing: MissingSecret[] = [];
  for (const s of secrets) {
    if ('file' in s) {
      const path = isAbsolute(s.file) ? s.file : resolve(baseDir, s.file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
      } catch (e) {
        const code = systemErrorCode(e) ?? 'error';
        missing.push({ name: s.name, problem: 'file-unreadable', message: `secret "${s.name}" could not be read from file ${path} (${code}) on host ${hostname()}` });
        continue;
      }
      if (text === '') missing.push({ name: s.name, problem: 'empty', message: `secret "${s.name}" is empty: file ${path} on host ${hostname()} holds no value` });
      else values[s.name] = text;
    } else {
      const text = env[s.env];
      if (text === undefined || text === '') {
        const problem: SecretProblem = text === undefined ? 'env-unset' : 'empty';
        missing.push({
          name: s.name,
          problem,
          message: `secret "${s.name}" is ${text === undefined ? 'not set' : 'empty'}: set the environment variable ${s.env} in the process that runs the step (host ${hostname()})`,
        });
      } else {
        values[s.name] = text;
      }
    }
  }
  return missing.length ? { ok: false, missing } : { ok: true, values };
}
