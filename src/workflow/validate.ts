/**
 * @module workflow/validate
 * Checks that relate fields to each other: unique ids, known needs, no cycles, one action
 * per step, declared pools, param defaults, and expressions that only read what exists
 * upstream. They read the raw input defensively (not zod's output) so they still run,
 * and still report, when some unrelated field has the wrong shape.
 */
import { errorMessage } from '../shared/index.js';
import { isProgramChangingEnv, RESERVED_ENV_PREFIX } from './env.js';
import { ExpressionError } from './errors.js';
import { expressionSources, parseExpression } from './expressions.js';
import type { ExpressionRef } from './expressions.js';
import { findCycles, upstreamOracle } from './graph.js';
import type { GraphNode } from './graph.js';
import { suggest } from './issues.js';
import type { Issue, PathSegment } from './issues.js';
import { append, MAX_EXPRESSIONS_PER_FIELD } from './limits.js';
import type { JsonValue, ParamType } from './model.js';
import { matchesParamType } from './params.js';
import { checkSchedule } from './schedule.js';

type Raw = Record<string, unknown>;

/** Unknown `needs` entries that get a "did you mean" (each costs an edit distance per step id). */
const SUGGESTION_LIMIT = 50;

const isRecord = (value: unknown): value is Raw => value !== null && typeof value === 'object' && !Array.isArray(value);
const PARAM_TYPES: readonly string[] = ['string', 'integer', 'number', 'boolean', 'array', 'object'];

/** Where a step is listed: the main `steps:` or one of the hook lists. */
type Section = 'steps' | 'onFailure' | 'finally';
const SECTIONS: readonly Section[] = ['steps', 'onFailure', 'finally'];

interface StepFacts {
  section: Section;
  index: number;
  raw: Raw;
  id?: string;
  needs: { id: string; path: PathSegment[] }[];
}

/** Context an expression is checked in: which step (if any) it belongs to and its upstream. */
interface ExpressionContext {
  stepId?: string;
  /** Whether a step id is upstream of this expression's step; computed on first use. */
  isUpstream: (id: string) => boolean;
  stepIds: string[];
  paramNames: string[] | undefined;
  /** Declared secret names. */
  secretNames: string[];
  /** Whether `secrets.*` may be read here: only an http step's url, headers and body, whose values are never stored. */
  allowSecrets?: boolean;
  /** Whether `item` and `map.index` may be read here: the per-item values of a mapped step. */
  inMap?: boolean;
  /** Read once the run succeeded (its `outputs`): every step's output may be read. */
  afterRun?: boolean;
}

