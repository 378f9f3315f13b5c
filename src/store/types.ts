/**
 * @module store/types
 * The one storage contract. The runtime talks only to `Store`; `store/sqlite` (embedded
 * default) and `store/postgres` (shared, multi-node) implement it, and one conformance
 * suite (test/store-conformance.test.ts) runs against both.
 * Every method is async so both drivers fit; one `commit` writes a whole batch of
 * transitions in one transaction (group commit), which is what makes the engine fast
 * while staying write-ahead.
 */
import type { AttemptState, Failure, RunEndReason, RunState, StepRunRecord, StepRunState } from '../core/index.js';
import type { OverlapPolicy, ScheduleSpec } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import type { FleetAttemptInput } from './fleet-types.js';
import type { ApiStore } from './api-types.js';
import type { AlertStore } from './alert-types.js';
import type { LogStore } from './log-types.js';
import type { HistoryStore } from './history-types.js';
import type { RetentionStore } from './retention-types.js';
import type { BreakerCall, BreakerStore, StepCircuit } from './breaker-types.js';
import { BatonError } from '../shared/index.js';

/**
 * What created a run (glossary: trigger). `backfill` is a schedule tick in the past created
 * by an operator (`baton backfill`): it records its schedule and tick like a `schedule` run,
 * but history and filters tell it from a tick fired on time.
 */
export type Trigger = 'manual' | 'schedule' | 'backfill' | 'api' | 'webhook' | 'retry' | 'parent';

/** All triggers, for validation of user filters. */
export const TRIGGERS: readonly Trigger[] = ['manual', 'schedule', 'backfill', 'api', 'webhook', 'retry', 'parent'];

/** A stored workflow version. */
export interface WorkflowVersionRecord {
  /** The content hash (`workflowVersion`): its key, and what a run records. */
  version: string;
  /** The workflow's name. */
  name: string;
  /** The compiled definition as JSON-able data. */
  definition: JsonValue;
  /** The file it was loaded from, if any. */
  sourcePath?: string;
  /** When this version was first stored, ms since the epoch. */
  createdAt: number;
}

/** A stored run. Times are ms since the epoch. */
export interface RunRecord {
  /** The run's id: 8 base-36 chars of its creation time (ms) then 8 random hex, so ids sort by age; a unique prefix is accepted by `resolveRunId`. */
  id: string;
  /** The workflow's name. */
  workflow: string;
  /** The workflow version it runs (content hash, `workflowVersion`). */
  version: string;
  /** Its current state (DESIGN.md glossary). */
  state: RunState;
  /** What created it. */
  trigger: Trigger;
  /** Its params, defaults applied. */
  params: JsonObject;
  /** −10..+10, higher first. */
  priority: number;
  /** Steps of this run at once; absent: the workflow's `concurrency`. */
  concurrency?: number;
  /** Step runs in the run. */
  stepCount: number;
  /** ms since the epoch. */
  createdAt: number;
  /** When it first ran, ms since the epoch. */
  startedAt?: number;
  /** When it ended, ms since the epoch. */
  endedAt?: number;
  /** Why it ended the way it did, beyond its state (e.g. `run-timeout`, `cancelled`). */
  reason?: RunEndReason;
  /** The engine holding the run's lease, by its id; absent while nobody holds it. */
  owner?: string;
  /** The holder's process id, and host below: to tell a dead holder on this machine. */
  ownerPid?: number;
  /** Host name of the holder's process. */
  ownerHost?: string;
  /** When the holder's lease runs out, ms since the epoch (the database's clock). */
  leaseExpiresAt?: number;
  /** When a cancel was asked for, ms since the epoch; the holder acts on it. */
  cancelRequestedAt?: number;
  /** A `pending` run becomes `queued` at this time (delayed and scheduled runs). */
  dueAt?: number;
  /** The schedule that created it (`<workflow>/<name>`) and the tick it fired for. */
  scheduleId?: string;
  /** The schedule tick it fired for, ms since the epoch. */
  tickAt?: number;
  /** Wait until no other run of `scheduleId` is queued or running (schedule `overlap: queue`). */
  waitForSchedule?: boolean;
  /**
   * Set while an operator has the run paused (`pauseRun`), ms since the epoch: no new step
   * starts (a queued run does not start at all); running attempts finish.
   */
  pausedAt?: number;
  /** When the run last became `queued`, ms since the epoch: how long it has waited for an engine. */
  queuedAt?: number;
  /** The run this one retries (`retryAsNewRun`: same workflow version and params, trigger `retry`). */
  retryOf?: string;
  /** A child run (trigger `parent`): the run and the sub-workflow step that started it. */
  parentRunId?: string;
  parentStepId?: string;
  /** Parents above it: 0 (absent) for a run no step started, 1 for a child, … */
  depth?: number;
}

