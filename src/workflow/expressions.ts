/**
 * @module workflow/expressions
 * The `${{ … }}` expression language. Expressions are parsed by jsep and evaluated by a
 * small tree walker over a closed whitelist of node types: there is no `eval`, no
 * `Function`, no calls and no prototype access, so a workflow file (or a param value that
 * ends up in one) cannot run code in the engine.
 *
 * Grammar: literals (strings, numbers, `true`, `false`, `null`); the roots `params`,
 * `steps`, `run` (and `secrets`, only where a scope provides it: an http step's request; `item`
 * and `map.index`, only in a mapped step's values); member access `.name`, `?.name` and `[literal]`; unary `!` and `-`;
 * binary `== != < <= > >= && ||` (`===`/`!==` are aliases); parentheses. In a step's `if`
 * only, the trigger-rule functions `always()`, `failure()` and `success()` (no arguments),
 * the one kind of call there is.
 */
import jsep from 'jsep';
import { errorMessage } from '../shared/index.js';
import { ExpressionError } from './errors.js';
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from './limits.js';
import type { JsonObject, JsonValue } from './model.js';

/** What expressions can read while a run executes. */
export interface ExpressionScope {
  /** The run's params, defaults applied. */
  params: JsonObject;
  /** Outputs of finished upstream steps, by step id. */
  steps: Record<string, { output: JsonValue }>;
  /**
   * The run id and this attempt's number (from 1); `state` is the run's state as a hook step
   * sees it (`running` while main steps run, then the main steps' outcome) and `failedSteps`
   * the ids of the step runs that failed so far; `tickAt` the schedule tick a `schedule` or
   * `backfill` run was created for (ISO 8601, UTC), absent for other runs: the run's logical time.
   */
  run: { id: string; attempt: number; state?: string; failedSteps?: string[]; tickAt?: string };
  /**
   * Secret values by name. Set only where the result is used and never stored (an http
   * step's url, headers and body, evaluated by the executor); elsewhere reading `secrets`
   * is an error, so a secret cannot leak into a stored env, input or output.
   */
  secrets?: Readonly<Record<string, string>>;
  /**
   * What the trigger-rule functions of an `if` answer, set only while a step's `if` is
   * decided: `failure()` = an upstream step failed, `success()` = every upstream succeeded.
   */
  status?: { failure: boolean; success: boolean };
  /**
   * Set only for one item of a mapped step (`map:`): the item (a value of the evaluated
   * `map.items` array, or a file path from its glob) and its index from 0, as Airflow's
   * mapped task sees `map_index`.
   */
  item?: JsonValue;
  map?: { index: number };
}

/**
 * Functions an `if` may call, as GitHub Actions' status check functions: a condition that
 * calls one of them decides for itself whether an upstream failure skips the step.
 */
export const STATUS_FUNCTIONS = ['always', 'failure', 'success'] as const;
/** One of {@link STATUS_FUNCTIONS}. */
export type StatusFunction = (typeof STATUS_FUNCTIONS)[number];

/** The names an expression may start from (`secrets` only in an http step's request). */
export const EXPRESSION_ROOTS = ['params', 'steps', 'run', 'secrets', 'item', 'map'] as const;
/** One of {@link EXPRESSION_ROOTS}. */
export type ExpressionRoot = (typeof EXPRESSION_ROOTS)[number];

/** A read of scope data found in an expression: `steps.fetch.output.url` is `{ root: 'steps', path: ['fetch', 'output', 'url'] }`. */
export interface ExpressionRef {
  root: ExpressionRoot;
  /** Keys after the root, up to the first one that is not a literal (there is none today). */
  path: (string | number)[];
}

/** One `${{ … }}` occurrence in a template; `start`/`end` are offsets of the whole `${{ … }}`. */
export interface TemplateSegment {
  start: number;
  end: number;
  /** The expression text between the braces, trimmed. */
  source: string;
}

/** A checked expression: its syntax tree and the scope reads it makes. */
export interface ParsedExpression {
  ast: jsep.Expression;
  refs: ExpressionRef[];
  /** The trigger-rule functions it calls, in order of appearance (see {@link STATUS_FUNCTIONS}). */
  calls: StatusFunction[];
}

const BLOCKED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const BINARY_OPS = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', '&&', '||']);
const UNARY_OPS = new Set(['!', '-']);
const CACHE_LIMIT = 2_000;
const cache = new Map<string, ParsedExpression>();

/**
 * Finds every `${{ … }}` in a template. A `}}` inside a quoted string literal does not
 * close the expression.
 * @throws ExpressionError when a `${{` is never closed.
 */
