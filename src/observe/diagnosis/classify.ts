/**
 * @module observe/diagnosis/classify
 * Why an attempt failed, from its own evidence only: its stored failure, its exit code and
 * the tail of its log. Pure (no I/O): the store-reading side (./read.ts) gathers the facts,
 * masks them, and hands them here; tests feed facts directly.
 */
import type { Failure } from '../../core/index.js';

/**
 * The kinds of failure `baton explain` tells apart, tried in this order (first match wins):
 * - `timeout`: the failure is baton's `timeout`
 * - `sub-workflow`: a sub-workflow step's child run failed (its own diagnosis says why)
 * - `http-status`: an http step got a status a retry will not change (4xx but 408 and 429)
 * - `memory`: exit 137, a SIGKILL, an out-of-memory line in the log, or a handler past the
 *   step's own `memory` limit (baton's `memory-limit`)
 * - `command-not-found`: exit 127, a spawn ENOENT, or "command not found" in the log
 * - `permission-denied`: exit 126, EACCES, or "Permission denied"
 * - `network`: a connection error code (ECONNREFUSED…), "Connection refused", an HTTP 5xx/429/408,
 *   an http step's request that got no complete response
 * - `secret-missing`: baton's `secret-missing` failure
 * - `handler-exception`: a handler threw, the top frame of its stack inside the workflow's folder
 * - `output-missing`: an expression of the step reads a field its upstream's output lacks
 * - `lost`: the process or worker running it died (baton's `lost`)
 * - `exit-nonzero`: anything else, with the log's last error-looking lines
 */
export type DiagnosisClass =
  | 'timeout' | 'sub-workflow' | 'http-status' | 'memory' | 'command-not-found' | 'permission-denied' | 'network' | 'secret-missing'
  | 'handler-exception' | 'output-missing' | 'lost' | 'exit-nonzero';

/** Every {@link DiagnosisClass}, in the order they are tried. */
export const DIAGNOSIS_CLASSES: readonly DiagnosisClass[] = [
  'timeout', 'sub-workflow', 'http-status', 'memory', 'command-not-found', 'permission-denied', 'network', 'secret-missing',
  'handler-exception', 'output-missing', 'lost', 'exit-nonzero',
];

/** One line of an attempt's log, as read. */
export interface LogLine {
  /** Byte offset of the line's start in the attempt's log. */
  offset: number;
  /** Line number in the attempt's log, from 1; absent when the tail read does not start at the log's start. */
  line?: number;
  /** The line without its newline (masked by the caller). */
  text: string;
}

/** One quoted fact a classification rests on; `id` is what recoveries cite. */
export interface Evidence {
  /** `e1`, `e2`…: unique within one step's diagnosis. */
  id: string;
  /** `log`: a line of the attempt's log; `exit-code`; `failure`: the stored failure record; `output`: an upstream output that lacks a field. */
  kind: 'log' | 'exit-code' | 'failure' | 'output';
  /** The quoted text (masked). */
  text: string;
  /** For `log`: byte offset of the line in the attempt's log. */
  offset?: number;
  /** For `log`: line number, from 1, when known. */
  line?: number;
}

/** A field an expression reads that its upstream's output lacks. */
export interface MissingOutputRef {
  /** The expression as written, e.g. `steps.fetch.output.url`. */
  expression: string;
  /** The upstream step. */
  stepId: string;
  /** The path read below `output`, e.g. `url` or `items.0.id`. */
  path: string;
  /** The keys the upstream output has at the level where the path broke (at most 20). */
  available: string[];
}

/** What the classifier is told about one failed attempt. */
export interface AttemptFacts {
  /** The step's action: `run` (shell), `uses` (handler), `http` or `workflow` (sub-workflow). */
  stepKind: 'run' | 'uses' | 'http' | 'workflow';
  /** The attempt's state: `lost` attempts are classified `lost` when nothing else matches. */
  state?: string;
  exitCode?: number;
  /** The stored failure (masked). */
  failure?: Failure;
  /** The tail of the attempt's log, in order (masked). */
  lines: readonly LogLine[];
  /** The workflow's folder (absolute): where a handler's own code lives. */
  baseDir?: string;
  /** Fields the step's expressions read that upstream outputs lack. */
  missingOutputs?: readonly MissingOutputRef[];
}