/** Every cross-field problem in a raw workflow object. Shape problems are zod's job. */
export function checkSemantics(raw: unknown): Issue[] {
  if (!isRecord(raw)) return [];
  const issues: Issue[] = [];
  const steps = SECTIONS.flatMap((section) => collectSteps(raw[section], section));
  // Positions in `steps` (the list of every section), so one step id maps to one fact.
  const firstIndex = new Map<string, number>();
  steps.forEach((step, position) => {
    if (step.id === undefined) return;
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, position);
    else {
      const seen = steps[first]!;
      issues.push({ code: 'duplicate-id', message: `duplicate step id "${step.id}" (first used by ${seen.section}[${seen.index}])`, path: [step.section, step.index, 'id'] });
    }
  });
  const stepIds = [...firstIndex.keys()];
  const sectionOf = (id: string): Section | undefined => {
    const at = firstIndex.get(id);
    return at === undefined ? undefined : steps[at]!.section;
  };
  let unknownNeeds = 0;
  for (const step of steps) {
    for (const need of step.needs) {
      const target = sectionOf(need.id);
      if (target !== undefined) {
        const problem = hookNeedsProblem(step.section, target, need.id);
        if (problem !== undefined) issues.push({ code: 'hook-needs', message: problem, path: need.path });
        continue;
      }
      const found: Issue = { code: 'unknown-needs', message: `needs unknown step "${need.id}"`, path: need.path };
      // "Did you mean" costs a distance per step id; offer it for the first few only, so
      // thousands of unknown needs stay linear.
      const hint = unknownNeeds++ < SUGGESTION_LIMIT ? suggest(need.id, stepIds) : undefined;
      if (hint !== undefined) found.suggestion = hint;
      issues.push(found);
    }
  }
  const nodes: GraphNode[] = steps
    .filter((s, position) => s.id !== undefined && firstIndex.get(s.id) === position)
    .map((s) => ({ id: s.id as string, needs: s.needs.map((n) => n.id).filter((id) => firstIndex.has(id)) }));
  for (const cycle of findCycles(nodes)) {
    const start = steps[firstIndex.get(cycle[0] ?? '') ?? -1];
    const closing = start?.needs.find((n) => n.id === cycle[cycle.length - 2]);
    issues.push({
      code: 'cycle',
      message: `steps form a cycle: ${cycle.join(' -> ')} (each step needs the one before it)`,
      path: closing?.path ?? [start?.section ?? 'steps', start?.index ?? 0],
    });
  }

  const paramNames = isRecord(raw.params) ? Object.keys(raw.params) : undefined;
  append(issues, checkParams(raw.params));
  append(issues, checkSchedule(raw));
  append(issues, checkSecrets(raw, steps));
  const secretNames = declaredSecretNames(raw.secrets);
  if (isRecord(raw.env)) append(issues, checkEnv(raw.env, ['env'], { isUpstream: () => false, stepIds, paramNames, secretNames }));
  const pools = isRecord(raw.pools) ? Object.keys(raw.pools) : [];
  // Built on the first expression that reads another step, so a workflow without such reads
  // pays nothing; after that each question is a bit test.
  // A hook is downstream of every main step (and a finally step of every onFailure step),
  // so it may read their outputs; those edges are implied, not written in needs.
  const implied = (id: string): string[] => {
    const section = sectionOf(id);
    if (section === 'steps' || section === undefined) return [];
    return stepIds.filter((other) => sectionOf(other) === 'steps' || (section === 'finally' && sectionOf(other) === 'onFailure'));
  };
  const upstreamOf = upstreamOracle(new Map(nodes.map((n) => [n.id, [...n.needs, ...implied(n.id)]])));
  for (const step of steps) {
    const id = step.id;
    const isUpstream = (x: string): boolean => id !== undefined && upstreamOf(id, x);
    const context: ExpressionContext = { isUpstream, stepIds, paramNames, secretNames };
    if (step.id !== undefined) context.stepId = step.id;
    append(issues, checkStep(step, context, pools));
  }
  // Outputs are read once the run succeeded: every step is upstream of them.
  if (isRecord(raw.outputs)) {
    for (const [name, text] of Object.entries(raw.outputs)) {
      if (typeof text === 'string') append(issues, checkExpressions(text, 'template', ['outputs', name], { isUpstream: () => true, stepIds, paramNames, secretNames, afterRun: true }));
    }
  }
  return issues;
}

function declaredSecretNames(secrets: unknown): string[] {
  if (!Array.isArray(secrets)) return [];
  return secrets.flatMap((e: unknown) => (typeof e === 'string' ? [e] : isRecord(e) && typeof e.name === 'string' ? [e.name] : []));
}

/**
 * Why a step of `from` may not need a step of `to`: main steps run before every hook, and
 * `onFailure` before `finally`, so the other direction would wait forever.
 */
function hookNeedsProblem(from: Section, to: Section, id: string): string | undefined {
  if (from === 'steps' && to !== 'steps') return `"${id}" is a ${to} step, which runs after every main step: a main step cannot need it`;
  if (from !== 'steps' && to === 'steps') return `"${id}" is a main step: ${from === 'onFailure' ? 'an' : 'a'} ${from} step already runs after every main step, so its needs name only other hook steps`;
  if (from === 'onFailure' && to === 'finally') return `"${id}" is a finally step, which runs after every onFailure step: an onFailure step cannot need it`;
  return undefined;
}

