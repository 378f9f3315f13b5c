/**
 * @module workflow/limits
 * The bounds every workflow definition must fit, whoever wrote it. A definition can arrive
 * from an HTTP request body, so each check here is linear in the input and runs before
 * anything that recurses (zod, the semantic pass, the YAML composer): validation of any
 * input ends quickly with positioned errors instead of hanging the event loop or
 * overflowing the stack.
 */
import type { Issue, PathSegment } from './issues.js';

/** Largest workflow file or text accepted, in bytes (1 MiB): a 10,000-step workflow fits in a quarter of it. */
export const MAX_WORKFLOW_BYTES = 1024 * 1024;
/** Deepest nesting of maps and lists accepted, counting the document root as level 1. */
export const MAX_NESTING_DEPTH = 64;
/**
 * Longest step id, param, pool, secret, schedule or env var name, in characters. A step id
 * becomes part of log file names (`<step>.<attempt>.log`), and most file systems cap a name at 255 bytes.
 */
export const MAX_ID_LENGTH = 100;
/** Longest workflow name, in characters (it appears in file names, URLs and metric labels). */
export const MAX_NAME_LENGTH = 200;
/** Longest map key anywhere in a definition (e.g. a `with` input name), in characters. */
export const MAX_KEY_LENGTH = 256;
/** Longest string value anywhere (a `run` script, an env value, a description), in characters (64 Ki). */
export const MAX_STRING_LENGTH = 64 * 1024;
/** Longest `description`, in characters. */
export const MAX_DESCRIPTION_LENGTH = 10_000;
/** Longest cron expression, in characters. */
export const MAX_CRON_LENGTH = 256;
/** Longest time zone name, in characters (the longest IANA name, `America/Argentina/ComodRivadavia`, has 32). */
export const MAX_TIMEZONE_LENGTH = 64;
/** Longest single `${{ }}` expression, in characters, so parsing and checking it stays shallow. */
export const MAX_EXPRESSION_LENGTH = 1_000;
/** Deepest nesting of parentheses, brackets and unary operators inside one expression. */
export const MAX_EXPRESSION_DEPTH = 32;
/** Most `${{ }}` expressions in one field. */
export const MAX_EXPRESSIONS_PER_FIELD = 100;
/** Most entries in one list or map (steps, needs, env, `with`…). */
export const MAX_COLLECTION_ITEMS = 10_000;
/** Most problems reported for one definition; the rest are counted in a final "and N more". */
export const MAX_ISSUES = 1_000;

/** One-line reason and unit for each bound, so messages name the maximum. */
const describe = (what: string, max: number, unit: string): string => `${what} is too long: at most ${max.toLocaleString('en-US')} ${unit}`;

/**
 * Checks the raw (parsed) input against the size bounds without recursion: nesting depth,
 * string and key lengths, collection sizes. Returns issues only for the first offending
 * spots (at most {@link MAX_ISSUES}); when any is found the caller must not hand the input
 * to code that recurses over it.
 */
export function checkBounds(raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const pending: { value: unknown; path: PathSegment[] }[] = [{ value: raw, path: [] }];
  for (let item = pending.pop(); item !== undefined && issues.length < MAX_ISSUES; item = pending.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      if (value.length > MAX_STRING_LENGTH) issues.push({ code: 'out-of-range', message: `${describe('value', MAX_STRING_LENGTH, 'characters')} (got ${value.length.toLocaleString('en-US')})`, path });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    // Depth counts containers: the root map is level 1, `steps` level 2, one step level 3.
    if (path.length + 1 > MAX_NESTING_DEPTH) {
      issues.push({ code: 'out-of-range', message: `nested more than ${MAX_NESTING_DEPTH} levels deep`, path });
      continue;
    }
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v: unknown, i): [PathSegment, unknown] => [i, v]) : Object.entries(value);
    if (entries.length > MAX_COLLECTION_ITEMS) {
      issues.push({ code: 'out-of-range', message: `${Array.isArray(value) ? 'list' : 'map'} has ${entries.length.toLocaleString('en-US')} entries: at most ${MAX_COLLECTION_ITEMS.toLocaleString('en-US')}`, path });
      continue;
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [PathSegment, unknown];
      if (typeof key === 'string' && key.length > MAX_KEY_LENGTH) {
        issues.push({ code: 'out-of-range', message: `${describe('key', MAX_KEY_LENGTH, 'characters')} (got ${key.length.toLocaleString('en-US')})`, path: [...path, key], atKey: true });
        continue;
      }
      pending.push({ value: child, path: [...path, key] });
    }
  }
  return issues;
}

/**
 * Keeps at most {@link MAX_ISSUES} issues, replacing the rest by one closing issue
 * "and N more problems" at the first one left out, so a hostile input cannot make the
 * report itself unbounded.
 */
export function capIssues<T extends { message: string }>(issues: T[], more: (first: T, count: number) => T): T[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const rest = issues.length - MAX_ISSUES;
  const first = issues[MAX_ISSUES] as T;
  return [...issues.slice(0, MAX_ISSUES), more(first, rest)];
}

/**
 * Appends `extra` to `target` without spreading it into a call: `push(...list)` passes every
 * element as an argument and throws a RangeError past a few hundred thousand.
 */
export function append<T>(target: T[], extra: readonly T[]): void {
  for (const item of extra) target.push(item);
}
