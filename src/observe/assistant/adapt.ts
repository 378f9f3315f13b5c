/**
 * @module observe/assistant/adapt
 * `baton adapt FILE --platform P`: per-platform variants of shell commands. The model proposes
 * a command for P for each step whose `run` has none for P; baton edits the file's text in
 * place of those `run` values only (comments and layout elsewhere kept), checks the result
 * with its validator and shows it as a unified diff. A step with one command for every
 * platform becomes a map that keeps that command for the other platforms, so nothing changes
 * where the step already ran.
 */
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode, Scalar, YAMLMap } from 'yaml';
import type { SpecError } from '../../workflow/index.js';
import { validateWorkflowText } from '../../workflow/index.js';
import type { Assistant } from './client.js';

/** The platforms a `run` map may name (the workflow schema's). */
export const PLATFORMS = ['linux', 'darwin', 'win32'] as const;
/** A platform of {@link PLATFORMS}. */
export type Platform = (typeof PLATFORMS)[number];
/** Bytes an adapt prompt holds at most: 32 KiB. */
export const MAX_ADAPT_PROMPT_BYTES = 32 * 1024;

/** A step that lacks a command for the platform, with the commands it has and where its `run` value is. */
export interface AdaptCandidate {
  stepId: string;
  /** The command for every platform (a plain `run`), or the map's. */
  commands: string | Partial<Record<Platform, string>>;
  node: Scalar | YAMLMap;
  /** Whether the value sits in a flow collection (`{ … }`). */
  flow: boolean;
  /** Column (from 0) of the `run` key. */
  keyColumn: number;
}

