/**
 * @module workflow/load
 * Workflow files: read, parse with positions, validate, check handlers. JSON is parsed
 * with the YAML parser too (JSON is YAML 1.2), so both get line and column numbers from
 * the same document tree.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { buildSpec, checkWorkflow } from './compile.js';
import { HandlerLoadError, WorkflowValidationError } from './errors.js';
import type { SpecError, SpecErrorCode } from './errors.js';
import { loadHandler } from './handlers.js';
import { toSpecError } from './issues.js';
import type { Issue, PathSegment } from './issues.js';
import type { StepAction, WorkflowSpec } from './model.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The outcome of {@link validateWorkflowFile}: a spec when there are no errors. */
export interface ValidationResult {
  /** The compiled workflow, when there are no errors. */
  spec?: WorkflowSpec;
  /** Every problem found; empty when valid. */
  errors: SpecError[];
}

/**
 * Reads and validates a workflow file (`.yaml`, `.yml` or `.json`) and imports its
 * handler modules to check each `uses` export exists. Never throws for bad input: every
 * problem is returned, each with file, 1-based line and column, and field path.
 * Errors are sorted by position.
 */
export async function validateWorkflowFile(path: string): Promise<ValidationResult> {
  const fail = (code: SpecErrorCode, message: string): ValidationResult => ({ errors: [{ code, message, path: '', file: path }] });
  if (!EXTENSIONS.has(extname(path).toLowerCase())) return fail('file-read', `expected a .yaml, .yml or .json file, got "${extname(path) || path}"`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return fail('file-read', `cannot read workflow file: ${(e as Error).message}`);
  }
  return validateWorkflowText(text, { label: path, baseDir: dirname(resolve(path)), sourcePath: path });
}

/**
 * Validates a workflow given as text (YAML or JSON), as {@link validateWorkflowFile} does a
 * file: what the HTTP API uses for a workflow sent in a request body.
 * `o.label` is the name errors carry as `file` (e.g. `request body`); `o.baseDir` the folder
 * `uses` module paths are resolved from; `o.sourcePath` the file it came from, if any.
 */
export async function validateWorkflowText(text: string, o: { label: string; baseDir: string; sourcePath?: string }): Promise<ValidationResult> {
  const path = o.label;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const locate = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      errors: doc.errors.map((e) => ({
        code: 'yaml-syntax',
        // prettyErrors appends " at line X, column Y:" and a code frame; we carry the position as fields.
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
        path: '',
        file: path,
        ...locate(e.pos[0]),
      })),
    };
  }
  const raw: unknown = doc.toJS();
  const { parsed, issues } = checkWorkflow(raw);
  const positioned = (list: Issue[]): SpecError[] =>
    list.map((issue) => ({ ...toSpecError(issue, path), ...locate(offsetOf(doc, issue.path, issue.atKey ?? false)) })).sort(byPosition);
  if (parsed === undefined) return { errors: positioned(issues) };
  const spec = buildSpec(parsed, { baseDir: o.baseDir, ...(o.sourcePath !== undefined ? { sourcePath: o.sourcePath } : {}) });
  const handlerIssues = await findHandlerIssues(spec);
  return handlerIssues.length > 0 ? { errors: positioned(handlerIssues) } : { spec, errors: [] };
}

/**
 * Loads a workflow file into a compiled spec; see {@link validateWorkflowFile} for what is
 * checked.
 * @throws WorkflowValidationError with every problem found (with positions).
 */
export async function loadWorkflowFile(path: string): Promise<WorkflowSpec> {
  const { spec, errors } = await validateWorkflowFile(path);
  if (spec === undefined) throw new WorkflowValidationError(errors);
  return spec;
}

const HANDLER_CODES = {
  'module-not-found': 'handler-not-found',
  'export-not-found': 'handler-export-not-found',
  'not-a-function': 'handler-not-a-function',
  'import-failed': 'handler-import-failed',
} as const;

/**
 * Imports every module-path `uses` handler of a compiled spec (relative to
 * `spec.baseDir`) and reports each that is missing, fails to load, or lacks its export,
 * at path `steps[i].uses` (no line/column: the spec has no document). Inline function
 * handlers need no check. Useful for workflows defined in TypeScript.
 */
export async function checkHandlers(spec: WorkflowSpec): Promise<SpecError[]> {
  return (await findHandlerIssues(spec)).map((issue) => toSpecError(issue, spec.sourcePath));
}

async function findHandlerIssues(spec: WorkflowSpec): Promise<Issue[]> {
  const issues: Issue[] = [];
  for (const [index, step] of spec.steps.entries()) {
    const actions: [StepAction | undefined, PathSegment[]][] = [
      [step.action, ['steps', index, 'uses']],
      [step.batch?.validate, ['steps', index, 'batch', 'validate', 'uses']],
      [step.batch?.consolidate, ['steps', index, 'batch', 'consolidate', 'uses']],
    ];
    for (const [action, path] of actions) {
      if (action?.kind !== 'uses' || typeof action.handler !== 'string') continue;
      try {
        await loadHandler(action.handler, spec.baseDir);
      } catch (e) {
        if (!(e instanceof HandlerLoadError)) throw e;
        issues.push({ code: HANDLER_CODES[e.reason], message: e.message, path });
      }
    }
  }
  return issues;
}

/** Finds where a path points in the document; a missing node falls back to its nearest present parent. */
function offsetOf(doc: Document, path: readonly PathSegment[], atKey: boolean): number {
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

function byPosition(a: SpecError, b: SpecError): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path);
}
