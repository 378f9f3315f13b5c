/**
 * @module observe/assistant/narrative
 * The optional narrative of `baton explain`: the deterministic diagnosis is the evidence, the
 * model only tells it as a short story. The prompt carries the diagnosis (evidence with ids
 * `STEP:e1`, similar failures `STEP:s1`, changes, baton's own recoveries), masked and bounded
 * to {@link MAX_NARRATIVE_PROMPT_BYTES}. The answer is checked: a narrative that cites no
 * known evidence id is kept but marked unverified; a recovery it proposes is kept only when
 * it is a command baton has (./../diagnosis/apply.ts) on a known step, citing known evidence.
 */
import type { Diagnosis, StepDiagnosis } from '../diagnosis/index.js';
import { recoveryAction } from '../diagnosis/index.js';
import { errorMessage } from '../../shared/index.js';
import type { Assistant, ChatMessage } from './client.js';

/** Bytes the narrative prompt holds at most (system and user messages, after masking): 16 KiB. */
export const MAX_NARRATIVE_PROMPT_BYTES = 16 * 1024;
/** Characters of one evidence text quoted in the prompt at most. */
const MAX_QUOTE_CHARS = 600;

const SYSTEM = `You explain why a baton workflow run failed, for an operator, in at most 6 sentences.
Use only the facts given. Cite the evidence ids you rely on in square brackets, e.g. [fetch:e1].
Answer with one JSON object and nothing else:
{"narrative": "…", "recoveries": [{"command": "…", "reason": "…", "evidence": ["fetch:e1"]}]}
Recoveries are optional and must be baton commands of these forms only:
baton retry RUN --failed | baton retry RUN --from STEP | baton run FILE --param k=v`;

/** A recovery the model proposed that passed the checks. */
export interface ProposedRecovery {
  command: string;
  reason: string;
  /** Known evidence ids it cites (`STEP:e1`). */
  evidence: string[];
}

/** What the model said, checked. */
export interface Narrative {
  text: string;
  /** Known evidence ids the text cites. */
  cited: string[];
  /** False when the text cites no known evidence id: shown marked as unverified. */
  verified: boolean;
  recoveries: ProposedRecovery[];
  /** Proposed recoveries refused, with why. */
  discarded: { command: string; why: string }[];
}

/** The narrative, or why there is none (the deterministic diagnosis stands either way). */
export type NarrativeOutcome = { ok: true; narrative: Narrative; promptBytes: number; truncated: boolean } | { ok: false; unavailable: string };

/**
 * The prompt for a diagnosis: the system rules and one user message with the evidence,
 * cut at whole lines to fit {@link MAX_NARRATIVE_PROMPT_BYTES} (a last line says so).
 */
export function narrativePrompt(d: Diagnosis): { messages: ChatMessage[]; truncated: boolean } {
  const budget = MAX_NARRATIVE_PROMPT_BYTES - Buffer.byteLength(SYSTEM) - 200;
  const lines = [`run ${d.runId} of workflow ${d.workflow} (version ${d.version}) is ${d.state}.`];
  for (const s of d.steps) lines.push('', ...stepLines(s));
  const kept: string[] = [];
  let used = 0;
  let truncated = false;
  for (const l of lines) {
    const n = Buffer.byteLength(l) + 1;
    if (used + n > budget) {
      truncated = true;
      break;
    }
    kept.push(l);
    used += n;
  }
  if (truncated) kept.push(`(facts cut here: the prompt is bounded to ${MAX_NARRATIVE_PROMPT_BYTES} bytes)`);
  return { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: kept.join('\n') }], truncated };
}

function stepLines(s: StepDiagnosis): string[] {
  const q = (t: string): string => (t.length > MAX_QUOTE_CHARS ? `${t.slice(0, MAX_QUOTE_CHARS)}…` : t);
  const out = [`STEP ${s.stepId}, attempt ${s.attempt}, class ${s.class}: ${s.summary}`, 'evidence:'];
  for (const e of s.evidence) out.push(`[${s.stepId}:${e.id}] (${e.kind}${e.line !== undefined ? ` line ${e.line}` : ''}) ${q(e.text)}`);
  const c = s.changes;
  out.push(`changes since the last successful run: ${JSON.stringify({ baseline: c.baseline?.runId ?? null, version: c.version ?? null, params: c.params, worker: c.worker ?? null, duration: c.duration, peakRss: c.peakRss })}`);
  s.similar.items.slice(0, 5).forEach((f, i) => out.push(`[${s.stepId}:s${i + 1}] earlier failure ${f.runId}#${f.attempt} ended by ${f.endedBy}`));
  out.push("baton's recoveries, best first:");
  s.recoveries.forEach((r, i) => out.push(`${i + 1}. ${r.command} — ${r.reason}`));
  return out;
}