/** A stored step run: the machine's record plus its run and position. */
export interface StoredStepRun extends StepRunRecord {
  /** The run it belongs to. */
  runId: string;
  /** The step's index in the definition's `steps`, from 0. */
  position: number;
  /** A `wait:` or `approval:` step's answer, once it arrived (it may arrive before the step waits). */
  signal?: StepSignal;
  /** A `queued` step run that is ready but held back: why (its circuit breaker is open). */
  circuit?: StepCircuit;
}

/**
 * The answer a waiting step receives: a signal sent to its run (`wait: { signal }`), or a
 * person's approval or rejection (`approval:`). Kept on the step run; the first one wins.
 */
export interface StepSignal {
  /** The signal's name; `approval` for an approval step's answer. */
  name: string;
  /** The signal's JSON payload (the step's output); for an approval, {@link ApprovalAnswer}. */
  payload: JsonValue;
  /** Who sent it: `api:<token name>`, `cli:<user>`, `dashboard:<user>`. */
  by?: string;
  /** When it arrived, ms since the epoch. */
  at: number;
}

/** What a person answered to an `approval:` step (the payload of its {@link StepSignal}). */
export interface ApprovalAnswer {
  /** True: the step succeeds; false: it fails with `rejected`. */
  approved: boolean;
  /** Why, as the person wrote it (at most 2,000 characters). */
  note?: string;
}

/** A stored attempt. */
export interface AttemptRecord {
  /** `<run>.<step>.<number>`: stable, usable as an idempotency key. */
  id: string;
  /** The run it belongs to. */
  runId: string;
  /** The step it belongs to. */
  stepId: string;
  /** The try's number, from 1. */
  number: number;
  /** Its current state (DESIGN.md glossary). */
  state: AttemptState;
  /** ms since the epoch. */
  startedAt: number;
  /** ms since the epoch. */
  endedAt?: number;
  /** A shell step's exit code. */
  exitCode?: number;
  /** How it failed, as stored and shown. */
  error?: Failure;
  /** The attempt's log file. */
  logPath?: string;
  /** The process id of a shell step's command. */
  pid?: number;
  /** Peak resident memory of the attempt's process, bytes. */
  peakRssBytes?: number;
  /** CPU time (user + system), ms. */
  cpuMs?: number;
  /** The worker that executed it (fleet mode), by id. */
  worker?: string;
}

/** One event: an append-only record of one state change. `seq` orders all events. */
export interface EventRecord {
  /** Position among all events of the store, increasing. */
  seq: number;
  /** The run it belongs to; for an `alert` event, the run the alert is about, or `''` for none (a worker, a schedule). */
  runId: string;
  /** The step run it concerns, if any. */
  stepId?: string;
  /** The attempt it concerns, if any (`AttemptRecord.id`). */
  attemptId?: string;
  /** The alert it concerns (`alert` events only; `AlertRecord.id`). */
  alertId?: string;
  /**
   * `run` | `step` | `attempt` | `cancel-requested` | ...; an operator's requests are
   * `run-paused`, `run-resumed`, `rerun`, `priority` and `retried` (data says who asked, `by`).
   * `alert` is a change of an alert, written by the alert store with the change (`from`/`to`
   * are alert states, `from` absent when it opened; data: `AlertFeedData`).
   */
  type: string;
  /** The state before the change, for state changes. */
  from?: string;
  /** The state after the change, for state changes. */
  to?: string;
  /** ms since the epoch. */
  at: number;
  /** Details of the change, by event type. */
  data?: JsonObject;
}