export function findTemplateSegments(template: string): TemplateSegment[] {
  const segments: TemplateSegment[] = [];
  let from = 0;
  for (;;) {
    const start = template.indexOf('${{', from);
    if (start < 0) return segments;
    let i = start + 3;
    let quote: string | undefined;
    for (; i < template.length; i++) {
      const ch = template[i];
      if (quote !== undefined) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") {
        quote = ch;
      } else if (ch === '}' && template[i + 1] === '}') {
        break;
      }
    }
    if (i >= template.length) throw new ExpressionError('"${{" is not closed by "}}"', template.slice(start));
    segments.push({ start, end: i + 2, source: template.slice(start + 3, i).trim() });
    from = i + 2;
  }
}

/** Strips one `${{ … }}` wrapper when it spans the whole text; conditions may be written either way. */
function unwrap(source: string): string {
  const text = source.trim();
  if (!text.startsWith('${{')) return text;
  const segments = findTemplateSegments(text);
  const only = segments[0];
  if (segments.length !== 1 || only === undefined || only.start !== 0 || only.end !== text.length) {
    throw new ExpressionError('a condition must be one expression, with or without a single "${{ }}" around it', text);
  }
  return only.source;
}

function memberKey(node: jsep.MemberExpression, source: string): string | number {
  const prop = node.property;
  if (!node.computed && prop.type === 'Identifier') return (prop as jsep.Identifier).name;
  if (node.computed && prop.type === 'Literal') {
    const value = (prop as jsep.Literal).value;
    if (typeof value === 'string' || typeof value === 'number') return value;
  }
  throw new ExpressionError('only a literal string or number may appear inside [ ]', source);
}

/** Checks the node whitelist and collects reads; throws on anything outside the grammar. */
function check(node: jsep.Expression, source: string, refs: ExpressionRef[], calls: StatusFunction[] = []): void {
  switch (node.type) {
    case 'Literal':
      if ((node as jsep.Literal).value instanceof RegExp) throw new ExpressionError('regular expressions are not supported', source);
      return;
    case 'Identifier':
    case 'MemberExpression': {
      const path: (string | number)[] = [];
      let cursor: jsep.Expression = node;
      while (cursor.type === 'MemberExpression') {
        const member = cursor as jsep.MemberExpression;
        const key = memberKey(member, source);
        if (typeof key === 'string' && BLOCKED_KEYS.has(key)) throw new ExpressionError(`"${key}" may not be accessed`, source);
        path.unshift(key);
        cursor = member.object;
      }
      if (cursor.type !== 'Identifier') {
        check(cursor, source, []); // throws the specific reason for calls, `this`, …
        throw new ExpressionError('member access must start from params, steps, run or secrets', source);
      }
      const root = (cursor as jsep.Identifier).name;
      if (!(EXPRESSION_ROOTS as readonly string[]).includes(root)) {
        throw new ExpressionError(`unknown name "${root}": expressions read params.*, steps.<id>.output.*, run.id, run.attempt, run.state, run.failedSteps and, in a mapped step, item and map.index`, source);
      }
      refs.push({ root: root as ExpressionRoot, path });
      return;
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      if (!UNARY_OPS.has(unary.operator)) throw new ExpressionError(`operator "${unary.operator}" is not supported`, source);
      check(unary.argument, source, refs, calls);
      return;
    }
    case 'BinaryExpression': {
      const binary = node as jsep.BinaryExpression;
      if (!BINARY_OPS.has(binary.operator)) throw new ExpressionError(`operator "${binary.operator}" is not supported`, source);
      check(binary.left, source, refs, calls);
      check(binary.right, source, refs, calls);
      return;
    }
    case 'CallExpression': {
      const name = statusCall(node as jsep.CallExpression);
      if (name === undefined) throw new ExpressionError('function calls are not allowed in expressions, except always(), failure() and success() (no arguments) in a step\'s if', source);
      calls.push(name);
      return;
    }
    default:
      throw new ExpressionError(`${describeNode(node.type)} is not allowed in expressions`, source);
  }
}

/** The status function a call names, when it is one called without arguments. */
function statusCall(call: jsep.CallExpression): StatusFunction | undefined {
  if (call.callee.type !== 'Identifier' || call.arguments.length !== 0) return undefined;
  const name = (call.callee as jsep.Identifier).name;
  return (STATUS_FUNCTIONS as readonly string[]).includes(name) ? (name as StatusFunction) : undefined;
}

