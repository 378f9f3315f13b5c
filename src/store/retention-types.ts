/**
 * @module store/retention-types
 * What retention (observe/retention.ts) asks of a store, as small bounded steps: each call
 * is one transaction touching at most `limit` rows, so a pruner can stop between any two
 * and another process's commits are never held behind a long delete.
 *
 * A finished run past its age is **retired** first: its `runs` row is deleted and a
 * tombstone (`retired_runs`) written in the same transaction, under the run's row lock and
 * guarded on its state, so from then on nobody can resume or re-run it, and a run that an
 * operator re-opened meanwhile is not touched. Its step runs, attempts, events, batch groups
 * and webhook deliveries are then deleted in batches, by tombstone, and the tombstone last:
 * a pruner that dies halfway leaves tombstones the next pass finishes. Log files are
 * removed before the attempt rows that name them, so none is forgotten on disk.
 *
 * Every store carries one as `store.retention`, and also a **leader lease**: a named row
 * that one holder at a time has until it expires, so one node of a fleet prunes at a time
 * (on PostgreSQL the lease's times are database time, as every lease of the fleet).
 */

/** Which finished runs a pruning call concerns. */
export interface PruneScope {
  /** Runs that ended before this time, ms since the epoch. */
  before: number;
  /** And at or after this time (the range below it was handled by a longer-reaching kind). */
  from?: number;
  /** Only runs of this workflow (its own retention). */
  workflow?: string;
  /** Not runs of these workflows (they have their own retention). */
  exceptWorkflows?: readonly string[];
}

/**
 * A position among finished runs, in order of end time then id: calls that walk runs
 * (events, logs) go on after it instead of reading the runs they already emptied again.
 */
export interface RunCursor {
  /** The run's end, ms since the epoch. */
  endedAt: number;
  /** The run's id (breaks ties of `endedAt`). */
  id: string;
}

/** Rows a {@link RetentionStore.dropRetired} call deleted, by table. */
export interface RetiredRowCounts {
  /** Events deleted. */
  events: number;
  /** Step runs deleted. */
  stepRuns: number;
  /** Batch groups deleted. */
  batchGroups: number;
  /** Webhook deliveries deleted (a replayed delivery of a pruned run creates a new run). */
  webhookDeliveries: number;
  /** Shipped attempt log chunks (PostgreSQL; always 0 on SQLite, whose logs are files). */
  logChunks: number;
  /** Tombstones removed: runs now gone entirely (their attempts were deleted before). */
  runs: number;
}

/** An attempt as retention sees it: its id and its log file, if it has one. */
export interface AttemptLog {
  /** The attempt's id. */
  id: string;
  /** Its run. */
  runId: string;
  /** Its log file, while recorded. */
  logPath?: string;
}

/** What a store holds that a scope would prune, for `baton prune --dry-run`. */
export interface PrunableCounts {
  /** Finished runs. */
  runs: number;
  /** Their step runs. */
  stepRuns: number;
  /** Their attempts. */
  attempts: number;
  /** Their events. */
  events: number;
  /** Their batch steps' groups. */
  batchGroups: number;
  /** Attempts whose log path is still recorded (their files, where this node has them). */
  logFiles: number;
}

/** The retention part of a store. Every method rejects with the driver's error when the database fails. */
export interface RetentionStore {
  /**
   * Retires up to `limit` finished runs of `scope` (oldest end first): deletes their `runs`
   * rows and writes their tombstones in one transaction. A run that is not finished (any
   * more) is never retired. Returns the ids retired.
   */
  retireRuns(scope: PruneScope, limit: number): Promise<string[]>;
  /** Up to `limit` retired runs whose rows are not all deleted yet, oldest tombstone first. */
  retiredRuns(limit: number): Promise<string[]>;
  /** Up to `limit` attempts of these retired runs, with their log paths (to remove the files first). */
  retiredAttempts(runIds: readonly string[], limit: number): Promise<AttemptLog[]>;
  /** Deletes these attempts of retired runs (their files removed); returns how many. */
  deleteRetiredAttempts(ids: readonly string[]): Promise<number>;
  /**
   * Deletes up to `limit` rows of these retired runs, in one transaction: events first,
   * then step runs, batch groups and webhook deliveries; tombstones of runs with nothing
   * left (attempts included) go when a call finds nothing else to delete.
   */
  dropRetired(runIds: readonly string[], limit: number): Promise<RetiredRowCounts>;
  /**
   * Deletes up to `limit` events of the finished runs of `scope` after `after`, walking runs
   * oldest end first; the runs' own rows stay. `cursor` is the last run whose events are all
   * gone (pass it back), `done` true when no run of the scope is left after it.
   */
  pruneEvents(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ deleted: number; cursor?: RunCursor; done: boolean }>;
  /**
   * Up to `limit` attempts of the finished runs of `scope` after `after` whose log path is
   * still recorded, walking runs oldest end first. `cursor` and `done` as for `pruneEvents`,
   * for the runs whose attempts are all in `attempts`.
   */
  expiredLogs(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ attempts: AttemptLog[]; cursor?: RunCursor; done: boolean }>;
  /** Clears the log path of these attempts (their files removed); returns how many changed. */
  forgetLogs(attemptIds: readonly string[]): Promise<number>;
  /**
   * What `scope` holds: its finished runs with their rows and recorded logs. Read only, for
   * a dry run; counts the whole scope at once.
   */
  countPrunable(scope: PruneScope): Promise<PrunableCounts>;
  /** Tombstones not finished yet (a pruner died halfway): their rows are still to delete. */
  countRetired(): Promise<number>;
  /**
   * Takes or renews the lease `name` for `holder` for `ttlMs`: true when `holder` has it now
   * (it was free, expired, or already its own). On PostgreSQL times are database time and
   * `now` is ignored; on SQLite (one machine) `now` is the caller's clock.
   */
  tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up, if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>;
}