function collectSteps(rawSteps: unknown, section: Section): StepFacts[] {
  if (!Array.isArray(rawSteps)) return [];
  const steps: StepFacts[] = [];
  rawSteps.forEach((raw: unknown, index) => {
    if (!isRecord(raw)) return;
    const facts: StepFacts = { section, index, raw, needs: [] };
    if (typeof raw.id === 'string') facts.id = raw.id;
    if (typeof raw.needs === 'string') facts.needs.push({ id: raw.needs, path: [section, index, 'needs'] });
    if (Array.isArray(raw.needs)) {
      raw.needs.forEach((id: unknown, j) => {
        if (typeof id === 'string') facts.needs.push({ id, path: [section, index, 'needs', j] });
      });
    }
    steps.push(facts);
  });
  return steps;
}

/**
 * Secret names: unique, not `BATON_*` (the variables baton sets), not also set by an `env`
 * (the secret would silently replace it), one source per entry; `webhook.secret` declared.
 */
function checkSecrets(raw: Raw, steps: StepFacts[]): Issue[] {
  const issues: Issue[] = [];
  const first = new Map<string, number>();
  if (Array.isArray(raw.secrets)) {
    raw.secrets.forEach((entry: unknown, i) => {
      const name = typeof entry === 'string' ? entry : isRecord(entry) && typeof entry.name === 'string' ? entry.name : undefined;
      const at: PathSegment[] = typeof entry === 'string' ? ['secrets', i] : ['secrets', i, 'name'];
      if (isRecord(entry) && entry.env !== undefined && entry.file !== undefined) {
        issues.push({ code: 'invalid-value', message: 'a secret has one source: env (a variable) or file (a path), not both', path: ['secrets', i, 'file'] });
      }
      if (name === undefined) return;
      if (/^BATON_/i.test(name)) issues.push({ code: 'invalid-value', message: `secret "${name}": names starting with BATON_ are reserved for the variables baton sets`, path: at });
      const seen = first.get(name);
      if (seen === undefined) first.set(name, i);
      else issues.push({ code: 'duplicate-secret', message: `duplicate secret "${name}" (first declared by secrets[${seen}])`, path: at });
    });
  }
  const names = [...first.keys()];
  const envMaps: [unknown, PathSegment[]][] = [[raw.env, ['env']], ...steps.map((st): [unknown, PathSegment[]] => [st.raw.env, [st.section, st.index, 'env']])];
  for (const [env, path] of envMaps) {
    if (!isRecord(env)) continue;
    for (const key of Object.keys(env)) {
      if (first.has(key)) issues.push({ code: 'invalid-value', message: `env "${key}" has the name of a secret, whose value would replace it: rename one of them`, path: [...path, key], atKey: true });
    }
  }
  if (isRecord(raw.webhook) && typeof raw.webhook.secret === 'string' && !first.has(raw.webhook.secret)) {
    const secret = raw.webhook.secret;
    const found: Issue = {
      code: 'unknown-secret',
      message: names.length === 0 ? `webhook secret "${secret}" is not declared (the workflow declares no secrets)` : `webhook secret "${secret}" is not declared in secrets`,
      path: ['webhook', 'secret'],
    };
    const hint = suggest(secret, names);
    if (hint !== undefined) found.suggestion = hint;
    issues.push(found);
  }
  return issues;
}

function checkParams(params: unknown): Issue[] {
  if (!isRecord(params)) return [];
  const issues: Issue[] = [];
  for (const [name, param] of Object.entries(params)) {
    if (!isRecord(param) || param.default === undefined || typeof param.type !== 'string' || !PARAM_TYPES.includes(param.type)) continue;
    if (!matchesParamType(param.default as JsonValue, param.type as ParamType)) {
      issues.push({ code: 'param-default-type', message: `default ${JSON.stringify(param.default)} is not of type ${param.type}`, path: ['params', name, 'default'] });
    }
  }
  return issues;
}

