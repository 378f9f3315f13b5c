/**
 * @module store/api-types
 * What the HTTP API reads and writes beyond running workflows: API tokens, webhook
 * deliveries, run queries with cursor pagination, the commit-ordered event feed, and counts
 * for metrics. Every `Store` carries one as `store.api`, so the runtime's contract stays
 * about running workflows and one conformance suite covers both stores.
 */
import type { RunState, StepRunState } from '../core/index.js';
import type { EventRecord, NewEvent, RunRecord, StoredStepRun, Trigger } from './types.js';
import { BatonError } from '../shared/index.js';

/**
 * What a token may do. `viewer` reads; `operator` also creates, cancels, retries, pauses
 * and re-prioritises runs and pauses schedules and drains workers; `admin` also registers
 * workflows and manages tokens.
 */
export type Role = 'viewer' | 'operator' | 'admin';

/** All roles, weakest first. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** A stored API token. Only a hash of its secret is kept; the secret is shown once. */
export interface TokenRecord {
  /** Public part of the token (`baton_<id>_<secret>`), used to find it. */
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the secret part, hex. */
  hash: string;
  /** ms since the epoch. */
  createdAt: number;
  lastUsedAt?: number;
  revokedAt?: number;
}

/**
 * A dashboard session: an API token exchanged once for a cookie, so the browser never
 * keeps the token. Only a hash of the cookie's secret is stored.
 */
export interface SessionRecord {
  /** SHA-256 of the cookie's value, hex. */
  id: string;
  /** The token it was opened with: its role is the session's, and revoking it ends the session. */
  tokenId: string;
  /** What the session's CSRF tokens are made from and checked against (base64url). */
  csrfSecret: string;
  /** ms since the epoch. */
  createdAt: number;
  /** ms since the epoch: the session is refused from then on. */
  expiresAt: number;
  revokedAt?: number;
}

/** Filters and page of {@link ApiStore.queryRuns}. Runs come newest first. */
export interface RunQuery {
  workflow?: string;
  state?: RunState[];
  trigger?: Trigger[];
  /** Created at or after, ms since the epoch. */
  since?: number;
  /** Created before, ms since the epoch. */
  until?: number;
  /** The `next` of the previous page. */
  cursor?: string;
  /** @default 50 */
  limit: number;
}

/** One page of runs. `next` is absent on the last page. */
export interface RunPage {
  runs: RunRecord[];
  next?: string;
}

/** An event of the feed, with the cursor that resumes the feed just after it. */
export interface FeedEvent extends EventRecord {
  /** Opaque; hand it back as `after` (HTTP: the SSE event id, `Last-Event-ID`). */
  cursor: string;
  /** The run's workflow; for an `alert` event, the alert subject's workflow, `''` when it names none. */
  workflow: string;
}

/**
 * The `data` of an `alert` event of the feed: the alert as it was at the change. `from` and
 * `to` of the event are its states before and after (equal for `seen-again` and `escalated`).
 */
export interface AlertFeedData {
  /** The alert (`AlertRecord.id`), as the event's `alertId`. */
  alertId: string;
  /** The rule's name. */
  rule: string;
  /** The rule's kind (`run-failed`, `step-failed`, …). */
  kind: string;
  /** `info`, `warning` or `critical`. */
  severity: string;
  /** Its summary as it was then (the newest occurrence's). */
  summary: string;
  /** The alert event type: `fired`, `seen-again`, `acknowledged`, `resolved`, `silenced`, `unsilenced`, `refired` or `escalated`. */
  change: string;
  /** Who made it: `system`, `token:<name>`, `cli:<user>`. */
  actor: string;
  /** What the alert is about (workflow, runId, stepId, worker, schedule, pool, channel). */
  subject: Record<string, string>;
}