/** A classification with the evidence it rests on. */
export interface Classification {
  class: DiagnosisClass;
  /** One line saying why, naming the evidence. */
  summary: string;
  /** The facts quoted, most telling first; ids `e1`… in this order. */
  evidence: Evidence[];
  /**
   * The text that identifies this failure among others of the step: the first telling log
   * line, else the failure's message. Normalised by {@link normaliseError} into a signature.
   */
  key: string;
}

/** Lines a plain failure quotes from the log at most. */
export const MAX_QUOTED_LINES = 5;

const OOM = /\boom\b|out of memory|cannot allocate memory|memoryerror|bad_alloc|\benomem\b|oom-kill|killed process|heap limit|allocation failed/i;
const NOT_FOUND = /command not found|: not found$|\benoent\b.*spawn|spawn .*\benoent\b|no such file or directory.*exec|executable file not found/i;
const PERMISSION = /permission denied|\beacces\b|operation not permitted|\beperm\b/i;
const NETWORK = /\b(econnrefused|econnreset|etimedout|enotfound|eai_again|ehostunreach|enetunreach)\b|connection refused|connection reset|could not resolve host|name or service not known|\bhttp\/?[\d.]*\s+(5\d\d|429)\b|\bstatus(?: code)?[\s:=]+(5\d\d|429)\b|\b(500 internal server error|502 bad gateway|503 service unavailable|504 gateway time-?out|429 too many requests)\b/i;
const ERRORISH = /error|fail|exception|traceback|fatal/i;

/** baton's own failure types: a failure of another type from a handler step is what it threw. */
const BATON_TYPES = new Set(['memory-limit', 'lost', 'timeout', 'cancelled', 'exit-code', 'spawn', 'expression', 'secret-missing', 'output-invalid', 'output-too-large', 'batch-invalid', 'task', 'unsupported', 'unclaimed', 'disk-full', 'internal', 'signal']);

/**
 * Classifies one failed attempt (see {@link DiagnosisClass} for the order).
 * @example classify({ stepKind: 'run', exitCode: 127, lines: [{ offset: 0, line: 1, text: 'sh: 1: nope: not found' }] }).class // 'command-not-found'
 */