function checkStep(step: StepFacts, context: ExpressionContext, pools: string[]): Issue[] {
  const { raw, index, section } = step;
  const at = (...rest: PathSegment[]): PathSegment[] => [section, index, ...rest];
  const issues: Issue[] = [];
  // A mapped step's own values are evaluated per item; its `if` and `map.items` are not.
  const perItem: ExpressionContext = raw.map === undefined ? context : { ...context, inMap: true };
  const hasRun = raw.run !== undefined;
  const hasUses = raw.uses !== undefined;
  const hasHttp = raw.http !== undefined;
  const hasWorkflow = raw.workflow !== undefined;
  const waits = raw.wait !== undefined ? 'wait' : raw.approval !== undefined ? 'approval' : undefined;
  const kinds = [hasRun && 'run', hasUses && 'uses', hasHttp && 'http', hasWorkflow && 'workflow', raw.wait !== undefined && 'wait', raw.approval !== undefined && 'approval']
    .filter((k): k is string => k !== false);
  const oneOf = 'run (a shell command), uses (a handler), http (a request), workflow (a sub-workflow), wait (a signal) or approval (a person)';
  if (kinds.length > 1) {
    issues.push({ code: 'run-and-uses', message: `a step has exactly one of ${oneOf}, not ${kinds.join(' and ')}`, path: at(kinds[1] ?? 'uses') });
  }
  if (kinds.length === 0) {
    const message = raw.batch === undefined ? `a step needs one of ${oneOf}` : 'a batch step needs either run (a shell command) or uses (a handler): it processes one group of items per try';
    issues.push({ code: 'no-action', message, path: at() });
  }
  if (waits !== undefined) {
    // A waiting step runs nothing: fields that shape a run or a try would look like they did something.
    for (const key of ['env', 'inheritEnv', 'cwd', 'shell', 'with', 'batch', 'map', 'retry', 'timeout', 'runs-on', 'queue-timeout', 'pool'] as const) {
      if (raw[key] === undefined) continue;
      const why = key === 'timeout' ? `put it in ${waits}: { timeout }, which counts from when the step started waiting, across restarts`
        : key === 'retry' ? 'an answer is not retried: a rejection or a timeout fails the step, and `baton retry --from` asks again'
          : key === 'map' || key === 'batch' ? 'one step waits for one answer'
            : 'it runs no process: the engine holding the run waits for the answer';
      issues.push({ code: 'invalid-value', message: `${key} does not apply to ${waits === 'wait' ? 'a wait' : 'an approval'} step: ${why}`, path: at(key), atKey: true });
    }
  }
  if (hasHttp && raw.batch !== undefined) {
    issues.push({ code: 'invalid-value', message: 'an http step cannot be a batch step: batch maps run or uses over items', path: at('batch') });
  }
  if (isRecord(raw.http)) append(issues, checkHttp(raw.http, at('http'), perItem));
  if (hasHttp) {
    // Silently ignored fields would look like they configure the request.
    for (const key of ['env', 'inheritEnv', 'cwd', 'shell'] as const) {
      if (raw[key] !== undefined) issues.push({ code: 'invalid-value', message: `${key} applies to shell steps: an http step runs no process (put values in its url, headers or body)`, path: at(key), atKey: true });
    }
  }
  if ((waits !== undefined || hasWorkflow) && raw.breaker !== undefined && raw.breaker !== false) {
    issues.push({
      code: 'invalid-value', path: at('breaker'), atKey: true,
      message: `breaker does not apply to ${hasWorkflow ? 'a sub-workflow' : waits === 'wait' ? 'a wait' : 'an approval'} step: it calls nothing a breaker could protect (put breaker on the steps that call the dependency)`,
    });
  }
  if (hasWorkflow && raw.batch !== undefined) {
    issues.push({ code: 'invalid-value', message: 'a sub-workflow step cannot be a batch step: use map to run the workflow once per item', path: at('batch') });
  }
  if (raw.with !== undefined && !hasUses && !hasWorkflow) issues.push({ code: 'with-without-uses', message: 'with passes inputs to a handler (uses) or params to a sub-workflow (workflow)', path: at('with') });
  if (hasWorkflow) {
    for (const key of ['env', 'inheritEnv', 'cwd', 'shell'] as const) {
      if (raw[key] !== undefined) issues.push({ code: 'invalid-value', message: `${key} applies to shell steps: a sub-workflow step gives its child params through with`, path: at(key), atKey: true });
    }
  }
  // Limits and where a handler runs: silently ignored, they would look like they did.
  // `limits: { memory, cpu }` is the same two fields grouped: checked where they are written.
  const limits = isRecord(raw.limits) ? raw.limits : {};
  const limit = (key: 'memory' | 'cpu'): { value: unknown; path: PathSegment[] } => {
    if (raw[key] !== undefined && limits[key] !== undefined) issues.push({ code: 'invalid-value', message: `${key} is set twice: write it once, on the step or in limits`, path: at('limits', key), atKey: true });
    return raw[key] !== undefined || limits[key] === undefined ? { value: raw[key], path: at(key) } : { value: limits[key], path: at('limits', key) };
  };
  const cpu = limit('cpu');
  const memory = limit('memory');
  if (cpu.value !== undefined && (!hasRun || raw.batch !== undefined)) {
    issues.push({ code: 'invalid-value', message: 'cpu limits the processes of a shell step (run, not batch); a handler shares its thread pool\'s CPU', path: cpu.path, atKey: true });
  }
  if (memory.value !== undefined && hasRun && raw.batch !== undefined) {
    issues.push({ code: 'invalid-value', message: 'memory does not apply to a batch step: limit the memory of its groups\' command inside it', path: memory.path, atKey: true });
  }
  for (const key of ['inline', 'memory'] as const) {
    const value = key === 'memory' ? memory.value : raw.inline;
    const path = key === 'memory' ? memory.path : at(key);
    if (value === undefined || (key === 'memory' && hasRun)) continue;
    if (!hasUses) issues.push({ code: 'invalid-value', message: key === 'memory' ? 'memory applies to shell steps (their processes) and uses steps (their handler thread)' : `${key} applies to uses steps: it sets where a handler runs (a thread of the pool, or the engine's own)`, path, atKey: true });
    else if (raw.batch !== undefined) issues.push({ code: 'invalid-value', message: `${key} does not apply to a batch step: its handlers run on the engine's thread`, path, atKey: true });
    else if (key === 'memory' && typeof raw.uses === 'function') issues.push({ code: 'invalid-value', message: `${key} applies to a handler given by module path ("./file.ts#export"): an inline function always runs on the engine's thread`, path, atKey: true });
  }
  if (raw.inline === true && memory.value !== undefined) {
    issues.push({ code: 'invalid-value', message: 'memory limits a handler thread, and inline: true runs the handler on the engine\'s thread: drop one of them', path: memory.path, atKey: true });
  }

  if (isRecord(raw.run) && Object.keys(raw.run).length === 0) {
    issues.push({ code: 'invalid-value', message: 'run needs a command for at least one platform (linux, darwin, win32)', path: at('run') });
  }
  const commands: [PathSegment[], unknown][] = isRecord(raw.run) ? Object.entries(raw.run).map(([k, v]) => [at('run', k), v]) : [[at('run'), raw.run]];
  for (const [path, command] of commands) {
    if (typeof command === 'string' && command.includes('${{')) {
      issues.push({
        code: 'expression-in-run',
        message: 'run commands may not contain ${{ }}, so values never become shell code: set them in env (e.g. env: { NAME: "${{ params.name }}" }) and use "$NAME" in the command',
        path,
      });
    }
  }
  if (typeof raw.pool === 'string' && !pools.includes(raw.pool)) {
    const found: Issue = { code: 'unknown-pool', message: pools.length === 0 ? `pool "${raw.pool}" is not declared (the workflow declares no pools)` : `pool "${raw.pool}" is not declared in pools`, path: at('pool') };
    const hint = suggest(raw.pool, pools);
    if (hint !== undefined) found.suggestion = hint;
    issues.push(found);
  }
  if (typeof raw.shell === 'string' && raw.shell.includes('${{')) {
    issues.push({ code: 'expression-in-run', message: 'shell may not contain ${{ }}: it names the program that runs the command, so it is fixed in the workflow (e.g. shell: bash)', path: at('shell') });
  }
  if (isRecord(raw.env)) append(issues, checkEnv(raw.env, at('env'), perItem));
  if (typeof raw.if === 'string') append(issues, checkExpressions(raw.if, 'condition', at('if'), context));
  if (typeof raw.cwd === 'string') append(issues, checkExpressions(raw.cwd, 'template', at('cwd'), perItem));
  else if (isRecord(raw.cwd) && typeof raw.cwd.value === 'string') append(issues, checkExpressions(raw.cwd.value, 'template', at('cwd', 'value'), perItem));
  if (isRecord(raw.with)) append(issues, checkDeep(raw.with, at('with'), perItem));
  if (isRecord(raw.batch)) append(issues, checkBatch(raw.batch, at('batch'), context));
  if (isRecord(raw.map)) append(issues, checkMap(raw.map, at('map'), context, raw.batch !== undefined));
  return issues;
}

