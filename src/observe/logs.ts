/**
 * @module observe/logs
 * The one way baton reads attempt logs, for the CLI and the API alike: an attempt's log
 * file when this node has it (the process that ran the attempt, or one sharing its disk),
 * else the chunks a fleet worker shipped to the store (`store.logs`, PostgreSQL;
 * store/log-types.ts). Both hold the same masked, capped bytes at the same offsets, so a
 * reader may switch from one to the other between reads. Also a run's log search.
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import vm from 'node:vm';
import type { AttemptRecord, LogChunk, Store } from '../store/index.js';
import { BatonError } from '../shared/index.js';

/** One read of an attempt's log. */
export interface LogRange {
  /** The bytes read (with a marker line where shipped bytes are missing, see {@link readAttemptLog}). */
  text: Buffer;
  /** The log's size when read, bytes: of the file, or of what was shipped so far. */
  size: number;
  /** Offset where the next read starts: past what `text` covers. */
  next: number;
  /** Where it came from: `none` when there is no log (yet) on this node or in the store. */
  source: 'file' | 'store' | 'none';
}

/**
 * Reads up to `limit` bytes of an attempt's log from `offset`: from its file at
 * `attempt.logPath` when this node has it, else from the store's shipped chunks (when the
 * store has `logs`), else nothing. Where shipped bytes never reached the store (it was
 * unreachable longer than the worker kept them), `text` holds a marker line instead,
 * `[baton] bytes A-B of this log did not reach the store …`, and `next` skips them.
 * @param limit - bytes at most, at least 1
 */
export async function readAttemptLog(store: Pick<Store, 'logs'>, attempt: Pick<AttemptRecord, 'id' | 'logPath'>, offset: number, limit: number): Promise<LogRange> {
  const file = attempt.logPath ? await readFileRange(attempt.logPath, offset, limit) : undefined;
  if (file) return file;
  if (!store.logs) return { text: Buffer.alloc(0), size: 0, next: offset, source: 'none' };
  const { chunks, size } = await store.logs.readChunks(attempt.id, offset, limit);
  if (size === 0) return { text: Buffer.alloc(0), size: 0, next: offset, source: 'none' };
  const { text, next } = assemble(chunks, offset, limit);
  return { text, size, next, source: 'store' };
}

/**
 * The last `bytes` bytes of an attempt's log (all of it when shorter), read as
 * {@link readAttemptLog} reads: the page a reader opens a long log on. `offset` is where
 * the bytes start (it may cut a line: the reader drops the part before the first newline).
 */
export async function readAttemptLogTail(store: Pick<Store, 'logs'>, attempt: Pick<AttemptRecord, 'id' | 'logPath'>, bytes: number): Promise<LogRange & { offset: number }> {
  const { size } = await readAttemptLog(store, attempt, Number.MAX_SAFE_INTEGER, 0);
  const offset = Math.max(0, size - bytes);
  return { ...(await readAttemptLog(store, attempt, offset, bytes)), offset };
}

/** A file's bytes `[offset, offset + limit)`, or undefined when it cannot be opened (absent here). */
async function readFileRange(path: string, offset: number, limit: number): Promise<LogRange | undefined> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.max(0, Math.min(limit, size - offset));
    const buf = Buffer.alloc(len);
    if (len) await fh.read(buf, 0, len, offset);
    return { text: buf, size, next: offset + len, source: 'file' };
  } finally {
    await fh.close();
  }
}

/** The bytes of `[offset, offset + limit)` from chunks in offset order, gaps shown by a marker line. */
function assemble(chunks: readonly LogChunk[], offset: number, limit: number): { text: Buffer; next: number } {
  const parts: Buffer[] = [];
  const end = offset + limit;
  let pos = offset;
  for (const c of chunks) {
    const cEnd = c.offset + c.bytes.length;
    if (cEnd <= pos) continue;
    if (pos >= end) break;
    if (c.offset > pos) {
      parts.push(Buffer.from(`\n[baton] bytes ${pos}-${c.offset - 1} of this log did not reach the store (it was unreachable); the log file on the worker that ran the attempt has them\n`));
      pos = c.offset;
    }
    parts.push(c.bytes.subarray(pos - c.offset, Math.min(c.bytes.length, end - c.offset)));
    pos = Math.min(cEnd, end);
  }
  return { text: Buffer.concat(parts), next: pos };
}

/** What {@link searchRunLogs} looks for. */
export interface LogQuery {
  /** A plain substring, or with `regex` a JavaScript regular expression (no flags but `i`). */
  pattern: string;
  /** @default false */
  regex?: boolean;
  /** @default false */
  ignoreCase?: boolean;
  /** Only this step's attempts. @default every step */
  stepId?: string;
  /** Matches at most; 1..{@link MAX_LOG_MATCHES}. @default 1000 */
  limit?: number;
}

/** One matching line. */
export interface LogMatch {
  stepId: string;
  /** The attempt's number, from 1. */
  attempt: number;
  /** Line number in the attempt's log, from 1. */
  line: number;
  /** Byte offset of the line's start in the attempt's log: where a reader opens the log to show it. */
  offset: number;
  /** The line as stored (masked), without its newline; its first {@link MAX_LINE_SCANNED} characters. */
  text: string;
}

/** What {@link searchRunLogs} found. */
export interface LogSearchResult {
  /** Attempt by attempt (start order), line by line. */
  matches: LogMatch[];
  /** True when there were more matches than `limit`: only the first `limit` are given. */
  truncated: boolean;
}