export function classify(f: AttemptFacts): Classification {
  const ev = new EvidenceList();
  const failureText = f.failure ? `${f.failure.type}: ${f.failure.message}` : '';
  const failureEv = (): Evidence | undefined => (f.failure ? ev.add({ kind: 'failure', text: failureText }) : undefined);
  const exitEv = (): Evidence | undefined => (f.exitCode !== undefined ? ev.add({ kind: 'exit-code', text: `exit code ${f.exitCode}` }) : undefined);
  const linesMatching = (re: RegExp, max = MAX_QUOTED_LINES): Evidence[] => lastMatching(f.lines, re, max).map((l) => ev.add(logEvidence(l)));
  const done = (cls: DiagnosisClass, summary: (ids: string) => string, keyText?: string): Classification => ({
    class: cls, summary: summary(ev.ids()), evidence: ev.list, key: keyText ?? (f.failure?.message ?? ''),
  });
  const message = f.failure?.message ?? '';
  const type = f.failure?.type;

  if (type === 'timeout') {
    failureEv();
    const tail = linesMatching(ERRORISH, 2);
    return done('timeout', (ids) => `the step ran past its timeout (${ids})${tail.length ? '; its last error-looking output is quoted' : ''}`);
  }

  // A child run's own diagnosis says why it failed; the parent's log only repeats its end.
  if (type === 'sub-workflow' && f.stepKind === 'workflow') {
    failureEv();
    const child = childRunOf(f.failure!);
    return done('sub-workflow', (ids) => `the child run${child ? ` ${child}` : ''} did not succeed${child ? `: 'baton explain ${child}' diagnoses its steps` : ''} (${ids})`);
  }

  // An http step's failure record says what the server answered; its log lines carry times and URLs, poor keys.
  if (f.stepKind === 'http' && (type === 'http-status' || type === 'http-request')) {
    const status = httpStatusOf(f.failure!);
    failureEv();
    linesMatching(/\bhttp\b.*\b\d{3}\b|fail|error/i, 2);
    if (type === 'http-status' && status !== undefined && status !== 408 && status !== 429 && status < 500) {
      const hint = status === 401 || status === 403 ? 'check the credentials (secrets) it sends' : status === 404 || status === 410 ? 'check the URL and the params it is built from' : 'check the request it sends';
      return done('http-status', (ids) => `the server answered ${status}: another try gets the same answer unless the request changes; ${hint} (${ids})`);
    }
    return done('network', (ids) => `the request got ${status !== undefined ? `a ${status} answer, which may pass on another try` : 'no complete response: refused, reset, unresolved or too slow'} (${ids})`);
  }

  // baton's own limit: the step's `memory` setting stopped the handler's thread.
  if (type === 'memory-limit') {
    failureEv();
    linesMatching(OOM, 2);
    return done('memory', (ids) => `the handler went past the step's own memory limit; raise the step's memory setting (a bigger worker does not change it) (${ids})`);
  }

  const oomLines = lastMatching(f.lines, OOM, MAX_QUOTED_LINES);
  const killed = f.exitCode === 137 || /SIGKILL/.test(message);
  if (killed || oomLines.length || OOM.test(message)) {
    exitEv();
    if (killed || OOM.test(message)) failureEv();
    const quoted = oomLines.map((l) => ev.add(logEvidence(l)));
    return done('memory', (ids) => `${killed ? 'killed (SIGKILL / exit 137)' : 'it ran out of memory'}${quoted.length ? ' with an out-of-memory message' : ''} (${ids})`, quoted[0]?.text ?? message);
  }

  const nf = lastMatching(f.lines, NOT_FOUND, MAX_QUOTED_LINES);
  if (f.exitCode === 127 || (type === 'spawn' && /ENOENT/.test(message)) || nf.length || /command not found/i.test(message)) {
    exitEv();
    if (type === 'spawn' || /command not found/i.test(message)) failureEv();
    const quoted = nf.map((l) => ev.add(logEvidence(l)));
    return done('command-not-found', (ids) => `a command the step runs does not exist where it ran (${ids})`, quoted[0]?.text ?? message);
  }

  const perm = lastMatching(f.lines, PERMISSION, MAX_QUOTED_LINES);
  if (f.exitCode === 126 || perm.length || PERMISSION.test(message)) {
    exitEv();
    if (PERMISSION.test(message)) failureEv();
    const quoted = perm.map((l) => ev.add(logEvidence(l)));
    return done('permission-denied', (ids) => `the step was refused access to a file or command (${ids})`, quoted[0]?.text ?? message);
  }

  const net = lastMatching(f.lines, NETWORK, MAX_QUOTED_LINES);
  if (net.length || NETWORK.test(message)) {
    if (NETWORK.test(message)) failureEv();
    const quoted = net.map((l) => ev.add(logEvidence(l)));
    exitEv();
    return done('network', (ids) => `a network call failed: connection refused, reset, unresolved, or a server error (${ids})`, quoted[0]?.text ?? message);
  }

  if (type === 'secret-missing') {
    failureEv();
    return done('secret-missing', (ids) => `a declared secret had no value where the step ran (${ids})`);
  }

  if (f.stepKind === 'uses' && f.failure && !BATON_TYPES.has(f.failure.type)) {
    const top = topFrame(f.failure);
    if (top && f.baseDir && frameInside(top, f.baseDir)) {
      failureEv();
      ev.add({ kind: 'failure', text: `top frame: ${top}` });
      linesMatching(ERRORISH, 2);
      return done('handler-exception', (ids) => `the handler threw in the workflow's own code (${ids})`);
    }
  }

  if (f.missingOutputs?.length) {
    for (const m of f.missingOutputs) {
      ev.add({ kind: 'output', text: `${m.expression}: step '${m.stepId}' output has no '${m.path}'${m.available.length ? ` (it has: ${m.available.join(', ')})` : ''}` });
    }
    failureEv();
    exitEv();
    const first = f.missingOutputs[0]!;
    return done('output-missing', (ids) => `an expression reads a field an upstream output lacks (${ids})`, `${first.expression} missing`);
  }

  if (type === 'lost' || f.state === 'lost') {
    failureEv();
    return done('lost', (ids) => `the process or worker running the attempt died or lost its lease (${ids})`);
  }

  exitEv();
  failureEv();
  let quoted = linesMatching(ERRORISH);
  if (!quoted.length) quoted = f.lines.slice(-MAX_QUOTED_LINES).filter((l) => l.text.trim() !== '').map((l) => ev.add(logEvidence(l)));
  return done('exit-nonzero', (ids) => `the step failed${f.exitCode !== undefined ? ` with exit code ${f.exitCode}` : ''}; its last error-looking output is quoted (${ids})`, quoted[0]?.text ?? message);
}