/** Which events the feed returns. */
export interface FeedFilter {
  /** Events of this run, alert changes about it included. */
  runId?: string;
  /** Events of runs of this workflow, and changes of alerts whose subject names it. */
  workflow?: string;
  /** Only run transitions, only step transitions (a metrics reader needs the latter only) or only alert changes. */
  type?: 'run' | 'step' | 'alert';
  /** Only ends: runs reaching a final state, step runs leaving `running` (an attempt ended) or failing (also without an attempt: unclaimed, a missing secret). What alerting reads. */
  ends?: boolean;
  /**
   * With `ends`: what alerting may leave unread. Successful step ends that no rule can act
   * on are skipped in the database (most of a big run's ends), and run creations are added
   * (one per run) so the reader learns each run's version before its ends arrive.
   */
  quiet?: QuietEnds;
}

/**
 * Successful step ends (`running → succeeded`) alerting need not read: those of runs of
 * `versions`, of steps not in `openSteps`, with usage within the thresholds. Everything else
 * of {@link FeedFilter.ends} is read. Thresholds absent: no rule of that kind applies.
 */
export interface QuietEnds {
  /** Workflow versions whose runs alert only by the server's rules; empty: nothing is skipped. */
  versions: readonly string[];
  /** Step ids with an open alert (their ends clear it): always read. */
  openSteps: readonly string[];
  /** An end whose `peakRssBytes` is above this is read, bytes. */
  maxMemoryBytes?: number;
  /** An end whose `cpuMs / wallMs` is above this share of a core, over at least `cpuWindowMs`, is read. */
  maxCpu?: number;
  /** Shortest attempt a cpu rule judges, ms. */
  cpuWindowMs: number;
}

/** Counts for metrics: runs by state over all runs kept, step runs by state in unfinished runs. */
export interface StateCounts {
  runs: Partial<Record<RunState, number>>;
  stepRuns: Partial<Record<StepRunState, number>>;
  /** Attempts that ended `lost` (a lease expired or a holder died), over all runs kept. */
  lostAttempts: number;
}

/**
 * Step runs waiting to start, grouped by what their pool and priority come from: the
 * workflow version and step (the step's `pool` and `priority`) and the run's priority.
 * Waiting means `queued` (ready, waiting for a slot of its engine, its run's concurrency or
 * its pool), or, in a fleet, `running` with its attempt published and not claimed by a
 * worker yet. Only step runs of `running` runs: nothing else has ready steps.
 */
export interface WaitingStepGroup {
  /** The workflow version (content hash). */
  version: string;
  stepId: string;
  /** The run's priority, −10..+10. */
  runPriority: number;
  /** Step runs waiting. */
  count: number;
  /** When the longest-waiting of them became ready (its `queuedAt`), ms since the epoch. */
  oldestQueuedAt: number;
}

/** A workflow name with its newest registered version. */
export interface WorkflowSummary {
  name: string;
  latestVersion: string;
  versions: number;
  /** When the newest version was registered, ms since the epoch. */
  updatedAt: number;
}

/** A webhook delivery, recorded with the run it created so a replay is refused. */
export interface WebhookDelivery {
  workflow: string;
  /** The sender's delivery id (`X-Baton-Delivery`). */
  id: string;
  receivedAt: number;
}

