/**
 * @module workflow/source
 * Workflow text -> YAML document and plain value, refusing what would make parsing slow,
 * deep or lossy: text over {@link MAX_WORKFLOW_BYTES}, nesting deeper than
 * {@link MAX_NESTING_DEPTH} (measured by a linear scan of the yaml library's lexer tokens
 * before its composer, which recurses, ever runs), alias bombs and undefined aliases,
 * duplicate keys (also `1` and `"1"`, which become the same JavaScript key), and, in `.json`
 * files, anything strict JSON does not allow (single quotes, trailing commas), which the
 * YAML parser would accept silently. Every problem comes back as a positioned error.
 */
import { CST, isAlias, isMap, isNode, isPair, isScalar, isSeq, Lexer, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { errorMessage } from '../shared/index.js';
import type { SpecError } from './errors.js';
import { MAX_NESTING_DEPTH, MAX_WORKFLOW_BYTES } from './limits.js';
import type { PathSegment } from './issues.js';

/**
 * Most alias expansions when turning the document into a value, weighted by the size of
 * what each alias points to: the yaml library's guard against "billion laughs" documents.
 * @see https://eemeli.org/yaml/#tojs-options (`maxAliasCount`)
 */
export const MAX_ALIAS_COUNT = 100;

/** How the text is parsed: `yaml` (YAML 1.2, JSON included) or `json` (strict JSON, as `JSON.parse`). */
export type SourceFormat = 'yaml' | 'json';

/** A parsed workflow text: the document (for positions) and its value, or the errors that stopped parsing. */
export type ParsedSource =
  | { ok: true; doc: Document; raw: unknown; locate: (offset: number) => { line: number; column: number } }
  | { ok: false; errors: SpecError[] };

/**
 * Parses workflow text. Never throws for bad input: every refusal is a `yaml-syntax`,
 * `duplicate-key` or `out-of-range` error with 1-based line and column, `file` set to `label`.
 */
export function parseSource(text: string, label: string, format: SourceFormat): ParsedSource {
  const lineCounter = new LineCounter();
  const locate = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const error = (code: SpecError['code'], message: string, at: { line: number; column: number }): SpecError => ({ code, message, path: '', file: label, ...at });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_WORKFLOW_BYTES) {
    return { ok: false, errors: [error('out-of-range', `workflow text is ${bytes.toLocaleString('en-US')} bytes: at most ${MAX_WORKFLOW_BYTES.toLocaleString('en-US')} (1 MiB)`, { line: 1, column: 1 })] };
  }
  if (format === 'json') {
    const problem = strictJsonError(text);
    if (problem !== undefined) return { ok: false, errors: [error('yaml-syntax', problem.message, positionIn(text, problem.offset))] };
  }
  const tooBig = scanTokens(text);
  if (tooBig !== undefined) {
    const message = tooBig.reason === 'depth'
      ? `nested more than ${MAX_NESTING_DEPTH} levels deep`
      : `more than ${MAX_SCALARS.toLocaleString('en-US')} values in one document`;
    return { ok: false, errors: [error('out-of-range', message, positionIn(text, tooBig.offset))] };
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false }); // duplicates: walkDocument, which also sees 1 vs "1"
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => error(
        'yaml-syntax',
        // prettyErrors appends " at line X, column Y:" and a code frame; we carry the position as fields.
        (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '') + yamlHint(e.code),
        locate(e.pos[0]),
      )),
    };
  }
  const { duplicates, aliases } = walkDocument(doc);
  if (duplicates.length > 0) {
    return { ok: false, errors: duplicates.map((d) => error('duplicate-key', `duplicate key "${d.key}" (first at line ${locate(d.firstOffset).line}): a map holds each key once`, locate(d.offset))) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The yaml library throws a ReferenceError for both; find the alias it is about for a position.
    const message = errorMessage(e);
    const unresolved = /Unresolved alias[^:]*: (.+)$/.exec(message)?.[1];
    const culprit = unresolved === undefined ? aliases[0] : aliases.find((a) => a.name === unresolved);
    const text = unresolved !== undefined
      ? `alias *${unresolved} refers to no anchor &${unresolved} defined before it`
      : /alias count/i.test(message)
        ? `aliases expand too much (more than ${MAX_ALIAS_COUNT} expansions): the document looks like an alias bomb`
        : `cannot read the document: ${message}`;
    return { ok: false, errors: [error('yaml-syntax', text, locate(culprit?.offset ?? 0))] };
  }
  return { ok: true, doc, raw, locate };
}

/**
 * A way out of a YAML mistake that reads like another one. `run: echo "a: b"` is the usual
 * source of BLOCK_AS_IMPLICIT_KEY: a plain value may not contain `: `, so YAML reads a map.
 */
function yamlHint(code: string): string {
  return code === 'BLOCK_AS_IMPLICIT_KEY' ? ' (a value containing ": " must be quoted, e.g. run: \'echo "a: b"\')' : '';
}

