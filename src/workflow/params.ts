/**
 * @module workflow/params
 * Checking and coercing a run's params against the workflow's declaration. Runs are
 * created from the CLI (all strings), the API (JSON) and schedules (defaults), so
 * coercion is opt-in and every problem is reported together.
 */
import { ParamError } from './errors.js';
import { suggest } from './issues.js';
import type { JsonObject, JsonValue, ParamType, WorkflowSpec } from './model.js';

/** Whether a JSON value has a declared param type. `integer` means a safe integer. */
export function matchesParamType(value: JsonValue, type: ParamType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

/** Turns command-line text into the declared type; undefined when it cannot. */
function coerce(text: string, type: ParamType): JsonValue | undefined {
  switch (type) {
    case 'string': return text;
    case 'integer': return /^[-+]?\d+$/.test(text.trim()) ? Number(text) : undefined;
    case 'number': {
      const n = text.trim() === '' ? NaN : Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean': return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'array':
    case 'object':
      try {
        return JSON.parse(text) as JsonValue;
      } catch {
        return undefined;
      }
  }
}

function show(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Builds a run's params from what was given: applies defaults, checks required params
 * are present, checks types, and rejects names the workflow does not declare.
 *
 * With `fromStrings` (CLI `--param k=v`), string values are coerced to the declared type:
 * `"3"` to 3 for `integer`/`number`, `"true"`/`"false"` for `boolean`, JSON text for
 * `array`/`object`. A declared param that is neither given nor defaulted is left out.
 *
 * @returns a new object; `given` is not modified.
 * @throws ParamError listing every problem.
 */
export function resolveParams(spec: WorkflowSpec, given: Record<string, JsonValue>, opts: { fromStrings?: boolean } = {}): JsonObject {
  const problems: string[] = [];
  const declared = Object.keys(spec.params);
  const out: JsonObject = {};
  for (const name of Object.keys(given)) {
    if (Object.hasOwn(spec.params, name)) continue;
    const hint = suggest(name, declared);
    const known = declared.length === 0 ? 'the workflow declares no params' : `known: ${declared.join(', ')}`;
    problems.push(`unknown param "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; ${known}`);
  }
  for (const [name, param] of Object.entries(spec.params)) {
    let value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (value === undefined) {
      if (param.default !== undefined) out[name] = structuredClone(param.default);
      else if (param.required) problems.push(`missing required param "${name}" (${param.type})`);
      continue;
    }
    if (opts.fromStrings && typeof value === 'string' && param.type !== 'string') {
      const coerced = coerce(value, param.type);
      if (coerced === undefined) {
        problems.push(`param "${name}" must be ${article(param.type)}, got ${show(value)}`);
        continue;
      }
      value = coerced;
    }
    if (!matchesParamType(value, param.type)) {
      problems.push(`param "${name}" must be ${article(param.type)}, got ${show(value)}`);
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) throw new ParamError(problems);
  return out;
}

function article(type: ParamType): string {
  return type === 'integer' || type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`;
}