/** The API's part of the store. Every method rejects with the driver's error when the database fails. */
export interface ApiStore {
  createToken(t: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Returns false when there is no such token or it was already revoked. */
  revokeToken(id: string, now: number): Promise<boolean>;
  /** Records use at most once a minute per token, so reads stay reads. */
  touchToken(id: string, now: number): Promise<void>;
  /** Stores a new session. */
  createSession(s: SessionRecord): Promise<void>;
  /** The session with this id (revoked and expired ones included: the caller decides). */
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Returns false when there is no such session or it was already revoked. */
  revokeSession(id: string, now: number): Promise<boolean>;
  /** Deletes sessions that expired or were revoked before `before` (ms since the epoch); returns how many. */
  deleteSessions(before: number): Promise<number>;
  /** Runs matching `q`, newest first (created time, then id), one page. */
  queryRuns(q: RunQuery): Promise<RunPage>;
  /**
   * Events after `cursor` (exclusive; absent = from the start) in commit order, at most
   * `limit`. Commit order matters: a reader that resumes from a cursor must never miss an
   * event committed later with a smaller sequence number (PostgreSQL hands out sequence
   * numbers before commit; see postgres/api.ts).
   */
  eventsAfter(cursor: string | undefined, filter: FeedFilter, limit: number): Promise<FeedEvent[]>;
  /** A cursor after every event committed so far: where a new live feed starts. */
  eventsHead(): Promise<string>;
  countStates(): Promise<StateCounts>;
  /**
   * Runs waiting to start, across the store (every node sharing it reads the same number):
   * runs `queued`, and runs `running` none of whose step runs has begun (each still
   * `pending` or `queued`: a server starts a run due now at once, and its first steps then
   * wait for a slot; on PostgreSQL a step published to the fleet and not claimed by a worker
   * has not begun either). `pending` runs (not
   * yet due) are not counted. One statement: intake backpressure reads it at most about
   * once a second.
   */
  waitingRuns(): Promise<number>;
  /** Waiting step runs by version, step and run priority (for `/metrics`); one statement. */
  waitingSteps(): Promise<WaitingStepGroup[]>;
  /** Migration files not applied to this database (a node started with an older baton migrated it, or none did). */
  pendingMigrations(): Promise<string[]>;
  listWorkflows(): Promise<WorkflowSummary[]>;
  /** Versions of one workflow, newest first. */
  listWorkflowVersions(name: string): Promise<{ version: string; createdAt: number }[]>;
  /**
   * Records a webhook delivery and creates its run in one transaction. Returns the id of
   * the run created earlier instead, when this delivery was already recorded.
   */
  createWebhookRun(d: WebhookDelivery, run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<{ created: boolean; runId: string }>;
}

/** SQL of {@link FeedFilter.ends} over `events e` (the same in both dialects). */
export const FEED_ENDS = "((e.type = 'run' AND e.to_state IN ('succeeded', 'failed', 'cancelled')) OR (e.type = 'step' AND (e.from_state = 'running' OR e.to_state = 'failed')))";

/**
 * SQL of {@link FeedFilter.quiet} over `events e JOIN runs r`, one text for both dialects:
 * `json(field)` reads a number from `e.data` (0 when absent), `param(v)` binds a value and
 * returns its placeholder.
 */
export function quietEndsSql(q: QuietEnds, json: (field: string) => string, param: (v: unknown) => string): string {
  const created = "(e.type = 'run' AND e.from_state IS NULL)";
  if (q.versions.length === 0) return `(${FEED_ENDS} OR ${created})`;
  const skip = ["e.type = 'step'", "e.from_state = 'running'", "e.to_state = 'succeeded'", `r.version IN (${q.versions.map(param).join(', ')})`];
  if (q.openSteps.length) skip.push(`e.step_id NOT IN (${q.openSteps.map(param).join(', ')})`);
  if (q.maxMemoryBytes !== undefined) skip.push(`${json('peakRssBytes')} <= ${param(q.maxMemoryBytes)}`);
  if (q.maxCpu !== undefined) skip.push(`NOT (${json('wallMs')} >= ${param(q.cpuWindowMs)} AND ${json('cpuMs')} > ${param(q.maxCpu)} * ${json('wallMs')})`);
  return `((${FEED_ENDS} AND NOT (${skip.join(' AND ')})) OR ${created})`;
}

/** Encodes a page position (created time, id) as an opaque cursor. */
export function encodeRunCursor(r: Pick<RunRecord, 'createdAt' | 'id'>): string {
  return Buffer.from(`${r.createdAt}:${r.id}`).toString('base64url');
}

/** Thrown for a cursor that no page handed out. */
export class BadCursorError extends BatonError {
  constructor(readonly cursor: string) {
    super('bad-cursor', `malformed cursor '${cursor}': pass back the 'next' value of a previous page`);
  }
}

/** Decodes {@link encodeRunCursor}. @throws BadCursorError */
export function decodeRunCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^(\d+):(.+)$/.exec(text);
  if (!m) throw new BadCursorError(cursor);
  return { createdAt: Number(m[1]), id: m[2]! };
}

/** The page of `rows` (one more than `limit` was read, to know if another page exists). */
export function toRunPage(rows: RunRecord[], limit: number): RunPage {
  const runs = rows.slice(0, limit);
  const last = runs[runs.length - 1];
  return rows.length > limit && last ? { runs, next: encodeRunCursor(last) } : { runs };
}