function describeNode(type: string): string {
  const names: Record<string, string> = {
    ThisExpression: '"this"', ConditionalExpression: 'the ?: operator', ArrayExpression: 'an array literal',
    Compound: 'more than one expression', SequenceExpression: 'the comma operator',
  };
  return names[type] ?? `a ${type}`;
}

/**
 * The deepest nesting of `(`, `[` and unary operators in an expression, outside string
 * literals, in one linear pass. Run before jsep and the checker, which both recurse on
 * nesting, so a hostile `((((…` is refused instead of overflowing the stack.
 */
function nestingDepth(source: string): number {
  let depth = 0;
  let max = 0;
  let unary = 0;
  let quote: string | undefined;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quote !== undefined) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth = Math.max(0, depth - 1);
    // A run of `!`/`-` nests one unary node per operator: `!!!!x`.
    if (ch === '!' || ch === '-') unary++;
    else if (ch !== ' ' && ch !== '\t' && ch !== '(') unary = 0;
    max = Math.max(max, depth + unary);
  }
  return max;
}

/**
 * Parses and checks one expression (without the `${{ }}` wrapper). Results are cached by
 * source text because the same few expressions are evaluated for every attempt.
 * An expression is at most {@link MAX_EXPRESSION_LENGTH} characters and nests at most
 * {@link MAX_EXPRESSION_DEPTH} levels of parentheses, brackets and unary operators.
 * @throws ExpressionError on a syntax error, anything outside the grammar, or an
 *   expression too long or too deeply nested.
 */
export function parseExpression(source: string): ParsedExpression {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  if (source.trim() === '') throw new ExpressionError('empty expression', source);
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression is too long (${source.length.toLocaleString('en-US')} characters): at most ${MAX_EXPRESSION_LENGTH.toLocaleString('en-US')}`, source.slice(0, 100));
  }
  if (nestingDepth(source) > MAX_EXPRESSION_DEPTH) {
    throw new ExpressionError(`expression is nested too deeply: at most ${MAX_EXPRESSION_DEPTH} levels of parentheses, brackets and unary operators`, source.slice(0, 100));
  }
  let ast: jsep.Expression;
  try {
    ast = jsep(source);
  } catch (e) {
    throw new ExpressionError(`syntax error: ${errorMessage(e)}`, source, { cause: e });
  }
  const refs: ExpressionRef[] = [];
  const calls: StatusFunction[] = [];
  check(ast, source, refs, calls);
  const parsed = { ast, refs, calls };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, parsed);
  return parsed;
}

type Value = JsonValue | undefined;

function read(container: Value, key: string | number): Value {
  if (container === null || typeof container !== 'object') return undefined;
  // Own properties only: inherited members (toString, __proto__…) read as undefined.
  if (Array.isArray(container)) {
    if (key === 'length') return container.length;
    return typeof key === 'number' ? container[key] : undefined;
  }
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

function equal(a: Value, b: Value): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function evaluate(node: jsep.Expression, scope: ExpressionScope, source: string): Value {
  switch (node.type) {
    case 'Literal':
      return (node as jsep.Literal).value as JsonValue;
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name === 'params') return scope.params;
      if (name === 'steps') return scope.steps;
      if (name === 'run') return scope.run;
      if (name === 'secrets') {
        if (scope.secrets === undefined) throw new ExpressionError('secrets are readable only in an http step\'s url, headers and body', source);
        return scope.secrets;
      }
      if (name === 'item' || name === 'map') {
        if (scope.map === undefined) throw new ExpressionError(`${name} is readable only in the values of a mapped step (one with map:)`, source);
        return name === 'item' ? (scope.item ?? null) : scope.map;
      }
      throw new ExpressionError(`unknown name "${name}"`, source);
    }
    case 'MemberExpression': {
      const member = node as jsep.MemberExpression;
      return read(evaluate(member.object, scope, source), memberKey(member, source));
    }
    case 'UnaryExpression': {
      const unary = node as jsep.UnaryExpression;
      const value = evaluate(unary.argument, scope, source);
      if (unary.operator === '!') return !truthy(value);
      if (typeof value !== 'number') throw new ExpressionError(`unary "-" needs a number, got ${value === undefined ? 'undefined' : JSON.stringify(value)}`, source);
      return -value;
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      const l = evaluate(left, scope, source);
      if (operator === '&&') return truthy(l) ? evaluate(right, scope, source) : l;
      if (operator === '||') return truthy(l) ? l : evaluate(right, scope, source);
      const r = evaluate(right, scope, source);
      if (operator === '==' || operator === '===') return equal(l, r);
      if (operator === '!=' || operator === '!==') return !equal(l, r);
      // Ordering is defined only between two numbers or two strings; anything else is false.
      if (!((typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string'))) return false;
      if (operator === '<') return l < r;
      if (operator === '<=') return l <= r;
      if (operator === '>') return l > r;
      if (operator === '>=') return l >= r;
      throw new ExpressionError(`operator "${operator}" is not supported`, source);
    }
    case 'CallExpression': {
      const name = statusCall(node as jsep.CallExpression);
      if (name === undefined) throw new ExpressionError('the only functions are always(), failure() and success()', source);
      if (scope.status === undefined) throw new ExpressionError(`${name}() may be used only in a step's if`, source);
      return name === 'always' ? true : scope.status[name];
    }
    default:
      throw new ExpressionError(`${describeNode(node.type)} is not allowed in expressions`, source);
  }
}