/** The first problem strict JSON finds, with its character offset. `JSON.parse` reports "at position N"; V8 has no line numbers in it. */
function strictJsonError(text: string): { message: string; offset: number } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const message = errorMessage(e);
    const at = /at position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : /end of JSON input/i.test(message) ? text.length : 0;
    return { message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected token/, 'unexpected token')} (.json files are strict JSON: double quotes, no trailing commas, no comments)`, offset };
  }
}

function positionIn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Most scalar values in one document, counted by the lexer before the (slower) parser runs:
 * a 10,000-step workflow has well under 200,000, and a megabyte of `[a,a,a,…]` is refused in
 * one linear pass instead of being composed into half a million nodes first.
 */
export const MAX_SCALARS = 200_000;

/**
 * Where nesting first passes {@link MAX_NESTING_DEPTH} or the scalar count passes
 * {@link MAX_SCALARS}, or undefined. One pass
 * over the lexer's tokens (the lexer does not recurse): flow collections count `[`/`{`;
 * block collections count the indentation levels open on a line plus its `-`/`?`
 * indicators, so `- - - x` counts three. The estimate is close to the document's real
 * depth; {@link checkBounds} checks the exact depth of the parsed value afterwards.
 */
function scanTokens(text: string): { reason: 'depth' | 'size'; offset: number } | undefined {
  const indents: number[] = [];
  let scalars = 0;
  let offset = 0;
  let column = 0;
  let lineStart = true;
  let indicators = 0;
  let flow = 0;
  for (const token of new Lexer().lex(text)) {
    // Control tokens (document, scalar and flow-error markers) are not in the source.
    if (token.length === 1 && token < ' ' && token !== '\n' && token !== '\t') {
      // '\x1f' marks the start of a plain or block scalar.
      if (token === '\x1f' && ++scalars > MAX_SCALARS) return { reason: 'size', offset };
      continue;
    }
    const type = CST.tokenType(token);
    if ((type === 'single-quoted-scalar' || type === 'double-quoted-scalar') && ++scalars > MAX_SCALARS) return { reason: 'size', offset };
    const newline = token.lastIndexOf('\n');
    if (newline !== -1) {
      offset += token.length;
      if (newline === token.length - 1) {
        column = 0;
        lineStart = true;
        indicators = 0;
      } else {
        column = token.length - newline - 1;
      }
      continue;
    }
    if (type !== 'space' && type !== 'comment' && flow === 0 && lineStart) {
      while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= column) indents.pop();
      indents.push(column);
      lineStart = false;
    }
    if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind')) indicators++;
    else if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    if (indents.length + indicators + flow > MAX_NESTING_DEPTH) return { reason: 'depth', offset };
    offset += token.length;
    column += token.length;
  }
  return undefined;
}

interface Duplicate { key: string; offset: number; firstOffset: number }
interface AliasAt { name: string; offset: number }

/**
 * Every duplicate map key (by its JavaScript key, so `1` and `"1"` collide as they would
 * in the value) and every alias, in one iterative walk (depth is already bounded).
 */
function walkDocument(doc: Document): { duplicates: Duplicate[]; aliases: AliasAt[] } {
  const duplicates: Duplicate[] = [];
  const aliases: AliasAt[] = [];
  const pending: unknown[] = [doc.contents];
  for (let node = pending.pop(); node !== undefined || pending.length > 0; node = pending.pop()) {
    if (isAlias(node)) {
      aliases.push({ name: node.source, offset: node.range?.[0] ?? 0 });
    } else if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isScalar(pair.key)) {
          const key = String(pair.key.value);
          const offset = pair.key.range?.[0] ?? 0;
          const first = seen.get(key);
          if (first === undefined) seen.set(key, offset);
          else duplicates.push({ key, offset, firstOffset: first });
        } else if (isNode(pair.key)) {
          pending.push(pair.key);
        }
        if (isNode(pair.value)) pending.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) if (isNode(item)) pending.push(item);
    }
  }
  aliases.sort((a, b) => a.offset - b.offset);
  duplicates.sort((a, b) => a.offset - b.offset);
  return { duplicates, aliases };
}

/** Finds where a path points in the document; a missing node falls back to its nearest present parent. */
export function offsetOf(doc: Document, path: readonly PathSegment[], atKey: boolean): number {
  if (atKey && path.length > 0) {
    const parent = doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(path[path.length - 1]));
      if (pair !== undefined && isNode(pair.key) && pair.key.range) return pair.key.range[0];
    }
  }
  for (let length = path.length; length >= 0; length--) {
    const node: unknown = length === 0 ? doc.contents : doc.getIn(path.slice(0, length), true);
    if (isNode(node) && (node as YamlNode).range) return (node as YamlNode).range?.[0] ?? 0;
  }
  return 0;
}

/** Orders errors by line, column, then path. */
export function byPosition(a: SpecError, b: SpecError): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path);
}