/** Matches a search returns by default, and at most. */
export const DEFAULT_LOG_MATCHES = 1000;
export const MAX_LOG_MATCHES = 10_000;
/**
 * Characters of a line a search looks at (and returns): a bound on the work a regex does
 * per line, and on a match's size. The rest of a longer line is not searched.
 */
export const MAX_LINE_SCANNED = 4096;
/** Time a regex may spend over one search, ms: past it the search fails with {@link LogPatternError} (`pattern-too-slow`). */
export const REGEX_BUDGET_MS = 2_000;
/** Bytes read per step of a search. */
const PAGE_BYTES = 1024 * 1024;

/**
 * Thrown for a search pattern that cannot be used: `bad-pattern` (a regex that does not
 * compile, an empty pattern, a limit out of range) or `pattern-too-slow` (a regex that
 * backtracks past {@link REGEX_BUDGET_MS}). The API answers 400, the CLI exits 2.
 */
export class LogPatternError extends BatonError {
  constructor(code: 'bad-pattern' | 'pattern-too-slow', message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Tests lines of one page; throws `pattern-too-slow` past the search's regex budget. */
type PageMatcher = (lines: string[]) => boolean[];

/**
 * The matcher for a query. A regex runs in a `vm` context with a timeout, which V8 honours
 * inside a backtracking match: a catastrophic pattern (`(a+)+$`) costs the budget, not the
 * process. @throws LogPatternError `bad-pattern`
 */
export function compileLogQuery(q: LogQuery): PageMatcher {
  if (q.pattern === '') throw new LogPatternError('bad-pattern', 'the search pattern is empty');
  if (!q.regex) {
    const needle = q.ignoreCase ? q.pattern.toLowerCase() : q.pattern;
    return (lines) => lines.map((l) => (q.ignoreCase ? l.toLowerCase() : l).includes(needle));
  }
  let re: RegExp;
  try {
    re = new RegExp(q.pattern, q.ignoreCase ? 'i' : '');
  } catch (e) {
    throw new LogPatternError('bad-pattern', `the search pattern is not a valid regular expression: ${(e as Error).message}`, { cause: e });
  }
  const ctx = vm.createContext({ re, lines: [] as string[] });
  const script = new vm.Script('lines.map((l) => re.test(l))');
  let spent = 0;
  return (lines) => {
    ctx.lines = lines;
    const started = performance.now();
    try {
      return script.runInContext(ctx, { timeout: Math.max(1, Math.ceil(REGEX_BUDGET_MS - spent)) }) as boolean[];
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new LogPatternError('pattern-too-slow', `the regular expression took more than ${REGEX_BUDGET_MS} ms over lines of at most ${MAX_LINE_SCANNED} characters (it backtracks too much): simplify it, or search for a plain substring`);
      }
      throw e;
    } finally {
      spent += performance.now() - started;
    }
  };
}

/**
 * Searches the logs of a run's attempts (of one step with `q.stepId`), files or shipped
 * chunks as {@link readAttemptLog} reads them, line by line, for at most `q.limit` matches.
 * @throws LogPatternError for a pattern that cannot be used or a limit out of range
 */
export async function searchRunLogs(store: Pick<Store, 'logs' | 'getAttempts'>, runId: string, q: LogQuery): Promise<LogSearchResult> {
  const limit = q.limit ?? DEFAULT_LOG_MATCHES;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LOG_MATCHES) throw new LogPatternError('bad-pattern', `the match limit must be an integer from 1 to ${MAX_LOG_MATCHES}, got ${limit}`);
  const test = compileLogQuery(q);
  const matches: LogMatch[] = [];
  for (const a of await store.getAttempts(runId, q.stepId)) {
    let lineNo = 0;
    let offset = 0;
    /** Byte offset where the line being read starts, and its bytes so far. */
    let lineStart = 0;
    let lineBytes = 0;
    const starts: number[] = [];
    let carry = '';
    /** The line in `carry` passed MAX_LINE_SCANNED: the rest of it is skipped. */
    let capped = false;
    const decoder = new StringDecoder('utf8');
    const scan = (lines: string[]): boolean => {
      const hits = test(lines);
      for (let i = 0; i < lines.length; i++) {
        lineNo++;
        if (!hits[i]) continue;
        if (matches.length === limit) return false;
        matches.push({ stepId: a.stepId, attempt: a.number, line: lineNo, offset: starts[i]!, text: lines[i]! });
      }
      return true;
    };
    for (;;) {
      const r = await readAttemptLog(store, a, offset, PAGE_BYTES);
      const ended = r.next <= offset;
      const text = ended ? decoder.end() : decoder.write(r.text);
      offset = r.next;
      const pieces = text.split('\n');
      const lines: string[] = [];
      starts.length = 0;
      for (let i = 0; i < pieces.length; i++) {
        const last = i === pieces.length - 1;
        lineBytes += Buffer.byteLength(pieces[i]!);
        if (!capped) {
          carry += pieces[i]!;
          if (carry.length > MAX_LINE_SCANNED) {
            carry = carry.slice(0, MAX_LINE_SCANNED);
            capped = true;
          }
        }
        if (last) break;
        lines.push(carry.replace(/\r$/, ''));
        starts.push(lineStart);
        lineStart += lineBytes + 1;
        lineBytes = 0;
        carry = '';
        capped = false;
      }
      if (ended && carry !== '') {
        lines.push(carry);
        starts.push(lineStart);
        carry = '';
      }
      if (!scan(lines)) return { matches, truncated: true };
      if (ended) break;
    }
  }
  return { matches, truncated: false };
}