/** An event before the store numbered it. */
export type NewEvent = Omit<EventRecord, 'seq'>;

/** Changes to one run's row; absent fields are left as they are. */
export interface RunUpdate {
  id: string;
  /** Its current state (DESIGN.md glossary). */
  state?: RunState;
  startedAt?: number;
  endedAt?: number | null;
  reason?: RunEndReason | null;
  /**
   * The holder that lets go of the run in this commit (its end), as `releaseRun` does: the
   * holder columns are cleared only while this holder still has them. Saves the ending run a
   * commit of its own.
   */
  release?: string;
}

/** The end of an attempt. */
export interface AttemptEnd {
  id: string;
  /** Its current state (DESIGN.md glossary). */
  state: Exclude<AttemptState, 'running'>;
  endedAt: number;
  exitCode?: number;
  error?: Failure;
  peakRssBytes?: number;
  cpuMs?: number;
}

/**
 * Everything one flush of the engine writes, applied in one transaction in this order:
 * attempts started, attempts ended, step runs, runs, events.
 */
export interface Batch {
  /**
   * Runs this commit creates, each with its step runs and first events, written before
   * everything else in it: an engine that starts a run creates it in the commit that records
   * its first transitions and attempts (one commit, not two, per started run).
   */
  runsCreated?: NewRunRows[];
  attemptsStarted: AttemptRecord[];
  attemptsEnded: AttemptEnd[];
  /**
   * Step runs this commit adds to an existing run (the items of a mapped step, with their
   * `item`), inserted before `stepRuns` is applied; an existing row is left as it is.
   */
  stepRunsAdded?: StoredStepRun[];
  /** Full rows; the last entry for a step run wins. */
  stepRuns: StoredStepRun[];
  runs: RunUpdate[];
  events: NewEvent[];
  /** Process ids learned after spawn: not write-ahead critical, used to end orphans on resume. */
  attemptPids?: { id: string; pid: number }[];
  /**
   * Fleet attempts (ended by a worker or the reaper) whose end this batch applies to the run:
   * marked applied in the same transaction, so a crash can neither lose nor repeat them.
   * PostgreSQL only.
   */
  attemptsApplied?: string[];
  /**
   * Fleet attempts to publish with their rows (task, priority, pool, runs-on), written before
   * the plain attempt inserts so each row is written once. PostgreSQL only.
   */
  attemptsPublished?: FleetAttemptInput[];
  /**
   * Ends of attempts that ran behind a circuit breaker, folded into their breakers (each row
   * read under lock, `core/breaker` applied, a `breaker` event per change of state) in this
   * transaction: a breaker never misses an end that was committed, nor counts one twice.
   */
  breakerCalls?: BreakerCall[];
}

/** Filters for `listRuns`. */
export interface RunFilter {
  /** Only runs of this workflow (by name). */
  workflow?: string;
  /** Only runs in one of these states. */
  state?: RunState[];
  /** Only the child runs started by this run's sub-workflow steps. */
  parentRunId?: string;
  /** @default 20 */
  limit?: number;
  /**
   * `newest`: created newest first. `queue`: the order queued runs start in, highest
   * priority first, then longest waiting (queued_at, else created_at).
   * @default 'newest'
   */
  order?: 'newest' | 'queue';
}

/**
 * An operator's re-run as the store writes it (`Store.reopenRun`), planned by `planRerun`.
 * The run's end, holder, cancel request and pause are cleared; `startedAt` is kept, so its
 * duration counts from its first start, as the timeline of its attempts does.
 */