/** Steps (`steps`, `onFailure`, `finally`) whose `run` has no command for `platform`, in file order. */
export function adaptCandidates(text: string, platform: Platform): AdaptCandidate[] {
  const doc = parseDocument(text);
  const out: AdaptCandidate[] = [];
  for (const list of ['steps', 'onFailure', 'finally']) {
    const seq = doc.get(list, true);
    if (!isSeq(seq)) continue;
    for (const item of seq.items) {
      if (!isMap(item)) continue;
      const id = item.get('id');
      const pair = item.items.find((p) => isScalar(p.key) && p.key.value === 'run');
      if (typeof id !== 'string' || !pair) continue;
      const v = pair.value as YamlNode | null;
      const keyColumn = columnOf(text, (pair.key as Scalar).range![0]);
      const flow = item.flow === true;
      if (isScalar(v) && typeof v.value === 'string') out.push({ stepId: id, commands: v.value, node: v, flow, keyColumn });
      else if (isMap(v) && v.get(platform) === undefined) {
        const commands: Partial<Record<Platform, string>> = {};
        for (const p of PLATFORMS) {
          const c = v.get(p);
          if (typeof c === 'string') commands[p] = c;
        }
        out.push({ stepId: id, commands, node: v, flow: flow || v.flow === true, keyColumn });
      }
    }
  }
  return out;
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** One text replacement: `[start, end)` of the original by `text`. */
interface Edit {
  start: number;
  end: number;
  text: string;
}

/** The edit giving a candidate `command` for `platform`; values are JSON strings (valid YAML double-quoted scalars). */
function editFor(src: string, c: AdaptCandidate, platform: Platform, command: string): Edit {
  const [start, rawEnd] = c.node.range!;
  let end = rawEnd;
  while (end > start && src[end - 1] === '\n') end--;
  const q = JSON.stringify;
  if (typeof c.commands === 'string') {
    const entries = PLATFORMS.map((p) => [p, p === platform ? command : (c.commands as string)] as const);
    if (c.flow) return { start, end, text: `{ ${entries.map(([p, v]) => `${p}: ${q(v)}`).join(', ')} }` };
    const ind = ' '.repeat(c.keyColumn + 2);
    // The value starts after `run:`: a block map begins on the next line.
    const before = src.slice(0, start).replace(/[ \t]+$/, '');
    // A comment after the value stays on the `run:` line.
    const nl = src.indexOf('\n', end);
    const lineEnd = nl < 0 ? src.length : nl;
    const rest = src.slice(end, lineEnd);
    const keep = /^\s*#/.test(rest) ? rest : '';
    return { start: before.length, end: keep ? lineEnd : end, text: `${keep}\n${entries.map(([p, v]) => `${ind}${p}: ${q(v)}`).join('\n')}` };
  }
  if (c.flow) {
    const close = src.lastIndexOf('}', end);
    return { start: close, end: close, text: `, ${platform}: ${q(command)} ` };
  }
  const firstKey = (c.node as YAMLMap).items[0]?.key as Scalar | undefined;
  const ind = ' '.repeat(firstKey?.range ? columnOf(src, firstKey.range[0]) : c.keyColumn + 2);
  return { start: end, end, text: `\n${ind}${platform}: ${q(command)}` };
}

/** The outcome of {@link adaptWorkflow}. */
export interface AdaptResult {
  /** The file with the variants added (equal to the input when none). */
  text: string;
  /** Steps given a variant. */
  adapted: string[];
  /** Steps the model gave no usable command for. */
  skipped: string[];
  /** Problems of the adapted text by baton's validator; empty when valid. */
  errors: SpecError[];
}

/**
 * Asks the model for a `platform` command for each step lacking one, edits them in, and
 * validates the result as `baton validate` would (`label` names the file, `baseDir` its folder).
 * @throws AssistantError when the exchange fails.
 */
export async function adaptWorkflow(assistant: Assistant, src: string, platform: Platform, o: { label: string; baseDir: string }): Promise<AdaptResult> {
  const cands = adaptCandidates(src, platform);
  if (!cands.length) return { text: src, adapted: [], skipped: [], errors: [] };
  const ask = cands.map((c) => ({ step: c.stepId, commands: typeof c.commands === 'string' ? { any: c.commands } : c.commands }));
  const answer = await assistant.chat('adapt', [
    { role: 'system', content: `You port shell commands of workflow steps to another platform (linux: sh, darwin: sh, win32: cmd.exe). For each step give one command for ${platform} doing the same thing. Answer with one JSON object and nothing else: {"commands": {"STEP_ID": "COMMAND"}}. Omit a step you cannot port.` },
    { role: 'user', content: JSON.stringify({ platform, steps: ask }) },
  ], { maxPromptBytes: MAX_ADAPT_PROMPT_BYTES });
  const proposed = commandsOf(answer);
  const edits: Edit[] = [];
  const adapted: string[] = [];
  const skipped: string[] = [];
  for (const c of cands) {
    const cmd = proposed[c.stepId];
    if (typeof cmd !== 'string' || !cmd.trim()) {
      skipped.push(c.stepId);
      continue;
    }
    edits.push(editFor(src, c, platform, cmd.trim()));
    adapted.push(c.stepId);
  }
  let text = src;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  const { errors } = await validateWorkflowText(text, { label: o.label, baseDir: o.baseDir });
  return { text, adapted, skipped, errors };
}

/** The `commands` object of an answer (steps the model named that are not candidates are ignored by the caller). */
function commandsOf(answer: string): Record<string, unknown> {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end < start) return {};
  try {
    const v = JSON.parse(answer.slice(start, end + 1)) as { commands?: unknown };
    return typeof v.commands === 'object' && v.commands !== null ? (v.commands as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Cells of the longest-common-subsequence table a diff may use; past it the differing stretch is shown removed and added whole. */
const MAX_DIFF_CELLS = 4_000_000;

/**
 * A unified diff (`---`/`+++`, `@@ -a,b +c,d @@` hunks, `context` lines around changes) of
 * two texts by lines: common ends stripped, then a longest common subsequence of the rest
 * (bounded by {@link MAX_DIFF_CELLS}). Empty when the texts are equal.
 */
export function unifiedDiff(oldText: string, newText: string, label: string, context = 3): string {
  if (oldText === newText) return '';
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const x = a.slice(pre, a.length - suf);
  const y = b.slice(pre, b.length - suf);
  const ops: Op[] = a.slice(0, pre).map((s) => ({ t: ' ', s }));
  const n = x.length;
  const m = y.length;
  if ((n + 1) * (m + 1) > MAX_DIFF_CELLS) {
    ops.push(...x.map((s): Op => ({ t: '-', s })), ...y.map((s): Op => ({ t: '+', s })));
  } else {
    // lcs[i][j]: common lines of x[i..] and y[j..].
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x[i] === y[j]) {
        ops.push({ t: ' ', s: x[i++]! });
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) ops.push({ t: '-', s: x[i++]! });
      else ops.push({ t: '+', s: y[j++]! });
    }
  }
  ops.push(...a.slice(a.length - suf).map((s): Op => ({ t: ' ', s })));
  return hunks(ops, label, context);
}

interface Op {
  t: ' ' | '-' | '+';
  s: string;
}

function hunks(ops: Op[], label: string, context: number): string {
  const out = [`--- a/${label}`, `+++ b/${label}`];
  const changed = ops.map((o, n) => (o.t !== ' ' ? n : -1)).filter((n) => n >= 0);
  let n = 0;
  while (n < changed.length) {
    let lo = Math.max(0, changed[n]! - context);
    let hi = Math.min(ops.length, changed[n]! + context + 1);
    while (n + 1 < changed.length && changed[n + 1]! - context <= hi) hi = Math.min(ops.length, changed[++n]! + context + 1);
    n++;
    let aStart = 1;
    let bStart = 1;
    for (let k = 0; k < lo; k++) {
      if (ops[k]!.t !== '+') aStart++;
      if (ops[k]!.t !== '-') bStart++;
    }
    const body = ops.slice(lo, hi);
    const aLen = body.filter((o) => o.t !== '+').length;
    const bLen = body.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen ? aStart : aStart - 1},${aLen} +${bLen ? bStart : bStart - 1},${bLen} @@`, ...body.map((o) => `${o.t}${o.s}`));
    lo = hi;
  }
  return out.join('\n') + '\n';
}