/** Numbers evidence as it is added. */
class EvidenceList {
  readonly list: Evidence[] = [];
  add(e: Omit<Evidence, 'id'>): Evidence {
    const full = { id: `e${this.list.length + 1}`, ...e };
    this.list.push(full);
    return full;
  }
  ids(): string {
    return this.list.map((e) => e.id).join(', ') || 'no evidence';
  }
}

function logEvidence(l: LogLine): Omit<Evidence, 'id'> {
  return { kind: 'log', text: l.text, offset: l.offset, ...(l.line !== undefined ? { line: l.line } : {}) };
}

/** The last `max` lines matching `re`, in log order. */
function lastMatching(lines: readonly LogLine[], re: RegExp, max: number): LogLine[] {
  const out: LogLine[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < max; i--) if (re.test(lines[i]!.text)) out.unshift(lines[i]!);
  return out;
}

/** A sub-workflow failure's child run id (`details.childRunId`, see runtime/child-runs.ts), if any. */
function childRunOf(f: Failure): string | undefined {
  const d = f.details;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return undefined;
  return typeof d.childRunId === 'string' ? d.childRunId : undefined;
}

/** An http-status failure's status (`details.status`, see executors/http.ts), if any. */
function httpStatusOf(f: Failure): number | undefined {
  const d = f.details;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return undefined;
  return typeof d.status === 'number' ? d.status : undefined;
}

/** The first frame of a failure's `details.stack` (see the handler executor), if any. */
export function topFrame(f: Failure): string | undefined {
  const d = f.details;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const stack = d.stack;
  if (!Array.isArray(stack)) return undefined;
  const first = stack[0];
  return typeof first === 'string' ? first : undefined;
}

/** Whether a stack frame (`at fn (file:///dir/x.mjs:3:9)` or `at /dir/x.mjs:3:9`) is in a file under `dir`. */
export function frameInside(frame: string, dir: string): boolean {
  const m = /\(?((?:file:\/\/)?\/[^():]+)(?::\d+){0,2}\)?$/.exec(frame.trim());
  if (!m) return false;
  let path = m[1]!;
  if (path.startsWith('file://')) path = decodeURIComponent(path.slice('file://'.length));
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(base) && !path.slice(base.length).split('/').includes('node_modules');
}