function truthy(value: Value): boolean {
  return Boolean(value);
}

/**
 * Evaluates one expression (without wrapper) to its value; a missing member is `undefined`.
 * @throws ExpressionError on a bad expression or a type error (unary minus on a non-number).
 */
export function evaluateExpression(source: string, scope: ExpressionScope): JsonValue | undefined {
  return evaluate(parseExpression(source).ast, scope, source);
}

function toText(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Replaces each `${{ expr }}` in a template with its value as text: strings as they are,
 * numbers and booleans via `String`, objects and arrays as JSON, `null`/missing as `''`.
 * @throws ExpressionError on a bad expression.
 * @example interpolate('s3://${{ params.bucket }}/x', scope)
 */
export function interpolate(template: string, scope: ExpressionScope): string {
  const segments = findTemplateSegments(template);
  let out = '';
  let at = 0;
  for (const segment of segments) {
    out += template.slice(at, segment.start) + toText(evaluateExpression(segment.source, scope));
    at = segment.end;
  }
  return out + template.slice(at);
}

/**
 * Interpolates every string inside a JSON value. A string that is exactly one
 * `${{ expr }}` (surrounding whitespace allowed) becomes the expression's raw value, so
 * numbers, booleans and objects keep their type; a missing value becomes `null`.
 * @throws ExpressionError on a bad expression.
 */
export function interpolateValue(value: JsonValue, scope: ExpressionScope): JsonValue {
  if (typeof value === 'string') {
    const segments = findTemplateSegments(value);
    const only = segments[0];
    if (segments.length === 1 && only !== undefined && value.slice(0, only.start).trim() === '' && value.slice(only.end).trim() === '') {
      return evaluateExpression(only.source, scope) ?? null;
    }
    return segments.length === 0 ? value : interpolate(value, scope);
  }
  if (Array.isArray(value)) return value.map((item) => interpolateValue(item, scope));
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolateValue(item, scope);
    return out;
  }
  return value;
}

/**
 * Evaluates a step's `if`. The source may be written with or without one `${{ }}` around
 * it. Truthiness is JavaScript's: `false`, `0`, `''`, `null` and missing are false;
 * every object and array (even empty) is true.
 * @throws ExpressionError on a bad expression.
 */
export function evaluateCondition(source: string, scope: ExpressionScope): boolean {
  return truthy(evaluateExpression(unwrap(source), scope));
}

/**
 * Whether a condition calls a trigger-rule function (`always()`, `failure()`, `success()`);
 * without one, a step is skipped when an upstream step failed, before its `if` is read.
 * @throws ExpressionError on a bad expression.
 */
export function usesStatusFunction(condition: string): boolean {
  return parseExpression(unwrap(condition)).calls.length > 0;
}

/**
 * The expression sources in a field: every `${{ }}` of a template, or, for a condition
 * (`if`), the whole text when it has no wrapper.
 * @throws ExpressionError when a `${{` is not closed or a condition mixes text and `${{ }}`.
 */
export function expressionSources(text: string, kind: 'template' | 'condition'): string[] {
  if (kind === 'condition') return [unwrap(text)];
  return findTemplateSegments(text).map((segment) => segment.source);
}

/**
 * Step ids that an expression reads via `steps.<id>` or `steps['id']`, in order of first
 * appearance. Accepts a template with `${{ }}` parts or a bare expression.
 * @throws ExpressionError on a bad expression.
 */
export function expressionStepRefs(source: string): string[] {
  const sources = source.includes('${{') ? findTemplateSegments(source).map((s) => s.source) : [source];
  const ids: string[] = [];
  for (const text of sources) {
    for (const ref of parseExpression(text).refs) {
      const id = ref.path[0];
      if (ref.root === 'steps' && typeof id === 'string' && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}
