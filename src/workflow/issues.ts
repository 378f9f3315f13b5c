/**
 * @module workflow/issues
 * Internal problem records with structured paths, before they get a file position.
 * Keeping the path as segments (not text) lets `load.ts` walk the YAML document to the
 * exact node, and lets every error print its path in one style.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import type { SpecError, SpecErrorCode } from './errors.js';
import { KNOWN_KEYS } from './schema.js';
import { CONFIG_KNOWN_KEYS } from './config-schema.js';

/** One step of a field path: an object key or an array index. */
export type PathSegment = string | number;

/** A problem found before positions are known. */
export interface Issue {
  code: SpecErrorCode;
  message: string;
  path: PathSegment[];
  /** Point at the key rather than the value (unknown fields, bad map keys). */
  atKey?: boolean;
  suggestion?: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Renders segments as `steps[2].needs[0]`; non-identifier keys as `env["MY-VAR"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The closest candidate when it is near enough to be a plausible typo, else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const pool = candidates.filter((c) => c !== word);
  if (pool.length === 0 || word === '') return undefined;
  const best = closest(word, pool);
  // Short words are close to everything, so the allowance grows with length; swapped
  // letters ("bd" for "db") count as near at any length.
  const anagram = [...word].sort().join('') === [...best].sort().join('');
  return anagram || distance(word, best) <= Math.max(1, Math.round(word.length * 0.4)) ? best : undefined;
}

/** Reads the raw input at a path; undefined when any step is missing. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cursor = root;
  for (const segment of path) {
    if (cursor === null || typeof cursor !== 'object') return undefined;
    cursor = (cursor as Record<PathSegment, unknown>)[segment];
  }
  return cursor;
}

/** Converts issues to public errors, without positions. */
export function toSpecError(issue: Issue, file?: string): SpecError {
  const error: SpecError = { code: issue.code, message: issue.message, path: formatPath(issue.path) };
  if (file !== undefined) error.file = file;
  if (issue.suggestion !== undefined) error.suggestion = issue.suggestion;
  return error;
}

/** Keys of an alert rule at `path` below the rule (the rule itself at []). */
export function alertKnownKeysAt(path: readonly PathSegment[]): readonly string[] {
  if (path.length === 0) return CONFIG_KNOWN_KEYS.alert;
  if (path.length === 1 && path[0] === 'group') return CONFIG_KNOWN_KEYS.group;
  if (path.length === 1 && path[0] === 'escalate') return CONFIG_KNOWN_KEYS.escalate;
  if (path.length === 3 && path[0] === 'escalate' && path[1] === 'levels') return ['notify', 'after'];
  return [];
}

function knownKeysAt(path: readonly PathSegment[]): readonly string[] {
  const [first, second, third, fourth] = path;
  if (path.length === 0) return KNOWN_KEYS.workflow;
  if (first === 'retry' && path.length === 1) return KNOWN_KEYS.retry;
  if (first === 'params' && path.length === 2) return KNOWN_KEYS.param;
  if (first === 'secrets' && path.length === 2) return KNOWN_KEYS.secret;
  if (first === 'webhook' && path.length === 1) return KNOWN_KEYS.webhook;
  if (first === 'alerts' && typeof second === 'number') return alertKnownKeysAt(path.slice(2));
  if (first === 'notify' && path.length === 1) return ['on', 'channels'];
  if (first === 'retention' && path.length === 1) return KNOWN_KEYS.retention;
  if (first === 'breaker' && path.length === 1) return KNOWN_KEYS.breaker;
  if (first === 'schedule' && (path.length === 1 || (path.length === 2 && typeof second === 'number'))) return KNOWN_KEYS.schedule;
  if ((first === 'steps' || first === 'onFailure' || first === 'finally') && typeof second === 'number') {
    if (path.length === 2) return KNOWN_KEYS.step;
    if (third === 'retry' && fourth === undefined) return KNOWN_KEYS.retry;
    if (third === 'run' && fourth === undefined) return KNOWN_KEYS.run;
    if (third === 'batch' && fourth === undefined) return KNOWN_KEYS.batch;
    if (third === 'map' && fourth === undefined) return KNOWN_KEYS.map;
    if (third === 'http' && fourth === undefined) return KNOWN_KEYS.http;
    if (third === 'wait' && fourth === undefined) return KNOWN_KEYS.wait;
    if (third === 'approval' && fourth === undefined) return KNOWN_KEYS.approval;
    if (third === 'breaker' && fourth === undefined) return KNOWN_KEYS.breaker;
    if (third === 'http' && fourth === 'expect' && path.length === 4) return ['status'];
    if (third === 'batch' && (fourth === 'validate' || fourth === 'consolidate') && path.length === 5) return KNOWN_KEYS.batchAction;
    if (third === 'batch' && path.length === 6 && path[5] === 'run') return KNOWN_KEYS.run;
  }
  return [];
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

/** Common names for the `process.platform` keys a `run` map uses; too far apart for edit distance. */
const PLATFORM_ALIASES: Record<string, string> = { windows: 'win32', win: 'win32', macos: 'darwin', mac: 'darwin', osx: 'darwin' };

const DEFAULT_MESSAGE = /^Invalid input: expected (\w+), received (\w+)$/;

/** Maps one zod issue to our issues, using the raw input to tell "missing" from "wrong". */
export function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown, keysAt: (path: readonly PathSegment[]) => readonly string[] = knownKeysAt): Issue[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(path);
      return issue.keys.map((key) => {
        const found: Issue = { code: 'unknown-field', message: `unknown field "${key}"`, path: [...path, key], atKey: true };
        const suggestion = (known === KNOWN_KEYS.run ? PLATFORM_ALIASES[key] : undefined) ?? suggest(key, known);
        if (suggestion !== undefined) found.suggestion = suggestion;
        return found;
      });
    }
    case 'invalid_type': {
      const value = valueAt(raw, path);
      const field = path[path.length - 1];
      if (value === undefined) return [{ code: 'missing-field', message: `missing required field "${String(field)}"`, path }];
      const fallback = DEFAULT_MESSAGE.exec(issue.message);
      const message = fallback ? `expected ${fallback[1]}, got ${describeValue(value)}` : issue.message;
      return [{ code: 'invalid-type', message, path }];
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [{ code: 'invalid-value', message: `${inner}: "${String(path[path.length - 1])}"`, path, atKey: true }];
    }
    case 'custom': {
      const code = (issue.params as { code?: SpecErrorCode } | undefined)?.code ?? 'invalid-value';
      return [{ code, message: issue.message, path }];
    }
    case 'invalid_union': {
      // A value of the right outer shape (e.g. a list for `schedule`) failed inside one
      // branch: report that branch's own problems, which say what to fix, over "no branch matched".
      const inner = issue.errors.filter((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
      const best = inner.sort((a, b) => a.length - b.length)[0];
      if (best) return best.flatMap((i) => fromZodIssue({ ...i, path: [...issue.path, ...i.path] }, raw));
      return [{ code: valueAt(raw, path) === undefined ? 'missing-field' : 'invalid-value', message: issue.message, path }];
    }
    case 'too_small':
    case 'too_big':
      return [{ code: 'out-of-range', message: issue.message, path }];
    default:
      return [{ code: valueAt(raw, path) === undefined ? 'missing-field' : 'invalid-value', message: issue.message, path }];
  }
}