/**
 * An `http:` request: expressions in url, headers and body (which alone may read
 * `secrets.*`), an http(s) URL when it is written literally, no body on GET or HEAD
 * (RFC 9110 §9.3.1: a GET body has no defined meaning, and fetch refuses one).
 */
function checkHttp(http: Raw, path: PathSegment[], context: ExpressionContext): Issue[] {
  const issues: Issue[] = [];
  const request: ExpressionContext = { ...context, allowSecrets: true };
  if (typeof http.url === 'string') {
    if (!http.url.includes('${{')) {
      const problem = httpUrlProblem(http.url);
      if (problem !== undefined) issues.push({ code: 'invalid-value', message: problem, path: [...path, 'url'] });
    } else {
      append(issues, checkExpressions(http.url, 'template', [...path, 'url'], request));
    }
  }
  if (isRecord(http.headers)) {
    for (const [key, value] of Object.entries(http.headers)) {
      if (!HEADER_NAME.test(key)) issues.push({ code: 'invalid-value', message: `header name "${key}" is not a token (RFC 9110 §5.1)`, path: [...path, 'headers', key], atKey: true });
      if (typeof value === 'string') append(issues, checkExpressions(value, 'template', [...path, 'headers', key], request));
    }
  }
  if (http.body !== undefined) {
    append(issues, checkDeep(http.body, [...path, 'body'], request));
    const method = typeof http.method === 'string' ? http.method.toUpperCase() : 'GET';
    if (method === 'GET' || method === 'HEAD') issues.push({ code: 'invalid-value', message: `a ${method} request has no body: use POST, PUT or PATCH to send one`, path: [...path, 'body'] });
  }
  return issues;
}

