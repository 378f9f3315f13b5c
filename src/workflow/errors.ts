import { BatonError } from '../shared/index.js';
/**
 * @module workflow/errors
 * The typed errors of the spec layer. Validation problems are plain, serializable
 * `SpecError` records (so the CLI, the API and the dashboard can all show them) collected
 * into one `WorkflowValidationError`; the other classes are local errors with typed fields,
 * so callers branch on fields, never on message text.
 */

/**
 * What kind of problem a {@link SpecError} reports. Stable: tools may branch on it.
 * - `yaml-syntax` the file is not well-formed YAML/JSON (or strict JSON for `.json`, or has an
 *   alias bomb or an undefined alias); `duplicate-key` a map repeats a key; `file-read` it could
 *   not be read (missing, not a regular file, larger than 1 MiB)
 * - `invalid-type`, `invalid-value`, `missing-field`, `unknown-field`, `out-of-range`: shape problems
 * - `duplicate-id`, `invalid-id`, `unknown-needs`, `cycle`: the step graph (and schedule names)
 * - `bad-cron`, `bad-timezone`, `unknown-param`: a `schedule` entry
 * - `bad-duration`, `bad-expression`, `step-not-upstream`: values
 * - `expression-in-run`: `${{ }}` where a value would become code (`run`, `shell`, an env var
 *   that chooses the program such as PATH or LD_PRELOAD unless marked `trusted`)
 * - `out-of-range` also reports every size bound (lengths, nesting depth, counts), naming the maximum
 * - `run-and-uses`, `no-action`, `with-without-uses`: a step's kind
 * - `handler-not-found`, `handler-export-not-found`, `handler-not-a-function`, `handler-import-failed`
 * - `unknown-pool`, `param-default-type`
 * - `duplicate-secret`, `unknown-secret` (a `webhook.secret` that names no declared secret)
 * - `unknown-template`, `template-cycle`, `template-arg`: a step's `extend` names no template,
 *   templates extend each other in a circle, or its `args` miss, add or mistype a template param
 */
export type SpecErrorCode =
  | 'yaml-syntax' | 'duplicate-key' | 'file-read'
  | 'invalid-type' | 'invalid-value' | 'missing-field' | 'unknown-field' | 'out-of-range'
  | 'duplicate-id' | 'invalid-id' | 'unknown-needs' | 'cycle' | 'hook-needs'
  | 'bad-cron' | 'bad-timezone' | 'unknown-param'
  | 'bad-duration' | 'bad-expression' | 'expression-in-run' | 'step-not-upstream'
  | 'run-and-uses' | 'no-action' | 'with-without-uses'
  | 'handler-not-found' | 'handler-export-not-found' | 'handler-not-a-function' | 'handler-import-failed'
  | 'unknown-pool' | 'param-default-type'
  | 'duplicate-secret' | 'unknown-secret'
  | 'unknown-template' | 'template-cycle' | 'template-arg';

/**
 * Where a step took a field from a template: the template's name and the step's `extend`
 * line. Set on a {@link SpecError} whose `file`/`line` point into the template (possibly a
 * shared file), so the reader sees both the template's field and the step that used it.
 */
export interface ExtendedBy {
  /** The template, as the step's `extend` names it (`python`, `./shared/templates.yaml#python`). */
  template: string;
  /** The step's id, when it has a string id. */
  step?: string;
  /** The step's path, e.g. `steps[1]`. */
  path: string;
  /** The workflow file holding the step's `extend`. */
  file?: string;
  /** 1-based line of the step's `extend`. */
  line?: number;
  /** 1-based column of the step's `extend`. */
  column?: number;
}

/**
 * One problem found in a workflow definition.
 *
 * `path` is the field path in JavaScript accessor style, with array positions as indexes:
 * `steps[2].needs[0]`, `steps[0].retry.delay`, `params.region.default`; keys that are not
 * identifiers are quoted (`env["MY-VAR"]`). The empty string means the whole document.
 * `line` and `column` are 1-based and present when the definition came from a file.
 */
