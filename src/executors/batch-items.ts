/**
 * @module executors/batch-items
 * The data side of batch steps: expanding items, splitting them into groups, reading a
 * group's outputs and a validator's verdict, and building the consolidated result. No
 * processes run here, so the rules are easy to read and test in one place.
 */
import type { Failure } from '../core/index.js';
import type { BatchSpec } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { AttemptLog } from './log.js';
import type { Masker } from './mask.js';
import { NO_MASKING } from './mask.js';
import type { BatchGroupRecord, BatchHooks, BatchProgress } from './types.js';

/** Status of one item in a batch's consolidated result. */
export type BatchItemStatus = 'succeeded' | 'failed' | 'invalid' | 'skipped';

/** One item of the consolidated result. `error` is the group's failure or the validation reason. */
export interface BatchItemResult {
  /** The item as listed (a path for a glob). */
  item: JsonValue;
  /** What became of the item. */
  status: BatchItemStatus;
  /** The item's output, when its group succeeded. */
  output?: JsonValue;
  /** The group's failure message, or why the item is invalid. */
  error?: string;
}

/**
 * A batch step's consolidated result: its output, or what `consolidate` receives.
 * `items` lists the groups' items in order, then the invalid ones; `skipped` items were
 * not attempted because fail-fast stopped or `maxFailures` was exceeded.
 */
export interface BatchResult {
  /** Every item with how it ended. */
  items: BatchItemResult[];
  /** Items by how they ended; `total` counts them all. */
  counts: { total: number; succeeded: number; failed: number; invalid: number; skipped: number };
  /** The items whose group failed, with the failure message (invalid items are in `items`). */
  failures: { item: JsonValue; error: string }[];
}

/** One item that failed validation and why. */
export interface InvalidItem {
  item: JsonValue;
  reason: string;
}