/** A header field name: an RFC 9110 §5.6.2 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Why `url` is not an http(s) URL, or undefined when it is. */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `url "${url}" is not a valid URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `url "${url}" must be http:// or https://, not ${parsed.protocol}`;
  return undefined;
}

/** A `map:`: its items (read before any item exists), its failure policy, not beside `batch:`. */
function checkMap(map: Raw, path: PathSegment[], context: ExpressionContext, hasBatch: boolean): Issue[] {
  const issues: Issue[] = [];
  if (hasBatch) issues.push({ code: 'invalid-value', message: 'a step has map (one step run per item) or batch (groups of files in one step run), not both', path });
  if (typeof map.items === 'string') append(issues, checkExpressions(map.items, 'template', [...path, 'items'], context));
  if (map.maxFailures !== undefined && map.failurePolicy !== 'continue') {
    issues.push({ code: 'invalid-value', message: 'maxFailures applies only with failurePolicy: continue (fail-fast stops at the first failed item)', path: [...path, 'maxFailures'] });
  }
  return issues;
}

function checkBatch(batch: Raw, path: PathSegment[], context: ExpressionContext): Issue[] {
  const issues: Issue[] = [];
  if (typeof batch.items === 'string') append(issues, checkExpressions(batch.items, 'template', [...path, 'items'], context));
  if (batch.maxFailures !== undefined && batch.failurePolicy !== 'continue') {
    issues.push({ code: 'invalid-value', message: 'maxFailures applies only with failurePolicy: continue (fail-fast stops at the first failed group)', path: [...path, 'maxFailures'] });
  }
  for (const key of ['validate', 'consolidate'] as const) {
    const action = batch[key];
    if (!isRecord(action)) continue;
    const at = [...path, key];
    const hasRun = action.run !== undefined;
    const hasUses = action.uses !== undefined;
    if (hasRun && hasUses) issues.push({ code: 'run-and-uses', message: `${key} has either run (a command) or uses (a handler), not both`, path: [...at, 'uses'] });
    if (!hasRun && !hasUses) issues.push({ code: 'no-action', message: `${key} needs either run (a command) or uses (a handler)`, path: at });
    if (action.with !== undefined && !hasUses) issues.push({ code: 'with-without-uses', message: 'with passes inputs to a handler and needs uses', path: [...at, 'with'] });
    const commands: [PathSegment[], unknown][] = isRecord(action.run) ? Object.entries(action.run).map(([k, v]) => [[...at, 'run', k], v]) : [[[...at, 'run'], action.run]];
    for (const [where, command] of commands) {
      if (typeof command === 'string' && command.includes('${{')) {
        issues.push({ code: 'expression-in-run', message: 'run commands may not contain ${{ }}: values reach batch commands as $BATON_ITEM, $BATON_RESULT_FILE or the step env', path: where });
      }
    }
    if (isRecord(action.with)) append(issues, checkDeep(action.with, [...at, 'with'], context));
  }
  return issues;
}

