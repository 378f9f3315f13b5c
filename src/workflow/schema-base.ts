/**
 * @module workflow/schema-base
 * Pieces of the authored shapes that workflows and `baton.config.yaml` share: name
 * patterns, bounded strings, durations, secrets. A separate module so the workflow schema
 * can use the config's alert rules without an import cycle.
 */
import { z } from 'zod';
import { checkDuration } from './duration.js';
import { MAX_ID_LENGTH } from './limits.js';

/** Workflow names: used in file names, URLs and metrics labels. */
export const WORKFLOW_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Step ids: lowercase so they are safe as env var suffixes, file names and mermaid labels. */
export const STEP_ID_PATTERN = /^[a-z0-9_-]+$/;
/** Signal names (`wait: { signal }`): a segment of `/runs/{id}/signals/{name}`, so URL-safe as written. */
export const SIGNAL_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Param names: identifiers, so `params.<name>` is always a valid expression. */
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Env var names, as POSIX shells accept them. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `uses` refs: a relative or absolute module path, optionally `#export`. */
export const HANDLER_REF_PATTERN = /^(\.{1,2}\/|\/)[^#]+(#[A-Za-z_$][\w$]*)?$/;

/** IANA time zone names: `Area/Location[/Sub]` segments, or a bare name such as `UTC`; checked before the date library sees them. */
export const TIMEZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}$/;

/** A string of at most `max` characters, refused with a message naming the maximum. */
export const bounded = (what: string, max: number) => z.string().max(max, { error: `${what} is too long: at most ${max} characters` });

/** A duration: text such as "30s" or a bare number of seconds; > 0 (or >= 0 with `allowZero`) and at most 365 days. */
export const durationOf = (allowZero: boolean) => z
  .union([z.string(), z.number()], { error: 'expected a duration such as "30s", "5m", "1h30m" or a number of seconds' })
  .superRefine((value, ctx) => {
    const problem = checkDuration(value, allowZero);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem.message, params: { code: problem.code } });
  });
/** A name that becomes part of file names, env vars or metric labels: at most {@link MAX_ID_LENGTH} characters. */
export const idOf = (what: string, pattern?: RegExp, patternError?: string) => {
  const base = z.string({ error: `${what} must be a string` }).max(MAX_ID_LENGTH, { error: `${what} is too long: at most ${MAX_ID_LENGTH} characters` });
  return pattern === undefined ? base : base.regex(pattern, { error: patternError ?? `invalid ${what}` });
};

const secretNameError = 'secret names are env var names: letters, digits and _, not starting with a digit';

/**
 * One `secrets` entry as written: a name (read from the env var of that name), or an object
 * with `env` or `file` (one of them; checked in validation).
 */
export const SecretSchema = z.union([
  idOf('secret name', ENV_NAME_PATTERN, secretNameError),
  z.strictObject({
    name: idOf('secret name', ENV_NAME_PATTERN, secretNameError),
    env: z.string({ error: 'env must be an env var name' }).regex(ENV_NAME_PATTERN, { error: 'env must be an env var name: letters, digits and _, not starting with a digit' }).optional(),
    file: z.string({ error: 'file must be a path' }).min(1, { error: 'file must not be empty' }).optional(),
  }),
], { error: 'a secret is a name, or { name, env: VAR } or { name, file: path }' });