/** The item as text: strings as they are, anything else as JSON (keys of keyed outputs, `$BATON_ITEM`). */
export function itemText(item: JsonValue): string {
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/**
 * Expands the batch's items. A glob matches files under `baseDir` (absolute paths, sorted,
 * dot files excluded). Returns a message instead when there is nothing usable.
 */
export async function resolveItems(items: BatchHooks['items'], baseDir: string): Promise<JsonValue[] | { error: string }> {
  if ('values' in items) return items.values;
  // Loaded here, not at start-up: only batch steps over a glob need it.
  const { default: fg } = await import('fast-glob');
  const found = await fg(items.glob, { cwd: baseDir, absolute: true, onlyFiles: true });
  if (found.length === 0) return { error: `items glob "${items.glob}" matched no files (relative to ${baseDir})` };
  return found.sort();
}

/** Splits items into `size`-item groups, all `pending`. */
export function planGroups(items: JsonValue[], size: number, now: number): BatchGroupRecord[] {
  const groups: BatchGroupRecord[] = [];
  for (let i = 0; i * size < items.length; i++) {
    groups.push({ index: i, items: items.slice(i * size, (i + 1) * size), state: 'pending', attempts: 0, updatedAt: now });
  }
  return groups;
}

/**
 * One output per item from what a group returned: an array in item order, an object keyed
 * by item text, or null (no outputs). A string explains anything else, quoting the start of
 * the output masked by `masker` before it is shortened.
 */
export function groupOutputs(items: JsonValue[], output: JsonValue, masker: Masker = NO_MASKING): JsonValue[] | string {
  if (output === null) return items.map(() => null);
  if (Array.isArray(output)) {
    if (output.length === items.length) return output;
    return `the group returned ${output.length} outputs for ${items.length} items: return one output per item, in order`;
  }
  if (typeof output === 'object') return items.map((item) => output[itemText(item)] ?? null);
  return `the group returned ${masker.maskThenTruncate(JSON.stringify(output), 80)}: return an array with one output per item, or an object keyed by item`;
}

/** A handler validator's verdict: true, null, `{valid: true}` or anything else not false is valid. */
export function verdict(output: JsonValue): { valid: true } | { valid: false; reason: string } {
  if (output === false) return { valid: false, reason: 'invalid' };
  if (typeof output === 'string') return { valid: false, reason: output || 'invalid' };
  if (output !== null && typeof output === 'object' && !Array.isArray(output) && output.valid === false) {
    return { valid: false, reason: typeof output.reason === 'string' && output.reason ? output.reason : 'invalid' };
  }
  return { valid: true };
}

/** Counts for progress displays. */
export function progressOf(groups: BatchGroupRecord[]): BatchProgress {
  const p: BatchProgress = { done: 0, failed: 0, invalid: 0, total: 0 };
  for (const g of groups) {
    p.total += g.items.length;
    if (g.state === 'succeeded') p.done += g.items.length;
    else if (g.state === 'failed') p.failed += g.items.length;
    else if (g.state === 'invalid') p.invalid += g.items.length;
  }
  return p;
}

/** The consolidated result of the groups as they stand; pending groups count as skipped. */
export function buildResult(groups: BatchGroupRecord[]): BatchResult {
  const result: BatchResult = { items: [], counts: { total: 0, succeeded: 0, failed: 0, invalid: 0, skipped: 0 }, failures: [] };
  const ordered = [...groups.filter((g) => g.index >= 0).sort((a, b) => a.index - b.index), ...groups.filter((g) => g.index < 0)];
  for (const g of ordered) {
    const reasons = g.state === 'invalid' ? invalidReasons(g) : undefined;
    g.items.forEach((item, i) => {
      result.counts.total++;
      if (g.state === 'succeeded') {
        result.counts.succeeded++;
        result.items.push({ item, status: 'succeeded', output: g.outputs?.[i] ?? null });
      } else if (g.state === 'failed') {
        const error = g.error?.message ?? 'failed';
        result.counts.failed++;
        result.items.push({ item, status: 'failed', error });
        result.failures.push({ item, error });
      } else if (g.state === 'invalid') {
        result.counts.invalid++;
        result.items.push({ item, status: 'invalid', error: reasons?.[i] ?? 'invalid' });
      } else {
        result.counts.skipped++;
        result.items.push({ item, status: 'skipped' });
      }
    });
  }
  return result;
}

function invalidReasons(g: BatchGroupRecord): string[] {
  const details = g.error?.details;
  if (!Array.isArray(details)) return [];
  return details.map((d) => (d !== null && typeof d === 'object' && !Array.isArray(d) && typeof d.reason === 'string' ? d.reason : 'invalid'));
}

/** The row that keeps invalid items under `onInvalid: skip`. */
export function invalidGroup(invalid: InvalidItem[], now: number): BatchGroupRecord {
  return {
    index: -1, items: invalid.map((x) => x.item), state: 'invalid', attempts: 0, updatedAt: now,
    error: { type: 'batch-invalid', message: `${invalid.length} invalid items skipped`, retryable: false, details: invalid.map((x) => ({ item: x.item, reason: x.reason })) },
  };
}

const LISTED = 50;

/** Lists items, one per line, the first `LISTED` of them. */
export function listItems(lines: string[]): string {
  const shown = lines.slice(0, LISTED).map((l) => `  ${l}`);
  if (lines.length > LISTED) shown.push(`  … and ${lines.length - LISTED} more`);
  return shown.join('\n');
}

/** The step's failure when validation found invalid items under `onInvalid: fail`. */
export function invalidFailure(invalid: InvalidItem[], total: number): Failure {
  return {
    type: 'batch-invalid',
    message: `${invalid.length} of ${total} items are invalid, so no group was processed:\n${listItems(invalid.map((x) => `${itemText(x.item)}: ${x.reason}`))}`,
    retryable: false,
    details: invalid.slice(0, 1000).map((x) => ({ item: x.item, reason: x.reason })),
  };
}

/** The item limit of `maxFailures` against the items to process (invalid ones excluded); Infinity without one. */
export function failureLimit(spec: BatchSpec, processable: number): number {
  const m = spec.maxFailures;
  if (m === undefined) return Infinity;
  return 'count' in m ? m.count : Math.floor((m.percent / 100) * processable);
}

/**
 * A log that writes into the attempt's log with a prefix at the start of every line, so the
 * output of groups running side by side can be told apart, and keeps the last few KiB
 * (a failed shell validator's reason is its last line).
 */
export class PrefixedLog extends AttemptLog {
  private atLineStart = true;
  private tail = '';

  constructor(
    private readonly target: AttemptLog,
    private readonly prefix: string,
  ) {
    super(target.path, target.capBytes);
    // Masked here, before prefixes split a multi-line secret, with this log's own held-back tails.
    if (target.masker !== undefined) this.maskWith(target.masker);
  }

  override get used(): boolean {
    return this.target.used;
  }

  override appendMasked(chunk: Buffer): void {
    if (!chunk.length) return;
    const text = chunk.toString('utf8');
    this.tail = (this.tail + text).slice(-4096);
    let out = '';
    for (const piece of text.split(/(?<=\n)/)) {
      if (this.atLineStart) out += this.prefix;
      out += piece;
      this.atLineStart = piece.endsWith('\n');
    }
    this.target.appendMasked(Buffer.from(out));
  }

  /** The last non-empty line written, trimmed. */
  lastLine(): string {
    return this.tail.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '';
  }

  override close(): void {
    // The target belongs to the attempt, which closes it.
    this.flush();
  }
}
