/**
 * @module workflow/load
 * Workflow files: read (bounded), parse with positions, validate, check handlers. JSON is
 * checked strictly first, then parsed with the YAML parser too (JSON is YAML 1.2), so both
 * get line and column numbers from the same document tree.
 */
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { buildSpec, checkWorkflow } from './compile.js';
import { HandlerLoadError, WorkflowValidationError } from './errors.js';
import type { SpecError, SpecErrorCode } from './errors.js';
import { loadHandler } from './handlers.js';
import { formatPath, toSpecError } from './issues.js';
import type { Issue, PathSegment } from './issues.js';
import { MAX_WORKFLOW_BYTES } from './limits.js';
import { byPosition, offsetOf, parseSource } from './source.js';
import type { SourceFormat } from './source.js';
import { byFileThenPosition, expandTemplates, positionIssue } from './templates.js';
import type { TemplateSource } from './templates.js';
import { errorMessage } from '../shared/index.js';
import type { StepAction, WorkflowSpec } from './model.js';

export { byPosition, offsetOf };

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The outcome of {@link validateWorkflowFile}: a spec when there are no errors. */
export interface ValidationResult {
  /** The compiled workflow, when there are no errors. */
  spec?: WorkflowSpec;
  /** Every problem found; empty when valid. */
  errors: SpecError[];
  /**
   * Absolute paths of the shared template files its steps `extend` (read, or tried): a change
   * to one changes the workflow (a server reloads it). Absent when there are none.
   */
  templateFiles?: string[];
}

/**
 * Reads and validates a workflow file (`.yaml`, `.yml` or `.json`) and imports its
 * handler modules to check each `uses` export exists. Never throws for bad input: every
 * problem is returned, each with file, 1-based line and column, and field path.
 * Errors are sorted by position.
 *
 * The file must be a regular file (after following links) of at most
 * {@link MAX_WORKFLOW_BYTES} (1 MiB), else one `file-read` error: a FIFO or a device such as
 * `/dev/zero` is refused before it is read. `.json` files are strict JSON.
 */
export async function validateWorkflowFile(path: string, chain: readonly string[] = []): Promise<ValidationResult> {
  const fail = (code: SpecErrorCode, message: string): ValidationResult => ({ errors: [{ code, message, path: '', file: path }] });
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.has(ext)) return fail('file-read', `expected a .yaml, .yml or .json file, got "${ext || path}"`);
  const read = await readBounded(path);
  if (typeof read !== 'string') return fail('file-read', read.problem);
  return validateWorkflowText(read, { label: path, baseDir: dirname(resolve(path)), sourcePath: path, format: ext === '.json' ? 'json' : 'yaml', chain });
}

/** Sub-workflow files are followed this deep when validating (the runtime's depth limit). */
const MAX_CHILD_DEPTH = 5;

/**
 * Issues of the sub-workflow steps that name a file: a file that calls itself again down the
 * chain (a cycle, which would only end at the depth limit), and a child file that does not
 * validate, each at the step's `workflow` field. Files are followed {@link MAX_CHILD_DEPTH} deep.
 */
