/**
 * @module workflow/templates
 * Step templates: `templates:` in a workflow (or a shared file) holds partial steps, and a
 * step's `extend:` copies one in before validation, so every check runs on the step as it
 * will execute. `args:` binds the template's `params` (not `with:`, which already holds a
 * handler's inputs), written `${{ template.NAME }}` inside the template. The expansion keeps,
 * for every field it copied, the file and path it came from, so an error in an expanded step
 * points at the template's field and names the step's `extend` line.
 */
import { extname, resolve } from 'node:path';
import type { Document } from 'yaml';
import type { ExtendedBy, SpecError, SpecErrorCode } from './errors.js';
import { formatPath, suggest, toSpecError } from './issues.js';
import type { Issue, PathSegment } from './issues.js';
import { matchesParamType } from './params.js';
import type { JsonValue, ParamType } from './model.js';
import { MAX_SCALARS, offsetOf } from './source.js';

/** A file templates are read from: the workflow itself or a shared file, parsed with positions. */
export interface TemplateSource {
  /** The name errors carry as `file`. */
  label: string;
  /** The folder `./other.yaml#name` references in this file resolve from. */
  dir: string;
  /** The parsed document, for positions of fields. */
  doc: Document;
  /** The document as a plain value. */
  raw: unknown;
  /** Character offset -> 1-based line and column. */
  locate: (offset: number) => { line: number; column: number };
}

/** Reads a shared template file by absolute path: its parsed source, or the errors that stopped it. */
export type TemplateFileReader = (absPath: string) => Promise<TemplateSource | SpecError[]>;

/** Where one field of an expanded step came from. */
export interface FieldOrigin {
  /** The file the field was written in. */
  source: TemplateSource;
  /** The field's path inside `source` (e.g. `templates.python.run`). */
  path: PathSegment[];
}

/** What an expanded step took from templates; errors on these fields point into the template. */
export interface StepOrigin {
  /** The step's path in the workflow, e.g. `['steps', 1]`. */
  stepPath: PathSegment[];
  /** What errors on its template fields carry. */
  extendedBy: ExtendedBy;
  /** Field name -> where the template wrote it. */
  fields: Map<string, FieldOrigin>;
}

/** The result of {@link expandTemplates}. */
export interface Expansion {
  /** The workflow with `templates` removed and every `extend`/`args` step expanded. */
  raw: unknown;
  /** Problems of the expansion itself, positioned. */
  errors: SpecError[];
  /** One entry per step that extended a template, keyed by `formatPath(stepPath)`. */
  origins: Map<string, StepOrigin>;
  /** Steps whose expansion failed (same keys): their other problems would only repeat these. */
  failed: Set<string>;
  /** Absolute paths of the shared template files read, in the order first read. */
  files: string[];
}

/** Most templates one step may go through (`extend` of `extend` …). */
export const MAX_TEMPLATE_DEPTH = 16;
/** Most shared template files one workflow may read. */
export const MAX_TEMPLATE_FILES = 64;
/**
 * Most values (scalars, maps, lists) all expansions of one workflow may copy: the bound of one
 * document's values ({@link MAX_SCALARS}), so 10,000 steps extending a large template cannot
 * grow a 1 MiB file into gigabytes, as an alias bomb would.
 */
export const MAX_EXPANDED_VALUES = MAX_SCALARS;

