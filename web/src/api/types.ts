/**
 * @module web/api/types
 * The API's wire shapes as the dashboard reads them: the types openapi-typescript generates
 * from the server's OpenAPI document (itself built from the zod schemas of
 * `src/server/schemas.ts`), so a changed route breaks this build, not a page. Types only:
 * nothing of the server reaches the bundle.
 */
import type { components, paths } from '../../../test/generated/api.js';

/** The API's paths, methods and their shapes (what openapi-fetch is typed with). */
export type { paths };
type Schemas = components['schemas'];

/** A run (DESIGN.md glossary); times are ms since the epoch. */
export type Run = Schemas['Run'];
/** A run's state. */
export type RunState = Run['state'];
/** What created a run. */
export type Trigger = Run['trigger'];
/** A step inside a run. */
export type StepRun = Schemas['StepRun'];
/** A step run's state. */
export type StepRunState = StepRun['state'];
/** One try of a step run. */
export type Attempt = Schemas['Attempt'];
/** A stored, shown failure. */
export type Failure = Schemas['Failure'];
/** A run with its step runs and attempts. */
export type RunDetail = Schemas['RunDetail'];
/** A page of runs with the cursor of the next one. */
export type RunPage = Schemas['RunPage'];
/** A workflow name with its newest version. */
export type WorkflowSummary = Schemas['WorkflowSummary'];
/** One stored version of a workflow (its compiled definition). */
export type WorkflowVersion = Schemas['WorkflowVersion'];
/** A schedule with its next fire times. */
export type Schedule = Schemas['Schedule'];
/** A fleet worker and its load. */
export type Worker = Schemas['Worker'];
/** An alert. */
export type Alert = Schemas['Alert'];
/** An alert's state. */
export type AlertState = Alert['state'];
/** One change of an alert. */
export type AlertEvent = Schemas['AlertEvent'];
/** A delivery of a notification to a channel. */
export type Delivery = Schemas['Delivery'];
/** A silence. */
export type Silence = Schemas['Silence'];
/** The answer of a log search. */
export type LogSearch = Schemas['LogSearch'];
/** Why a run's failed steps failed, and what may recover them (`GET /runs/{id}/diagnosis`). */
export type Diagnosis = Schemas['Diagnosis'];
/** One failed step's diagnosis. */
export type StepDiagnosis = Schemas['StepDiagnosis'];
/** One matching log line. */
export type LogMatch = Schemas['LogMatch'];
/** A history summary over a window. */
export type History = Schemas['History'];
/** A finished run as exported, with its step runs. */
export type RunExport = Schemas['RunExport'];

/** Roles of API tokens and sessions, weakest first. */
export type Role = 'viewer' | 'operator' | 'admin';

/** All run states, in lifecycle order. */
export const RUN_STATES: readonly RunState[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];
/** All triggers. */
export const TRIGGERS: readonly Trigger[] = ['manual', 'schedule', 'backfill', 'api', 'webhook', 'retry', 'parent'];
/** All step run states. */
export const STEP_RUN_STATES: readonly StepRunState[] = ['pending', 'queued', 'running', 'retrying', 'succeeded', 'failed', 'skipped', 'cancelled'];

/** Whether a run state is final. */
export function isRunDone(state: RunState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** Whether a step run state is final. */
export function isStepDone(state: StepRunState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'skipped' || state === 'cancelled';
}

/** Whether `role` may do what `needed` may (viewer < operator < admin). */
export function roleAllows(role: Role | undefined, needed: Role): boolean {
  const rank = { viewer: 0, operator: 1, admin: 2 } as const;
  return role !== undefined && rank[role] >= rank[needed];
}

/**
 * An event of the live feed (`GET /api/v1/events`): a state change with its workflow.
 * `type` is `run` or `step` for transitions (`from`, `to`), `alert` for a change of an alert
 * (`alertId`; `from`, `to` its states; `data` an {@link AlertFeedData}; `runId` and
 * `workflow` `''` when it is about none), `map` when a mapped step expands (`data.items`, how
 * many; its items' step events follow with ids `<step>[<index>]`), else `attempt`,
 * `cancel-requested`, `run-paused`, `run-resumed`, `rerun`, `priority`, `retried`…
 */
export interface FeedEvent {
  seq: number;
  runId: string;
  stepId?: string;
  attemptId?: string;
  alertId?: string;
  type: string;
  from?: string;
  to?: string;
  /** ms since the epoch. */
  at: number;
  workflow: string;
  data?: Record<string, unknown>;
}

/** The `data` of an `alert` event of the live feed: the alert as it was at the change. */
export interface AlertFeedData {
  alertId: string;
  rule: string;
  kind: string;
  severity: string;
  summary: string;
  /** `fired`, `seen-again`, `acknowledged`, `resolved`, `silenced`, `unsilenced`, `refired` or `escalated`. */
  change: string;
  actor: string;
  subject: Record<string, string>;
}

/** The session of a signed-in browser (`/api/v1/session`): role, token name, expiry and the CSRF token; the token itself never reaches the page. */
export type Session = Schemas['Session'];

/** The queue: depth and waiting step runs by pool and effective priority (`GET /api/v1/queue`). */
export type Queue = Schemas['Queue'];
/** Waiting step runs of one pool at one effective priority. */
export type QueueGroup = Schemas['QueueGroup'];
/** A load forecast (`GET /forecast`): the last 48 hours, the next ones, the model and its backtest. */
export type Forecast = Schemas['Forecast'];
/** How one series of a forecast was made. */
export type SeriesForecast = Schemas['SeriesForecast'];