export interface RunReopen {
  /** The run it belongs to. */
  runId: string;
  /** The run's state when planned: nothing is written if it changed since. */
  from: RunState;
  /** `queued` for a finished run; a `pending` or `queued` run keeps its state. */
  to: RunState;
  now: number;
  /** Full rows of the step runs put back to `pending` (with `retryBase`). */
  steps: StoredStepRun[];
  /** Batch steps among them: their stored groups are dropped, so they run whole again. */
  clearBatchGroups: string[];
  events: NewEvent[];
}

/** What `Store.renewRun` reports to a holder. */
export interface RenewResult {
  /** False when another holder took the run. */
  held: boolean;
  /** A cancel request was recorded (by `baton cancel` or the API). */
  cancelRequested: boolean;
  /** The run is paused (`pauseRun`). */
  paused: boolean;
}

/** The holder of a run in embedded mode. */
export interface RunOwner {
  owner: string;
  pid: number;
  host: string;
}

/** A schedule as stored: its compiled entry, the version it runs, and its state. */
export interface ScheduleRecord {
  /** `<workflow>/<schedule name>`. */
  id: string;
  /** The workflow's name. */
  workflow: string;
  /** The workflow version its runs use: the latest one saved with this schedule. */
  version: string;
  /** The cron expression, time zone and policies. */
  spec: ScheduleSpec;
  /** Paused schedules fire nothing (`baton schedules pause`). */
  paused: boolean;
  /** Latest tick handled (fired or skipped), ms since epoch. */
  lastTickAt?: number;
  /**
   * What that tick did (`skipped-backpressure`: intake refused its run); absent when no tick
   * was recorded at `lastTickAt` (a resume moved it to the time of the resume).
   */
  lastOutcome?: TickOutcome;
  /** ms since the epoch. */
  updatedAt: number;
}

/** A new run's rows: the run, all its step runs, and its first events (`Store.createRun`). */
export interface NewRunRows {
  record: RunRecord;
  steps: StoredStepRun[];
  events: NewEvent[];
}

/**
 * What a schedule tick did: made its run, or was skipped because another run of the schedule
 * was active (`overlap: skip`), because it was missed (`misfire` policy, a server that was
 * down), or because intake refused new runs (`backpressure.reject`, triggers/intake.ts).
 */
export type TickOutcome = 'created' | 'skipped-overlap' | 'skipped-misfire' | 'skipped-backpressure';

/** One tick to record, with the run it creates when it fires. */
export interface TickFire {
  scheduleId: string;
  tickAt: number;
  now: number;
  /** Absent: the tick is recorded as `skipped-misfire` (or `skipped-backpressure` with `refused`). */
  run?: NewRunRows;
  /** Without `run`: why the tick made no run, recorded as outcome `skipped-backpressure`. */
  refused?: 'backpressure';
  overlap: OverlapPolicy;
  /** A missed tick replayed by `misfire: catch-up`: with `overlap: skip` it queues behind the schedule's other runs instead of being dropped. */
  replay?: boolean;
}

/**
 * State of one group of a batch step. `pending`: not finished (never tried, or its try was
 * interrupted); `invalid`: the row holding items that failed validation (`onInvalid: skip`).
 */
export type BatchGroupState = 'pending' | 'succeeded' | 'failed' | 'invalid';

/**
 * One group of a batch step's items as the store persists it (a `batch_groups` row, keyed by
 * run, step and index). The batch executor plans, runs and resumes groups as its own
 * `BatchGroupRecord` (executors/), which the runtime saves and loads as this shape: the store
 * sits below the executors, so it keeps the persisted shape under its own name.
 */
export interface StoredBatchGroup {
  /** From 0 in item order; -1 is the row of invalid items. */
  index: number;
  /** The group's items, in item order. */
  items: JsonValue[];
  /** Its current state (DESIGN.md glossary). */
  state: BatchGroupState;
  /** Tries that ended (succeeded or failed) for this group. */
  attempts: number;
  /** One output per item, in item order, once the group succeeded. */
  outputs?: JsonValue[];
  /** Why the group failed; for the invalid row, `details` lists `{ item, reason }` per item. */
  error?: Failure;
  /** ms since the epoch. */
  updatedAt: number;
}

