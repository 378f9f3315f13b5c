/**
 * @module web/lib/definition
 * What the pages read of a stored workflow definition (the compiled JSON of
 * `GET /workflows/{name}/versions/{v}`): its declared params and its batch steps. The
 * definition is typed `unknown` by the API, so every field is checked before use and
 * unknown shapes read as "nothing declared".
 */

/** The types a param may declare (DESIGN.md: workflow params). */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean', 'array', 'object'];

/** One declared param. */
export interface ParamDecl {
  name: string;
  type: ParamType;
  /** Absent: no default. */
  default?: unknown;
  description?: string;
  required: boolean;
}

/** A step with `batch:`: its id and the param its `items` reads (`${{ params.NAME }}`), if any. */
export interface BatchStepDecl {
  id: string;
  itemsParam?: string;
  items: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The params a definition declares, in declaration order. */
export function declaredParams(definition: unknown): ParamDecl[] {
  const params = isObject(definition) ? definition.params : undefined;
  if (!isObject(params)) return [];
  return Object.entries(params).flatMap(([name, p]) => {
    if (!isObject(p) || !PARAM_TYPES.includes(p.type as ParamType)) return [];
    return [{
      name,
      type: p.type as ParamType,
      ...('default' in p && p.default !== undefined ? { default: p.default } : {}),
      ...(typeof p.description === 'string' ? { description: p.description } : {}),
      required: p.required === true,
    }];
  });
}

const ITEMS_PARAM = /^\$\{\{\s*params\.([A-Za-z_][\w-]*)\s*\}\}$/;

/** The steps of a definition that have `batch:`. */
export function batchSteps(definition: unknown): BatchStepDecl[] {
  const steps = isObject(definition) ? definition.steps : undefined;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((s: unknown) => {
    if (!isObject(s) || typeof s.id !== 'string' || !isObject(s.batch)) return [];
    const items = typeof s.batch.items === 'string' ? s.batch.items : '';
    const m = ITEMS_PARAM.exec(items.trim());
    return [{ id: s.id, items, ...(m?.[1] ? { itemsParam: m[1] } : {}) }];
  });
}

/** A step of a definition that waits for an answer: a signal (`wait:`) or a person (`approval:`). */
export interface WaitDecl {
  id: string;
  kind: 'wait' | 'approval';
  /** `wait:` the signal's name. */
  signal?: string;
  /** `approval:` the least role that may answer. */
  role?: 'operator' | 'admin';
  /** `approval:` what the person is asked. */
  message?: string;
}

/** The waiting steps of a stored (compiled) definition, by step id. */
export function waitingSteps(definition: unknown): Map<string, WaitDecl> {
  const steps = isObject(definition) ? definition.steps : undefined;
  if (!Array.isArray(steps)) return new Map();
  return new Map(steps.flatMap((s: unknown): (readonly [string, WaitDecl])[] => {
    if (!isObject(s) || typeof s.id !== 'string' || !isObject(s.action)) return [];
    const a = s.action;
    if (a.kind === 'wait' && typeof a.signal === 'string') return [[s.id, { id: s.id, kind: 'wait', signal: a.signal }] as const];
    if (a.kind !== 'approval') return [];
    const decl: WaitDecl = { id: s.id, kind: 'approval', role: a.role === 'admin' ? 'admin' : 'operator', ...(typeof a.message === 'string' ? { message: a.message } : {}) };
    return [[s.id, decl] as const];
  }));
}