export interface SpecError {
  /** A stable, machine-readable kind of problem. */
  code: SpecErrorCode;
  /** One sentence, without the suggestion (see `suggestion`). */
  message: string;
  /** The field, e.g. `steps[1].batch.groupSize`; empty for the whole document. */
  path: string;
  /** The definition file, when it was loaded from one. */
  file?: string;
  /** 1-based line of the field in `file`, when known. */
  line?: number;
  /** 1-based column of the field in `file`, when known. */
  column?: number;
  /** A likely intended value ("did you mean"), e.g. the closest known step id or field name. */
  suggestion?: string;
  /** Set when the field came from a template: the step that extended it (see {@link ExtendedBy}). */
  extendedBy?: ExtendedBy;
}

/**
 * Formats one error for a terminal, compiler style, so editors can jump to it:
 * `file:line:col  path  message (did you mean 'x'?)`. Parts that are unknown are left out.
 * An error inside a template adds the step that extended it:
 * `shared/t.yaml:4:10  steps[1].retry.attempts  … (in template "./shared/t.yaml#python", extended by step "load" at flow.yaml:12:5)`.
 */
export function formatSpecError(e: SpecError): string {
  const location = at(e.file, e.line, e.column);
  const hint = e.suggestion === undefined ? '' : ` (did you mean '${e.suggestion}'?)`;
  const via = e.extendedBy;
  const origin = via === undefined
    ? ''
    : ` (in template "${via.template}", extended by ${via.step === undefined ? via.path : `step "${via.step}"`}${at(via.file, via.line, via.column) ? ` at ${at(via.file, via.line, via.column)}` : ''})`;
  return [location, e.path, `${e.message}${hint}${origin}`].filter((part) => part !== '').join('  ');
}

function at(file: string | undefined, line: number | undefined, column: number | undefined): string {
  let location = file ?? '';
  if (line !== undefined) location += `${location ? ':' : ''}${line}:${column ?? 1}`;
  return location;
}

/**
 * Thrown by `compileWorkflow` and `loadWorkflowFile` when a definition is invalid.
 * `errors` holds every problem found, not only the first; the message lists them all.
 */
export class WorkflowValidationError extends BatonError {
  /** Every problem found, in document order. */
  readonly errors: SpecError[];

  constructor(errors: SpecError[], workflowName?: string, options?: ErrorOptions) {
    const what = workflowName === undefined ? 'workflow' : `workflow "${workflowName}"`;
    const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
    super('workflow-invalid', `${what} is invalid (${count}):\n${errors.map((e) => `  ${formatSpecError(e)}`).join('\n')}`, options);
    this.errors = errors;
  }
}

/**
 * Thrown by `resolveParams` when a run's params do not fit the workflow's declaration.
 * `problems` holds one sentence per problem (missing, unknown, wrong type), all of them.
 */
export class ParamError extends BatonError {
  /** One sentence per problem. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super('params-invalid', `invalid params:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/**
 * Thrown when an expression cannot be parsed, uses something outside the allowed
 * grammar (calls, `this`, prototype keys, unknown roots), or fails while evaluating.
 * `source` is the expression text without the `${{ }}` wrapper.
 */
export class ExpressionError extends BatonError {
  /** The expression's text, as written inside `${{ }}`. */
  readonly source: string;

  constructor(message: string, source: string, options?: ErrorOptions) {
    super('expression', message, options);
    this.source = source;
  }
}

/** Why a handler could not be loaded. `import-failed` means the module exists but threw while loading. */
export type HandlerLoadFailure = 'module-not-found' | 'export-not-found' | 'not-a-function' | 'import-failed';

/**
 * Thrown by `loadHandler`. `modulePath` is the absolute module path, `exportName` the
 * export that was asked for (`default` when the ref has no `#`). An `import-failed`
 * error keeps the module's own error as `cause`.
 */
export class HandlerLoadError extends BatonError {
  /** Why it could not be loaded. */
  readonly reason: HandlerLoadFailure;
  /** The module's absolute path. */
  readonly modulePath: string;
  /** The export asked for (`default` when the ref has no `#`). */
  readonly exportName: string;

  constructor(reason: HandlerLoadFailure, modulePath: string, exportName: string, message: string, options?: ErrorOptions) {
    super('handler-load', message, options);
    this.reason = reason;
    this.modulePath = modulePath;
    this.exportName = exportName;
  }
}