async function findChildIssues(spec: WorkflowSpec, chain: readonly string[]): Promise<Issue[]> {
  const issues: Issue[] = [];
  const here = spec.sourcePath === undefined ? chain : [...chain, resolve(spec.sourcePath)];
  const sections = { steps: 0, onFailure: 0, finally: 0 };
  for (const step of spec.steps) {
    const section = step.hook ?? 'steps';
    const index = sections[section]++;
    if (step.action.kind !== 'workflow' || !('path' in step.action.workflow)) continue;
    const path = resolve(spec.baseDir, step.action.workflow.path);
    const at: PathSegment[] = [section, index, 'workflow'];
    if (here.includes(path)) {
      const names = [...here.slice(here.indexOf(path)), path].map((p) => p.slice(p.lastIndexOf('/') + 1));
      issues.push({ code: 'cycle', message: `sub-workflows form a cycle: ${names.join(' -> ')}`, path: at });
      continue;
    }
    if (here.length >= MAX_CHILD_DEPTH) continue;
    const child = await validateWorkflowFile(path, here);
    const first = child.errors[0];
    if (first !== undefined) {
      const where = first.line !== undefined ? `${first.file}:${first.line}:${first.column ?? 1}` : first.file;
      issues.push({ code: 'invalid-value', message: `sub-workflow ${step.action.workflow.path} is invalid: ${where} ${first.message}${child.errors.length > 1 ? ` (and ${child.errors.length - 1} more)` : ''}`, path: at });
    }
  }
  return issues;
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The file's text, or why it was refused. Checks the kind and size with `stat` before opening, and again on the open handle. */
export async function readBounded(path: string, what = 'workflow file'): Promise<string | { problem: string }> {
  const refuse = (info: Stats): { problem: string } | undefined => {
    if (!info.isFile()) return { problem: `cannot read ${what}: it is ${kindOf(info)}; it must be a regular file` };
    if (info.size > MAX_WORKFLOW_BYTES) return { problem: `${what} is ${info.size.toLocaleString('en-US')} bytes: at most ${MAX_WORKFLOW_BYTES.toLocaleString('en-US')} (1 MiB)` };
    return undefined;
  };
  try {
    // stat follows links, so a link to /dev/zero or a FIFO is seen for what it points to.
    const before = refuse(await stat(path));
    if (before !== undefined) return before;
    // O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it does not hang.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const after = refuse(await handle.stat());
      if (after !== undefined) return after;
      // Read one byte past the limit, so a file that grew after stat is caught too.
      const buffer = Buffer.alloc(MAX_WORKFLOW_BYTES + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > MAX_WORKFLOW_BYTES) return { problem: `${what} is larger than ${MAX_WORKFLOW_BYTES.toLocaleString('en-US')} bytes (1 MiB)` };
      }
      return buffer.subarray(0, length).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (e) {
    return { problem: `cannot read ${what}: ${errorMessage(e)}` };
  }
}

/**
 * Validates a workflow given as text (YAML or JSON), as {@link validateWorkflowFile} does a
 * file, with the same bounds: what the HTTP API uses for a workflow sent in a request body.
 * `o.label` is the name errors carry as `file` (e.g. `request body`); `o.baseDir` the folder
 * `uses` module paths are resolved from; `o.sourcePath` the file it came from, if any;
 * `o.format` `json` to parse strict JSON (@default 'yaml', which also reads JSON); `o.chain` the
 * files of the sub-workflow steps that led here, to tell a cycle of files calling each other.
 */
export async function validateWorkflowText(text: string, o: { label: string; baseDir: string; sourcePath?: string; format?: SourceFormat; chain?: readonly string[] }): Promise<ValidationResult> {
  const path = o.label;
  const source = parseSource(text, path, o.format ?? 'yaml');
  if (!source.ok) return { errors: source.errors };
  const main: TemplateSource = { label: path, dir: resolve(o.baseDir), doc: source.doc, raw: source.raw, locate: source.locate };
  // Templates first: every later check sees each step as it will run.
  const expansion = await expandTemplates(main, readTemplateFile);
  const { parsed, issues } = checkWorkflow(expansion.raw);
  const order = byFileThenPosition(path);
  const positioned = (list: Issue[]): SpecError[] => list
    // A step whose template could not be applied would only repeat that problem as missing fields.
    .filter((issue) => !(typeof issue.path[0] === 'string' && typeof issue.path[1] === 'number' && expansion.failed.has(formatPath(issue.path.slice(0, 2)))))
    .map((issue) => positionIssue(issue, main, expansion.origins));
  const used = expansion.files.length > 0 ? { templateFiles: expansion.files } : {};
  if (expansion.errors.length > 0 || parsed === undefined) return { errors: [...expansion.errors, ...positioned(issues)].sort(order), ...used };
  const spec = buildSpec(parsed, { baseDir: o.baseDir, ...(o.sourcePath !== undefined ? { sourcePath: o.sourcePath } : {}) });
  const handlerIssues = [...await findHandlerIssues(spec), ...await findChildIssues(spec, o.chain ?? [])];
  return handlerIssues.length > 0 ? { errors: positioned(handlerIssues).sort(order), ...used } : { spec, errors: [], ...used };
}

/**
 * Whether workflow text is a shared template file rather than a workflow: a map with
 * `templates` and no `steps`. What a server's folder scan uses to leave such files to the
 * workflows that extend them. Never throws; text that does not parse is not one.
 */
export function isTemplateFileText(text: string, format: SourceFormat = 'yaml'): boolean {
  const source = parseSource(text, '', format);
  if (!source.ok) return false;
  const raw = source.raw;
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'templates' in raw && !('steps' in raw);
}

/**
 * Reads a shared template file (`extend: ./shared.yaml#name`): bounded like a workflow file,
 * parsed with positions, and holding only `templates:` (and a `description`).
 */
async function readTemplateFile(absPath: string): Promise<TemplateSource | SpecError[]> {
  // As a workflow file is named on the command line: relative to the working folder when inside it.
  const rel = relative(process.cwd(), absPath);
  const label = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? absPath : rel;
  const read = await readBounded(absPath, 'template file');
  if (typeof read !== 'string') return [{ code: 'file-read', message: read.problem, path: '', file: label }];
  const source = parseSource(read, label, extname(absPath).toLowerCase() === '.json' ? 'json' : 'yaml');
  if (!source.ok) return source.errors;
  const file: TemplateSource = { label, dir: dirname(absPath), doc: source.doc, raw: source.raw, locate: source.locate };
  const raw = source.raw;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('templates' in raw)) {
    return [{ code: 'missing-field', message: 'a shared template file holds templates: { NAME: { run, retry, … } }', path: '', file: label, line: 1, column: 1 }];
  }
  const problems = Object.keys(raw).filter((k) => k !== 'templates' && k !== 'description').map((k): SpecError => ({
    code: 'unknown-field', message: `unknown field "${k}": a shared template file holds only templates (and a description)`, path: k, file: label,
    ...source.locate(offsetOf(source.doc, [k], true)),
  }));
  return problems.length ? problems : file;
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