/**
 * An `env` map: expressions checked; no `BATON_*` names (baton sets those itself); no
 * `${{ }}` in a variable that changes which program runs unless the entry is marked
 * `trusted: true` (DESIGN.md invariant 6).
 */
function checkEnv(env: Raw, path: PathSegment[], context: ExpressionContext): Issue[] {
  const issues: Issue[] = [];
  for (const [key, entry] of Object.entries(env)) {
    if (key.toUpperCase().startsWith(RESERVED_ENV_PREFIX)) {
      issues.push({ code: 'invalid-value', message: `env "${key}": names starting with BATON_ are reserved for the variables baton sets (BATON_OUTPUT, BATON_RUN_ID, …)`, path: [...path, key], atKey: true });
      continue;
    }
    const trusted = isRecord(entry) && entry.trusted === true;
    const value = isRecord(entry) ? entry.value : entry;
    const at = isRecord(entry) ? [...path, key, 'value'] : [...path, key];
    if (typeof value !== 'string') continue;
    if (!trusted && value.includes('${{') && isProgramChangingEnv(key)) {
      issues.push({
        code: 'expression-in-run',
        message: `env "${key}" decides which program runs or what it loads, so it may not come from \${{ }} (params and outputs are untrusted); write it literally, or mark it { value: "...", trusted: true }`,
        path: at,
      });
      continue;
    }
    append(issues, checkExpressions(value, 'template', at, context));
  }
  return issues;
}

function checkDeep(value: unknown, path: PathSegment[], context: ExpressionContext): Issue[] {
  // Depth is bounded by checkBounds (MAX_NESTING_DEPTH) before this runs.
  const issues: Issue[] = [];
  if (typeof value === 'string') return checkExpressions(value, 'template', path, context);
  if (Array.isArray(value)) value.forEach((item: unknown, i) => append(issues, checkDeep(item, [...path, i], context)));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) append(issues, checkDeep(item, [...path, key], context));
  return issues;
}

