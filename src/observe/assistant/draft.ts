/**
 * @module observe/assistant/draft
 * `baton draft "DESCRIPTION"`: a workflow written by the model from the workflow JSON Schema
 * and baton's examples, validated by baton's own validator (`baton validate`), with the
 * validation errors fed back for at most {@link MAX_DRAFT_REPAIRS} repairs.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpecError, WorkflowSpec } from '../../workflow/index.js';
import { formatSpecError, validateWorkflowText, workflowJsonSchema } from '../../workflow/index.js';
import type { Assistant, ChatMessage } from './client.js';

/** Repairs asked for at most after the first draft. */
export const MAX_DRAFT_REPAIRS = 3;
/** Bytes a draft prompt holds at most (schema, examples, description, conversation): 96 KiB. */
export const MAX_DRAFT_PROMPT_BYTES = 96 * 1024;
/** Bytes of examples put in the prompt at most (smallest files first): 24 KiB. */
export const MAX_EXAMPLE_BYTES = 24 * 1024;

/** The folder of baton's example workflows: in a source checkout, and in the npm package (its `*.yaml` files only). */
const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** A workflow file given to the model as an example. */
export interface DraftExample {
  name: string;
  text: string;
}

/**
 * The example workflow files (`*.yaml` under `dir`), smallest first, as many as fit
 * {@link MAX_EXAMPLE_BYTES}; none when the folder is absent.
 */
export function draftExamples(dir: string = EXAMPLES_DIR): DraftExample[] {
  const files: { path: string; size: number }[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(n)) files.push({ path: p, size: st.size });
    }
  };
  walk(dir);
  files.sort((a, b) => a.size - b.size || a.path.localeCompare(b.path));
  const out: DraftExample[] = [];
  let used = 0;
  for (const f of files) {
    if (used + f.size > MAX_EXAMPLE_BYTES) continue;
    out.push({ name: relative(dir, f.path), text: readFileSync(f.path, 'utf8') });
    used += f.size;
  }
  return out;
}

/** Options of {@link draftWorkflow}. */
export interface DraftOptions {
  /** Folder `uses` handler paths resolve from, as for the file being written. */
  baseDir: string;
  /** Label of the text in validation errors. @default 'draft.yaml' */
  label?: string;
  /** @default draftExamples() */
  examples?: DraftExample[];
}

/** The outcome of {@link draftWorkflow}: the last YAML, and its spec when valid. */
export interface DraftResult {
  yaml: string;
  spec?: WorkflowSpec;
  /** The last validation errors; empty when valid. */
  errors: SpecError[];
  /** Answers asked for: 1 + repairs. */
  attempts: number;
}

const SYSTEM = `You write workflow files for baton, a workflow engine. Answer with the YAML of one workflow
and nothing else (no prose; a \`\`\`yaml fence is allowed). The file must satisfy this JSON Schema:
`;

/**
 * Drafts a workflow from a description: the first answer is validated with baton's validator
 * and, while it is invalid, the errors (as `baton validate` prints them) are sent back for a
 * repair, at most {@link MAX_DRAFT_REPAIRS} times.
 * @throws AssistantError when an exchange fails or the prompt outgrows {@link MAX_DRAFT_PROMPT_BYTES}.
 */
export async function draftWorkflow(assistant: Assistant, description: string, o: DraftOptions): Promise<DraftResult> {
  const label = o.label ?? 'draft.yaml';
  const examples = (o.examples ?? draftExamples()).map((e) => `# example: ${e.name}\n${e.text}`).join('\n---\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: SYSTEM + JSON.stringify(workflowJsonSchema()) + (examples ? `\n\nExamples of valid files:\n${examples}` : '') },
    { role: 'user', content: description },
  ];
  let result: DraftResult = { yaml: '', errors: [], attempts: 0 };
  for (let attempt = 1; attempt <= 1 + MAX_DRAFT_REPAIRS; attempt++) {
    const answer = await assistant.chat(attempt === 1 ? 'draft' : 'draft-repair', messages, { maxPromptBytes: MAX_DRAFT_PROMPT_BYTES });
    const yaml = yamlOf(answer);
    const { spec, errors } = await validateWorkflowText(yaml, { label, baseDir: o.baseDir });
    result = { yaml, errors, attempts: attempt, ...(spec ? { spec } : {}) };
    if (spec) return result;
    messages.push({ role: 'assistant', content: answer }, { role: 'user', content: repairRequest(errors) });
  }
  return result;
}

/** The repair request: every validation error as `baton validate` prints it. */
export function repairRequest(errors: readonly SpecError[]): string {
  return `baton validate rejected that file:\n${errors.map((e) => `  ${formatSpecError(e)}`).join('\n')}\nAnswer with the whole corrected YAML file.`;
}

/** The YAML of an answer: the first fenced block's content if there is one, else the whole text. */
export function yamlOf(answer: string): string {
  const m = /```(?:ya?ml)?[^\n]*\n([\s\S]*?)```/.exec(answer);
  const text = (m ? m[1]! : answer).replace(/^\s*\n/, '');
  return text.endsWith('\n') ? text : `${text}\n`;
}