/** Thrown when a store is asked for what its kind cannot do (fleet attempts on SQLite). */
export class StoreUnsupportedError extends BatonError {
  constructor(message: string) {
    super('store-unsupported', message);
  }
}

/** Thrown when a run id (or prefix) matches no run, or several. */
export class RunNotFoundError extends BatonError {
  /**
   * @param runId - the id or prefix asked for.
   * @param candidates - the ids a prefix matched, when it matched several.
   */
  constructor(
    /** The id or prefix asked for. */
    readonly runId: string,
    /** Runs the prefix matched when it matched several (ambiguous). */
    readonly candidates: string[] = [],
  ) {
    super('run-not-found',
      candidates.length > 1
        ? `run id '${runId}' is ambiguous: it matches ${candidates.slice(0, 5).join(', ')}; give more characters`
        : `no run '${runId}': list runs with 'baton runs'`,
    );
  }
}

/** The storage contract of baton. All times are ms since the epoch. */
export interface Store {
  /** What the HTTP API reads and writes beyond running workflows (tokens, webhook deliveries, the event feed, run pages). */
  readonly api: ApiStore;
  /** Alerts, silences, notification groups and delivery jobs (observe/ evaluates and sends). */
  readonly alerts: AlertStore;
  /**
   * Attempt logs shipped to the store, readable from any node: PostgreSQL only. Absent on
   * SQLite, where every attempt's log is a file beside the database (store/log-types.ts).
   */
  readonly logs?: LogStore;
  /** History summaries and the export of finished runs (`baton history`, `GET /history`). */
  readonly history: HistoryStore;
  /** Retention's bounded deletes and its leader lease (observe/retention.ts drives them). */
  readonly retention: RetentionStore;
  /** Circuit breakers, shared by every engine and worker of the store. */
  readonly breakers: BreakerStore;
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Stores a workflow version if new (versions are immutable). */
  saveWorkflow(w: WorkflowVersionRecord): Promise<void>;
  /** A stored workflow version by its hash; undefined when unknown. */
  getWorkflow(version: string): Promise<WorkflowVersionRecord | undefined>;
  /** Creates a run with all its step runs and a `run` event, in one transaction. */
  createRun(run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<void>;
  /** Applies a batch in one transaction. */
  commit(batch: Batch): Promise<void>;
  /** Resolves a full id or a unique prefix. @throws RunNotFoundError */
  resolveRunId(idOrPrefix: string): Promise<string>;
  /** A run by its full id; undefined when unknown. */
  getRun(id: string): Promise<RunRecord | undefined>;
  /** Runs matching `filter`, newest first unless it says otherwise; at most `filter.limit` (20). */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  /** A run's step runs in definition order (`position`). */
  getStepRuns(runId: string): Promise<StoredStepRun[]>;
  /** One step run of a run (an item of a mapped step by its `<id>[<index>]`); undefined when there is none. */
  getStepRun(runId: string, stepId: string): Promise<StoredStepRun | undefined>;
  /** Attempts of a run, of one step when `stepId` is given, in start order. */
  getAttempts(runId: string, stepId?: string): Promise<AttemptRecord[]>;
  /** Events of a run after `afterSeq` (exclusive), in order, at most `limit`. */
  getEvents(runId: string, afterSeq?: number, limit?: number): Promise<EventRecord[]>;
  /**
   * Takes the run for `owner` unless `holderAlive(run, now)` says another live process holds
   * it (the runtime's `holderAlive`: a holder recorded, its lease unexpired, its process not
   * certainly dead), read under the run's row lock. Returns whether taken.
   */
  acquireRun(runId: string, owner: RunOwner, now: number, leaseMs: number, holderAlive: (r: RunRecord, now: number) => boolean): Promise<boolean>;
  /** Renews the lease; `held` false when another holder took the run. Also reports a cancel request and the pause. */
  renewRun(runId: string, owner: string, now: number, leaseMs: number): Promise<RenewResult>;
  /** Drops the holder when a run ends or its engine stops. */
  releaseRun(runId: string, owner: string): Promise<void>;
  /** Records a cancel request (from another process); idempotent. */
  requestCancel(runId: string, now: number): Promise<void>;
  /**
   * Pauses (sets `pausedAt` to `now`) or unpauses a run, with a `run-paused` or `run-resumed`
   * event carrying `data`, in one guarded statement: a run already in that state, or a
   * finished run being paused, is left as it is and gets no event.
   * Returns whether it changed.
   */
  setRunPaused(runId: string, paused: boolean, now: number, data?: JsonObject): Promise<boolean>;
  /**
   * Sets the priority of a `pending` or `queued` run, with a `priority` event
   * (`data` plus `{ from, to }`). Returns false (nothing written) when the run is in
   * another state or absent. The caller checks the range.
   */
  setRunPriority(runId: string, priority: number, now: number, data?: JsonObject): Promise<boolean>;
  /**
   * Writes an operator's re-run in one transaction: the run's row (see `RunReopen`), its
   * step runs, the batch groups to drop and the events. Guarded: returns false and writes
   * nothing when the run is no longer in state `from` or a live holder has it (a lease
   * that has not expired at `now`).
   */
  reopenRun(r: RunReopen): Promise<boolean>;
  /**
   * Gives an answer to waiting steps of a run that has not ended, in one transaction with an
   * event per step that took it (`signal`, data `{ name, by, approved? }`). A step that already
   * has an answer keeps it (the first wins), and so does a step run that has ended; a re-run
   * of the step (`reopenRun`) clears it, so the step waits again.
   * @returns the ids of the steps that took it (empty when the run has ended or every step had one)
   */
  signalSteps(runId: string, stepIds: readonly string[], signal: StepSignal): Promise<string[]>;
  /**
   * Registers a workflow version's schedules: new entries are added (first tick after
   * `now`), existing ones take the new spec and version but keep `paused` and their last
   * tick, and entries the workflow no longer declares are removed.
   */
  saveSchedules(workflow: string, version: string, schedules: ScheduleSpec[], now: number): Promise<void>;
  /** Every stored schedule, paused ones included. */
  listSchedules(): Promise<ScheduleRecord[]>;
  /**
   * Pauses or resumes schedules by id (`<workflow>/<name>`) or by workflow name (all of its
   * schedules). Resuming moves the last tick to `now`, so ticks that fell while paused are
   * not replayed. Returns the ids changed (empty when nothing matched).
   */
  setSchedulesPaused(selector: string, paused: boolean, now: number): Promise<string[]>;
  /**
   * Records one tick, exactly once per (schedule, tick time) across every process sharing
   * the store, and creates its run in the same transaction: `skipped-overlap` instead when
   * `overlap` is `skip` and another run of the schedule is pending, queued or running.
   * Returns undefined when the tick was already recorded (another node fired it).
   */
  fireTick(t: TickFire): Promise<{ outcome: TickOutcome; runId?: string } | undefined>;
  /**
   * Moves due `pending` runs to `queued` (highest priority, then earliest due, first) and
   * returns their ids; each run is moved by one caller only. A run waiting for its
   * schedule moves only when no other run of that schedule is queued or running.
   * @param runId - only this run (a delayed `baton run` waiting in the foreground).
   */
  promoteDueRuns(now: number, limit: number, runId?: string): Promise<string[]>;
  /** The earliest `due_at` among pending runs, if any. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Inserts or replaces groups of a batch step, by `(runId, stepId, index)`, in one
   * transaction. Called once with the whole plan when a batch starts, then once per group
   * as it ends, so a resumed step skips the groups already done.
   */
  saveBatchGroups(runId: string, stepId: string, groups: StoredBatchGroup[]): Promise<void>;
  /** The groups of a batch step, by index (the invalid-items row, index -1, first); empty when none. */
  getBatchGroups(runId: string, stepId: string): Promise<StoredBatchGroup[]>;
  /** Closes the database connection(s); the store is unusable afterwards. */
  close(): Promise<void>;
}

/** The state names a store may hand back for a step run. */
export type { StepRunState };