function checkExpressions(text: string, kind: 'template' | 'condition', path: PathSegment[], context: ExpressionContext): Issue[] {
  const issues: Issue[] = [];
  let sources: string[];
  try {
    sources = expressionSources(text, kind);
  } catch (e) {
    return [{ code: 'bad-expression', message: errorMessage(e), path }];
  }
  if (sources.length > MAX_EXPRESSIONS_PER_FIELD) {
    return [{ code: 'out-of-range', message: `${sources.length.toLocaleString('en-US')} expressions in one field: at most ${MAX_EXPRESSIONS_PER_FIELD}`, path }];
  }
  for (const source of sources) {
    try {
      const parsed = parseExpression(source);
      for (const ref of parsed.refs) {
        const problem = checkRef(ref, context);
        if (problem !== undefined) issues.push({ ...problem, path });
      }
      const call = parsed.calls[0];
      if (call !== undefined && (kind !== 'condition' || context.stepId === undefined)) {
        issues.push({ code: 'bad-expression', message: `${call}() decides whether a step runs, so it may appear only in a step's if`, path });
      }
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      const shown = source.length > 100 ? `${source.slice(0, 100)}…` : source;
      issues.push({ code: 'bad-expression', message: `bad expression "${shown}": ${e.message}`, path });
    }
  }
  return issues;
}

function checkRef(ref: ExpressionRef, context: ExpressionContext): Omit<Issue, 'path'> | undefined {
  const [first, second] = ref.path;
  const shown = [ref.root, ...ref.path].join('.');
  if (ref.root === 'secrets') {
    if (context.allowSecrets !== true) {
      return { code: 'bad-expression', message: `"${shown}": secrets are readable only in an http step's url, headers and body (a shell step gets them as env vars, a handler as ctx.secrets)` };
    }
    if (typeof first !== 'string') return { code: 'bad-expression', message: `"${shown}": name a secret, as in secrets.API_TOKEN` };
    if (context.secretNames.includes(first)) return undefined;
    const found: Omit<Issue, 'path'> = { code: 'unknown-secret', message: `"${shown}" reads secret "${first}", which is not declared in secrets` };
    const hint = suggest(first, context.secretNames);
    if (hint !== undefined) found.suggestion = `secrets.${hint}`;
    return found;
  }
  if (ref.root === 'item' || ref.root === 'map') {
    if (context.inMap !== true) {
      return { code: 'bad-expression', message: `"${shown}": item and map.index are readable only in the env, with, cwd and http values of a step with map:` };
    }
    if (ref.root === 'map' && first !== undefined && first !== 'index') return { code: 'bad-expression', message: `"${shown}": map has only index` };
    return undefined;
  }
  if (ref.root === 'run') {
    if (first === undefined || first === 'id' || first === 'attempt' || first === 'state' || first === 'failedSteps' || first === 'tickAt') return undefined;
    return { code: 'bad-expression', message: `"${shown}": run has only id, attempt, state, failedSteps and tickAt` };
  }
  if (ref.root === 'params') {
    if (first === undefined) return undefined;
    const names = context.paramNames ?? [];
    if (typeof first === 'string' && names.includes(first)) return undefined;
    const found: Omit<Issue, 'path'> = { code: 'bad-expression', message: `"${shown}" reads an undeclared param "${String(first)}"` };
    const hint = suggest(String(first), names);
    if (hint !== undefined) found.suggestion = `params.${hint}`;
    return found;
  }
  if (typeof first !== 'string') return { code: 'bad-expression', message: `"${shown}": name a step, as in steps.<id>.output` };
  if (!context.stepIds.includes(first)) {
    const found: Omit<Issue, 'path'> = { code: 'bad-expression', message: `"${shown}" reads unknown step "${first}"` };
    const hint = suggest(first, context.stepIds);
    if (hint !== undefined) found.suggestion = hint;
    return found;
  }
  if (context.stepId === undefined && context.afterRun !== true) return { code: 'bad-expression', message: `"${shown}": workflow-level values cannot read step outputs` };
  if (first === context.stepId) return { code: 'bad-expression', message: `"${shown}": a step cannot read its own output` };
  if (context.stepId !== undefined && !context.isUpstream(first)) {
    return { code: 'step-not-upstream', message: `"${shown}" reads step "${first}", which is not upstream of "${context.stepId}": add "${first}" to needs` };
  }
  if (second !== undefined && second !== 'output') return { code: 'bad-expression', message: `"${shown}": a step exposes only output, as in steps.${first}.output` };
  return undefined;
}
