/**
 * @module workflow/secrets
 * Workflow secrets: where each declared value comes from, reading the values when a step
 * executes, and the webhook's secret. A spec holds only names and sources, never values,
 * so a stored workflow, a fleet task or an event can never carry one.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { WorkflowSpec } from './model.js';

/**
 * One declared secret, compiled: its `name` (the env var a shell step sees, the key of
 * `ctx.secrets`) and exactly one source: `env`, a variable of the process that executes the
 * step, or `file`, a path relative to the workflow file's folder (or absolute).
 */
export type SecretSpec = { name: string; env: string } | { name: string; file: string };

/** The compiled `webhook:` of a workflow. */
export interface WebhookSpec {
  /** Name of one of the workflow's `secrets` whose value signs webhook requests. */
  secret: string;
  /** Largest accepted age of a signed request's timestamp, seconds. @default 300 */
  toleranceSec: number;
}

/** `webhook.toleranceSec` when not set: five minutes, as Stripe's signature check uses. */
export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;

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
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
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

/**
 * The name of the secret that signs webhook requests for this workflow, or undefined when it
 * declares no `webhook`. Validation guarantees the name is one of `spec.secrets`, so
 * `resolveSecrets(spec.secrets.filter((s) => s.name === name), spec.baseDir)` reads its value.
 * @example
 * const name = webhookSecretName(spec); // 'GITHUB_WEBHOOK_SECRET'
 */
export function webhookSecretName(spec: Pick<WorkflowSpec, 'webhook'>): string | undefined {
  return spec.webhook?.secret;
}