/** Known citation ids of a diagnosis: `STEP:e1`, `STEP:s1`. */
function knownIds(d: Diagnosis): Set<string> {
  const ids = new Set<string>();
  for (const s of d.steps) {
    for (const e of s.evidence) ids.add(`${s.stepId}:${e.id}`);
    s.similar.items.slice(0, 5).forEach((_, i) => ids.add(`${s.stepId}:s${i + 1}`));
  }
  return ids;
}

/**
 * Reads and checks the model's answer: JSON as asked (code fences allowed), else the whole
 * text as the narrative with no recoveries. A bare `e1` counts when only one step is
 * diagnosed. `stepIds` are the run's steps: a `--from` naming another is refused. `liveTags`
 * are the tags of the fleet's live workers (platforms included), undefined without a fleet:
 * a `--on` naming a tag none has, or any `--on` without a fleet, is refused.
 */
export function readNarrative(answer: string, d: Diagnosis, stepIds: readonly string[], liveTags?: readonly string[]): Narrative {
  const known = knownIds(d);
  const only = d.steps.length === 1 ? d.steps[0]!.stepId : undefined;
  const cites = (t: string): string[] => {
    const found = [...t.matchAll(/\b(?:([a-z0-9_-]+):)?([es]\d+)\b/g)].map((m) => (m[1] !== undefined ? `${m[1]}:${m[2]}` : only !== undefined ? `${only}:${m[2]}` : ''));
    return [...new Set(found.filter((id) => known.has(id)))];
  };
  const parsed = parseAnswer(answer);
  const text = (parsed?.narrative ?? answer).trim();
  const out: Narrative = { text, cited: cites(text), verified: false, recoveries: [], discarded: [] };
  out.verified = out.cited.length > 0;
  for (const r of parsed?.recoveries ?? []) {
    const action = recoveryAction(r.command, d.runId, stepIds);
    const ev = cites((r.evidence ?? []).join(' '));
    const on = 'refused' in action || action.kind !== 'rerun' ? undefined : action.selection.on;
    const lacking = on && liveTags ? on.filter((t) => !liveTags.includes(t)) : [];
    if ('refused' in action) out.discarded.push({ command: r.command, why: action.refused });
    else if (on && !liveTags) out.discarded.push({ command: r.command, why: '--on names worker tags, and this run has no fleet' });
    else if (lacking.length) out.discarded.push({ command: r.command, why: `no live worker has the tag ${lacking.join(', ')}` });
    else if (!ev.length) out.discarded.push({ command: r.command, why: 'it cites no known evidence' });
    else if (!out.recoveries.some((x) => x.command === r.command)) out.recoveries.push({ command: r.command, reason: r.reason ?? '', evidence: ev });
  }
  return out;
}

interface RawAnswer {
  narrative?: string;
  recoveries?: { command: string; reason?: string; evidence?: string[] }[];
}

/** The JSON object of an answer, shapes checked loosely; undefined when there is none. */
function parseAnswer(answer: string): RawAnswer | undefined {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(answer.slice(start, end + 1));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const out: RawAnswer = {};
  if (typeof o.narrative === 'string') out.narrative = o.narrative;
  if (Array.isArray(o.recoveries)) {
    out.recoveries = o.recoveries.flatMap((r: unknown) => {
      const x = r as Record<string, unknown> | null;
      if (!x || typeof x.command !== 'string') return [];
      return [{
        command: x.command,
        ...(typeof x.reason === 'string' ? { reason: x.reason } : {}),
        evidence: Array.isArray(x.evidence) ? x.evidence.filter((e): e is string => typeof e === 'string') : [],
      }];
    });
  }
  return out.narrative === undefined && out.recoveries === undefined ? undefined : out;
}

/**
 * Asks the model for the narrative of a diagnosis (streamed), never throwing: a timeout, an
 * error or an empty answer comes back as `unavailable` with why.
 */
export async function narrate(assistant: Assistant, d: Diagnosis, stepIds: readonly string[], liveTags?: readonly string[]): Promise<NarrativeOutcome> {
  if (!d.steps.length) return { ok: false, unavailable: 'no failed step to tell about' };
  const { messages, truncated } = narrativePrompt(d);
  try {
    const answer = await assistant.chat('explain', messages, { maxPromptBytes: MAX_NARRATIVE_PROMPT_BYTES, stream: true });
    if (!answer.trim()) return { ok: false, unavailable: 'the model answered nothing' };
    const promptBytes = messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    return { ok: true, narrative: readNarrative(answer, d, stepIds, liveTags), promptBytes, truncated };
  } catch (e) {
    return { ok: false, unavailable: errorMessage(e) };
  }
}