const SECTIONS = ['steps', 'onFailure', 'finally'] as const;
/** Fields that say what a step does: a step that sets one replaces all of the template's. */
const ACTION_FIELDS = ['run', 'uses', 'http', 'with'];
const TEMPLATE_NAME = /^[A-Za-z0-9_-]+$/;
const SHARED_REF = /^((?:\.{1,2}\/|\/)[^#]+)#([A-Za-z0-9_-]+)$/;
const ARG_REF = /\$\{\{\s*template\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const ANY_TEMPLATE_REF = /\$\{\{\s*template\b/;
const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean', 'array', 'object'];
const PARAM_KEYS = ['type', 'default', 'description'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Resolved { source: TemplateSource; name: string; path: PathSegment[]; def: unknown; key: string }

/**
 * Expands every step's `extend` in `main.raw`. Shared files are read through `read` (once
 * each, at most {@link MAX_TEMPLATE_FILES}); a template may itself `extend` another, at most
 * {@link MAX_TEMPLATE_DEPTH} deep, and a circle is a `template-cycle` error. Never throws for
 * bad input.
 */
export async function expandTemplates(main: TemplateSource, read: TemplateFileReader): Promise<Expansion> {
  const errors: SpecError[] = [];
  const origins = new Map<string, StepOrigin>();
  const failed = new Set<string>();
  if (!isObj(main.raw)) return { raw: main.raw, errors, origins, failed, files: [] };
  const files = new Map<string, Promise<TemplateSource | SpecError[]>>();
  const ctx: Ctx = { main, read, files, errors, copied: 0 };
  const { templates, ...rest } = main.raw;
  if (templates !== undefined && !isObj(templates)) {
    errors.push(err(main, ['templates'], 'invalid-type', 'templates must be a map of template name to a partial step'));
  } else if (templates !== undefined) {
    for (const name of Object.keys(templates)) {
      if (!TEMPLATE_NAME.test(name)) errors.push(err(main, ['templates', name], 'invalid-id', 'template names use letters, digits, "_" and "-"', true));
    }
  }
  const out: Obj = { ...rest };
  for (const section of SECTIONS) {
    const list = rest[section];
    if (!Array.isArray(list)) continue;
    const expandedList: unknown[] = [];
    // One step at a time: which step an error belongs to is read from the error count.
    for (const [index, step] of list.entries()) {
      if (!isObj(step) || (step.extend === undefined && step.args === undefined)) {
        expandedList.push(step);
        continue;
      }
      const stepPath: PathSegment[] = [section, index];
      const key = formatPath(stepPath);
      const before = errors.length;
      const expanded = await expandStep(ctx, step, stepPath);
      if (expanded.origin) origins.set(key, expanded.origin);
      if (errors.length > before || ctx.copied > MAX_EXPANDED_VALUES) failed.add(key);
      expandedList.push(expanded.step);
    }
    out[section] = expandedList;
  }
  return { raw: out, errors, origins, failed, files: [...files.keys()].filter((k) => !k.startsWith('reported:')) };
}

interface Ctx {
  main: TemplateSource;
  read: TemplateFileReader;
  files: Map<string, Promise<TemplateSource | SpecError[]>>;
  errors: SpecError[];
  /** Values copied so far, against {@link MAX_EXPANDED_VALUES}. */
  copied: number;
}

function err(source: TemplateSource, path: PathSegment[], code: SpecErrorCode, message: string, atKey = false, extra: Partial<SpecError> = {}): SpecError {
  return { code, message, path: formatPath(path), file: source.label, ...source.locate(offsetOf(source.doc, path, atKey)), ...extra };
}

async function expandStep(ctx: Ctx, step: Obj, stepPath: PathSegment[]): Promise<{ step: Obj; origin?: StepOrigin }> {
  const { extend, args, ...own } = step;
  const { main, errors } = ctx;
  if (extend === undefined) {
    errors.push(err(main, [...stepPath, 'args'], 'template-arg', 'args are values for a template\'s params: the step needs extend: TEMPLATE too', true));
    return { step: own };
  }
  if (typeof extend !== 'string') {
    errors.push(err(main, [...stepPath, 'extend'], 'invalid-type', 'extend must name a template: NAME, or ./file.yaml#NAME for one in a shared file'));
    return { step: own };
  }
  const where = main.locate(offsetOf(main.doc, [...stepPath, 'extend'], false));
  const extendedBy: ExtendedBy = { template: extend, path: formatPath(stepPath), file: main.label, ...where };
  if (typeof own.id === 'string') extendedBy.step = own.id;
  const resolved = await resolveRef(ctx, extend, main, [...stepPath, 'extend'], extendedBy);
  if (resolved === undefined) return { step: own };
  const fields = await instantiate(ctx, resolved, args, { source: main, path: [...stepPath, 'args'] }, [], extendedBy);
  if (fields === undefined) return { step: own };
  const setsAction = ACTION_FIELDS.some((f) => f !== 'with' && own[f] !== undefined);
  const merged: Obj = {};
  const origin: StepOrigin = { stepPath, extendedBy, fields: new Map() };
  for (const [name, field] of fields) {
    if (own[name] !== undefined || (setsAction && ACTION_FIELDS.includes(name))) continue;
    merged[name] = field.value;
    origin.fields.set(name, field.origin);
  }
  // The step's own fields win and keep its key order after the template's.
  return { step: { ...merged, ...own }, origin };
}

/** Finds the template a reference names, reading its shared file if needed; undefined after recording why not. */
async function resolveRef(ctx: Ctx, ref: string, from: TemplateSource, at: PathSegment[], via: ExtendedBy): Promise<Resolved | undefined> {
  const shared = SHARED_REF.exec(ref);
  let source = from;
  let name = ref;
  if (shared) {
    const file = resolve(from.dir, shared[1]!);
    name = shared[2]!;
    const ext = extname(file).toLowerCase();
    const fail = (message: string): undefined => {
      ctx.errors.push(err(from, at, 'file-read', message, false, from === ctx.main ? {} : { extendedBy: via }));
      return undefined;
    };
    if (!['.yaml', '.yml', '.json'].includes(ext)) return fail(`a shared template file is .yaml, .yml or .json: "${shared[1]}"`);
    let pending = ctx.files.get(file);
    if (pending === undefined) {
      if (ctx.files.size >= MAX_TEMPLATE_FILES) return fail(`a workflow reads at most ${MAX_TEMPLATE_FILES} shared template files`);
      pending = ctx.read(file);
      ctx.files.set(file, pending);
    }
    const loaded = await pending;
    if (Array.isArray(loaded)) {
      // Report the shared file's own problems once, however many steps use it.
      if (!ctx.files.has(`reported:${file}`)) {
        ctx.files.set(`reported:${file}`, pending);
        ctx.errors.push(...loaded);
      }
      return fail(`cannot use templates from ${shared[1]}: the file has problems (listed with it)`);
    }
    source = loaded;
  } else if (!TEMPLATE_NAME.test(ref)) {
    ctx.errors.push(err(from, at, 'invalid-value', `extend must name a template: NAME, or ./file.yaml#NAME for one in a shared file; got "${ref}"`, false, from === ctx.main ? {} : { extendedBy: via }));
    return undefined;
  }
  const templates = isObj(source.raw) && isObj(source.raw.templates) ? source.raw.templates : {};
  const def = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (def === undefined) {
    const known = Object.keys(templates);
    const suggestion = suggest(name, known);
    const where = source === from ? 'this file' : source.label;
    const message = `unknown template "${name}": ${known.length ? `${where} declares ${known.map((k) => `"${k}"`).join(', ')}` : `${where} declares no templates`}`;
    ctx.errors.push(err(from, at, 'unknown-template', message, false, {
      ...(suggestion !== undefined ? { suggestion: shared ? `${shared[1]}#${suggestion}` : suggestion } : {}),
      ...(from === ctx.main ? {} : { extendedBy: via }),
    }));
    return undefined;
  }
  return { source, name, path: ['templates', name], def, key: `${source.label}#${name}` };
}

interface Field { value: unknown; origin: FieldOrigin }

/**
 * The fields a template gives with `args` bound to its params: its base's (when it extends
 * one) overridden by its own. Undefined when anything failed; the errors are recorded.
 */
async function instantiate(ctx: Ctx, t: Resolved, args: unknown, argsAt: FieldOrigin, stack: string[], via: ExtendedBy): Promise<Map<string, Field> | undefined> {
  const { source, path } = t;
  const extra = { extendedBy: via };
  const fail = (at: PathSegment[], code: SpecErrorCode, message: string, atKey = false, more: Partial<SpecError> = {}): undefined => {
    ctx.errors.push(err(source, at, code, message, atKey, { ...extra, ...more }));
    return undefined;
  };
  if (stack.includes(t.key)) {
    const circle = [...stack.slice(stack.indexOf(t.key)), t.key].map((k) => `"${k}"`).join(' -> ');
    return fail([...path, 'extend'], 'template-cycle', `templates extend each other in a circle: ${circle}`);
  }
  if (stack.length >= MAX_TEMPLATE_DEPTH) return fail([...path, 'extend'], 'out-of-range', `templates extend each other more than ${MAX_TEMPLATE_DEPTH} deep`);
  if (!isObj(t.def)) return fail(path, 'invalid-type', 'a template is a map of step fields (run, retry, pool, …) with optional params');
  const { params, extend, args: baseArgs, ...own } = t.def;
  if (own.id !== undefined) return fail([...path, 'id'], 'unknown-field', 'a template has no id: each step that extends it sets its own', true);
  const bound = bindArgs(ctx, t, params, args, argsAt, via);
  if (bound === undefined) return undefined;
  let fields = new Map<string, Field>();
  if (extend !== undefined) {
    if (typeof extend !== 'string') return fail([...path, 'extend'], 'invalid-type', 'extend must name a template: NAME, or ./file.yaml#NAME');
    const base = await resolveRef(ctx, extend, source, [...path, 'extend'], via);
    if (base === undefined) return undefined;
    const passed = substitute(ctx, baseArgs ?? {}, bound, source, [...path, 'args'], via);
    if (passed.failed) return undefined;
    const inherited = await instantiate(ctx, base, passed.value, { source, path: [...path, 'args'] }, [...stack, t.key], via);
    if (inherited === undefined) return undefined;
    fields = inherited;
  } else if (baseArgs !== undefined) {
    return fail([...path, 'args'], 'template-arg', 'args pass values to the template this one extends: add extend: TEMPLATE', true);
  }
  const setsAction = ACTION_FIELDS.some((f) => f !== 'with' && own[f] !== undefined);
  if (setsAction) for (const f of ACTION_FIELDS) fields.delete(f);
  let ok = true;
  for (const [name, value] of Object.entries(own)) {
    const at = [...path, name];
    const done = substitute(ctx, value, bound, source, at, via);
    if (done.failed) ok = false;
    fields.set(name, { value: done.value, origin: { source, path: at } });
  }
  return ok ? fields : undefined;
}

/** Checks the template's params and the given args against each other; the bound values, or undefined. */
function bindArgs(ctx: Ctx, t: Resolved, params: unknown, args: unknown, argsAt: FieldOrigin, via: ExtendedBy): Record<string, JsonValue> | undefined {
  const before = ctx.errors.length;
  const inTemplate = (at: PathSegment[], code: SpecErrorCode, message: string, atKey = false, more: Partial<SpecError> = {}): void => {
    ctx.errors.push(err(t.source, at, code, message, atKey, { extendedBy: via, ...more }));
  };
  const atArgs = (at: PathSegment[], code: SpecErrorCode, message: string, atKey = false, more: Partial<SpecError> = {}): void => {
    ctx.errors.push(err(argsAt.source, at, code, message, atKey, argsAt.source === ctx.main ? more : { extendedBy: via, ...more }));
  };
  const declared: Record<string, { type: ParamType; default?: JsonValue }> = {};
  if (params !== undefined && !isObj(params)) inTemplate([...t.path, 'params'], 'invalid-type', 'params must be a map of name to { type, default?, description? }');
  for (const [name, p] of Object.entries(isObj(params) ? params : {})) {
    const at = [...t.path, 'params', name];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { inTemplate(at, 'invalid-id', 'template param names are identifiers (letters, digits, _)', true); continue; }
    if (!isObj(p) || typeof p.type !== 'string' || !PARAM_TYPES.includes(p.type as ParamType)) {
      inTemplate(isObj(p) ? [...at, 'type'] : at, isObj(p) && p.type === undefined ? 'missing-field' : 'invalid-value', `a template param is { type: ${PARAM_TYPES.join(' | ')}, default?, description? }`);
      continue;
    }
    for (const k of Object.keys(p)) {
      if (!PARAM_KEYS.includes(k)) {
        const s = suggest(k, PARAM_KEYS);
        inTemplate([...at, k], 'unknown-field', `unknown field "${k}"`, true, s !== undefined ? { suggestion: s } : {});
      }
    }
    const type = p.type as ParamType;
    if (p.default !== undefined && !matchesParamType(p.default as JsonValue, type)) inTemplate([...at, 'default'], 'param-default-type', `default does not match type ${type}`);
    declared[name] = p.default === undefined ? { type } : { type, default: p.default as JsonValue };
  }
  if (args !== undefined && !isObj(args)) {
    atArgs(argsAt.path, 'invalid-type', `args must be a map of the template's param names to values`);
    return undefined;
  }
  const given = isObj(args) ? args : {};
  const names = Object.keys(declared);
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(declared, name)) {
      const s = suggest(name, names);
      atArgs([...argsAt.path, name], 'template-arg', `template "${t.name}" has no param "${name}"${names.length ? `: it declares ${names.join(', ')}` : ': it declares none'}`, true, s !== undefined ? { suggestion: s } : {});
    } else if (!matchesParamType(value as JsonValue, declared[name]!.type)) {
      atArgs([...argsAt.path, name], 'template-arg', `template param "${name}" is ${declared[name]!.type === 'integer' ? 'an integer' : `a ${declared[name]!.type}`}: got ${JSON.stringify(value)}`);
    }
  }
  const bound: Record<string, JsonValue> = {};
  for (const [name, p] of Object.entries(declared)) {
    const value = given[name] !== undefined ? (given[name] as JsonValue) : p.default;
    if (value === undefined) {
      atArgs(Object.keys(given).length ? argsAt.path : argsAt.path.slice(0, -1).concat(['extend']), 'template-arg', `template "${t.name}" needs args.${name} (${p.type}): it has no default`);
    } else {
      bound[name] = value;
    }
  }
  return ctx.errors.length > before ? undefined : bound;
}

/** Replaces `${{ template.NAME }}` in every string of `value`; a string that is only the reference takes the arg's value as is (a number stays a number). */
function substitute(ctx: Ctx, value: unknown, bound: Record<string, JsonValue>, source: TemplateSource, at: PathSegment[], via: ExtendedBy): { value: unknown; failed: boolean } {
  let failed = false;
  const names = Object.keys(bound);
  const walk = (v: unknown, path: PathSegment[]): unknown => {
    if (failed) return v;
    if (++ctx.copied > MAX_EXPANDED_VALUES) {
      failed = true;
      // Reported once, at the first value past the bound; later expansions fail quietly.
      if (ctx.copied === MAX_EXPANDED_VALUES + 1) ctx.errors.push(err(source, path, 'out-of-range', `templates expand to more than ${MAX_EXPANDED_VALUES.toLocaleString('en-US')} values: extend fewer or smaller templates`, false, { extendedBy: via }));
      return v;
    }
    if (typeof v === 'string') {
      const whole = /^\$\{\{\s*template\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(v);
      const missing = [...v.matchAll(ARG_REF)].map((m) => m[1]!).filter((n) => !Object.hasOwn(bound, n));
      if (missing.length) {
        failed = true;
        const s = suggest(missing[0]!, names);
        ctx.errors.push(err(source, path, 'template-arg', `\${{ template.${missing[0]} }} names no param of the template${names.length ? `: it declares ${names.join(', ')}` : ': it declares none'}`, false, { extendedBy: via, ...(s !== undefined ? { suggestion: s } : {}) }));
        return v;
      }
      if (whole) return structuredClone(bound[whole[1]!]);
      const out = v.replace(ARG_REF, (_m, n: string) => {
        const arg = bound[n];
        return typeof arg === 'string' ? arg : JSON.stringify(arg);
      });
      if (ANY_TEMPLATE_REF.test(v.replace(ARG_REF, ''))) {
        failed = true;
        ctx.errors.push(err(source, path, 'bad-expression', 'template args are written ${{ template.NAME }}, nothing more inside the braces', false, { extendedBy: via }));
      }
      return out;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    return v;
  };
  return { value: walk(value, at), failed };
}

/**
 * Positions a problem of the expanded workflow: on a field a template gave, in the template's
 * file with `extendedBy` naming the step; on anything else, in the workflow file.
 */
export function positionIssue(issue: Issue, main: TemplateSource, origins: ReadonlyMap<string, StepOrigin>): SpecError {
  const base = toSpecError(issue, main.label);
  const atKey = issue.atKey ?? false;
  const [section, index, field, ...rest] = issue.path;
  const origin = typeof section === 'string' && typeof index === 'number' ? origins.get(formatPath([section, index])) : undefined;
  const from = origin !== undefined && typeof field === 'string' ? origin.fields.get(field) : undefined;
  if (origin !== undefined && from !== undefined) {
    // The path names the field where the position points: in the template's file.
    const path = [...from.path, ...rest];
    return { ...base, path: formatPath(path), file: from.source.label, ...from.source.locate(offsetOf(from.source.doc, path, atKey)), extendedBy: origin.extendedBy };
  }
  const placed: SpecError = { ...base, ...main.locate(offsetOf(main.doc, issue.path, atKey)) };
  // A problem of the step as a whole (e.g. no action) may come from what the template lacks.
  if (origin !== undefined && field === undefined) placed.extendedBy = origin.extendedBy;
  return placed;
}

/** Orders errors: the workflow file's first, then each other file's, each by position. */
export function byFileThenPosition(mainLabel: string): (a: SpecError, b: SpecError) => number {
  return (a, b) => Number(a.file !== mainLabel) - Number(b.file !== mainLabel)
    || ((a.file ?? '') < (b.file ?? '') ? -1 : (a.file ?? '') > (b.file ?? '') ? 1 : 0)
    || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path);
}