/**
 * An error text with what varies between occurrences of one error replaced by
 * placeholders, so two occurrences compare equal: timestamps `<time>`, UUIDs and hex ids
 * `<id>`, quoted strings `<str>`, paths `<path>`, URLs `<url>`, numbers `<n>`; whitespace
 * collapsed. Masked secrets (`***`) stay as they are.
 * @example normaliseError("open '/tmp/a1/x.json' failed at 2026-01-02T03:04:05Z after 3 tries") // "open <str> failed at <time> after <n> tries"
 */
export function normaliseError(text: string): string {
  return text
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>')
    .replace(/\b\d{2}:\d{2}:\d{2}(\.\d+)?\b/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<id>')
    .replace(/\b(?=[0-9a-z]*\d)[0-9a-z]{8}[0-9a-f]{8}\b/gi, '<id>')
    .replace(/\b[0-9a-f]{12,}\b/gi, '<id>')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '<str>')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>]+/gi, '<url>')
    .replace(/(?:\.{0,2}\/[^\s:'"<>()]+)+/g, '<path>')
    .replace(/\d+(?:\.\d+)*/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A failure's signature: its class and its normalised key text; equal signatures are "the same error". */
export function errorSignature(c: Pick<Classification, 'class' | 'key'>): string {
  return `${c.class}: ${normaliseError(c.key).slice(0, 300)}`;
}

/**
 * Reads lines out of a log tail: `text` starting at byte `offset` of the log. A tail that
 * does not start at 0 may begin mid-line: that first partial line is dropped. Line numbers
 * are given only when the tail starts at the log's start (they are unknown otherwise).
 */
export function splitLogTail(text: Buffer, offset: number): LogLine[] {
  let start = 0;
  if (offset > 0) {
    const nl = text.indexOf(10);
    if (nl === -1) return [];
    start = nl + 1;
  }
  const out: LogLine[] = [];
  let n = 1;
  while (start < text.length) {
    let end = text.indexOf(10, start);
    if (end === -1) end = text.length;
    const line = text.subarray(start, end).toString('utf8').replace(/\r$/, '');
    out.push({ offset: offset + start, text: line.slice(0, 4096), ...(offset === 0 ? { line: n } : {}) });
    n++;
    start = end + 1;
  }
  return out;
}

/**
 * Expressions `steps.<id>.output.<path>` in a text (`${{ }}` contents, `env` values, `with`
 * JSON), with dotted or `['key']`/`[0]` paths. Each as `{ expression, stepId, path }`.
 */
export function outputRefs(text: string): { expression: string; stepId: string; path: string[] }[] {
  const out: { expression: string; stepId: string; path: string[] }[] = [];
  const re = /steps\.([A-Za-z0-9_-]+)\.output((?:\.[A-Za-z_$][\w$-]*|\[(?:\d+|'[^']*'|"[^"]*")\])+)/g;
  for (const m of text.matchAll(re)) {
    const path = [...m[2]!.matchAll(/\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g)].map((p) => p[1] ?? p[2] ?? p[3] ?? p[4] ?? '');
    out.push({ expression: m[0], stepId: m[1]!, path });
  }
  return out;
}

/** The refs whose path an upstream output (by step id) lacks; an upstream with no output recorded is skipped. */
export function missingOutputRefs(refs: readonly { expression: string; stepId: string; path: string[] }[], outputs: ReadonlyMap<string, unknown>): MissingOutputRef[] {
  const out: MissingOutputRef[] = [];
  const seen = new Set<string>();
  for (const r of refs) {
    if (!outputs.has(r.stepId) || seen.has(r.expression)) continue;
    seen.add(r.expression);
    let v: unknown = outputs.get(r.stepId);
    for (const key of r.path) {
      const has = v !== null && typeof v === 'object' && Object.hasOwn(v, key);
      if (!has) {
        const available = v !== null && typeof v === 'object' ? Object.keys(v).slice(0, 20) : [];
        out.push({ expression: r.expression, stepId: r.stepId, path: r.path.join('.'), available });
        break;
      }
      v = (v as Record<string, unknown>)[key];
    }
  }
  return out;
}
