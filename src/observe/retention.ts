/**
 * @module observe/retention
 * Retention: what a store keeps of finished runs, and for how long. The policy is pure
 * (which runs fall under which ages); the work is the store's bounded steps
 * (store/retention-types.ts), at most `batchSize` rows a transaction with a pause between
 * batches, so the engine's commits are never held behind a long delete (DESIGN.md
 * invariant 5: "retention prunes old runs").
 *
 * Per kind, by age (from the server's `retention:`, 30 days each by default):
 * - `runs`: finished runs that ended longer ago, with their step runs, attempts, events,
 *   batch groups, webhook deliveries and attempt log files. A pending, queued or running
 *   run is never touched, however old.
 * - `events`: events of finished runs that ended longer ago; the runs themselves stay.
 * - `logs`: attempt log files of finished runs that ended longer ago; the attempt rows stay
 *   and forget the path.
 * - any other kind a {@link Prunable} brings (`alerts`, `uploads`, …), with the age of its
 *   kind (its own default, else 30 days).
 *
 * A workflow's own `retention:` (the newest registered version's) replaces the server's
 * ages for that workflow's runs, field by field. Log files are removed only inside this
 * process's `<dataDir>/logs`: a fleet worker's logs live on its own disk.
 */
import { rm, rmdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { PrunableCounts, PruneScope, RetentionStore, RunCursor, Store } from '../store/index.js';
import type { RetentionSpec } from '../workflow/index.js';
import { decodeDefinition, parseDuration } from '../workflow/index.js';
import { BatonError, errorMessage } from '../shared/index.js';

/** 30 days, ms: the default age of every kind. */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

/** The built-in kinds, in the order a pass prunes them. */
export const RETENTION_KINDS = ['runs', 'events', 'logs'] as const;

/**
 * Something else retention prunes (alerts, delivered notifications, shipped log chunks…):
 * its own rows, by age, in batches.
 */
export interface Prunable {
  /** Its kind: the key of its age in the retention ages (`alerts`), and its name in reports. */
  kind: string;
  /**
   * Deletes at most `limit` of its rows older than `olderThanMs` (a time, ms since the
   * epoch: now minus the kind's age), in one transaction; returns how many it deleted. A
   * pass calls it again until it deletes fewer than `limit`.
   */
  pruneBatch(olderThanMs: number, limit: number): Promise<number>;
  /** How many rows `pruneBatch` would delete for `olderThanMs`, for a dry run; absent: not counted. */
  count?(olderThanMs: number): Promise<number>;
  /** Its age when the retention ages give none, ms. @default {@link DEFAULT_RETENTION_MS} */
  defaultAgeMs?: number;
}

/** Thrown for retention options that cannot work (a kind without an age, a bad batch size). */
export class RetentionOptionsError extends BatonError {
  constructor(message: string) {
    super('retention-options', message);
  }
}

/** Options of a {@link Pruner}. */
export interface PrunerOptions {
  store: Store;
  /** Where this process keeps logs: only files under `<dataDir>/logs` are removed. */
  dataDir: string;
  /**
   * Ages by kind, ms: `runs`, `events`, `logs`, `alerts`, and the kind of every extra
   * prunable. @default 30 days each ({@link DEFAULT_RETENTION_MS}); an extra kind's own
   * `defaultAgeMs` when it has one
   */
  maxAgeMs?: Readonly<Record<string, number | undefined>>;
  /** Other prunable kinds. @default [] */
  extra?: readonly Prunable[];
  /**
   * Rows per transaction at most. Runs are retired a tenth as many at a time: a run's row
   * carries about ten index entries and a tombstone, and costs about as much to delete as
   * ten events (4 ms for 500 runs, 0.5 ms for 500 events, on SQLite). The default is what
   * bench/prune.js found to keep a concurrent run's step latency p99 within 1.2x on both
   * stores (500 let it reach 1.25x on PostgreSQL in some rounds). @default 200
   */
  batchSize?: number;
  /**
   * Real time waited between two batches, ms, at least: lets the engine's commits (and on
   * SQLite, its event loop) through. @default 20
   */
  pauseMs?: number;
  /**
   * Besides `pauseMs`, wait this many times as long as the last batch took, so pruning
   * never takes more than 1 / (1 + ratio) of the database's (or the loop's) time; bench/prune.js
   * measured up to 1.22x a step's p99 on PostgreSQL with 4. @default 9 (a tenth)
   */
  idleRatio?: number;
}

/** Rows and files one pass deleted (or a dry run would delete), by kind. */
export interface PruneCounts {
  /** Finished runs deleted whole, and what they held. */
  runs: PrunableCounts & { webhookDeliveries: number };
  /** Events of finished runs kept. */
  events: number;
  /** Log files of finished runs kept (`logFiles` of `runs` counts those of deleted runs). */
  logs: number;
  /** Rows of each extra kind; a dry run leaves out kinds that cannot count. */
  extra: Record<string, number>;
}

/** What a pass did. */
export interface PruneReport {
  /** When it started, ms since the epoch (the pruner's clock). */
  at: number;
  /** True for a count of what a pass would delete ({@link Pruner.dryRun}). */
  dryRun: boolean;
  /** Set when the pass did nothing, and why (another process holds the lease). */
  skipped?: string;
  /** What it deleted (or would delete), by kind. */
  counts: PruneCounts;
  /** Write transactions it ran. */
  batches: number;
  /** Real time it took, ms. */
  elapsedMs: number;
  /** Problems that did not stop it (an unreadable definition, a file it could not remove). */
  warnings: string[];
}

/** The ages of one set of runs and the scope that selects them. */
interface Policy {
  scope: Pick<PruneScope, 'workflow' | 'exceptWorkflows'>;
  runsMs: number;
  eventsMs: number;
  logsMs: number;
}

/**
 * Turns the config file's `retention:` (durations as written: `30d`, or a bare number of
 * seconds) into ages in ms.
 * @throws RetentionOptionsError naming a duration that is not one
 */
export function retentionAges(parsed: Readonly<Record<string, string | number | undefined>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, value] of Object.entries(parsed ?? {})) {
    if (value === undefined) continue;
    try {
      out[kind] = parseDuration(value);
    } catch (e) {
      throw new RetentionOptionsError(`retention.${kind}: ${errorMessage(e)}`);
    }
  }
  return out;
}

/** One empty set of counts. */
function noCounts(): PruneCounts {
  return { runs: { runs: 0, stepRuns: 0, attempts: 0, events: 0, batchGroups: 0, logFiles: 0, webhookDeliveries: 0 }, events: 0, logs: 0, extra: {} };
}

/** Retired runs finished per group; their rows are deleted in `batchSize` batches. */
const RETIRED_GROUP = 50;

/**
 * Prunes a store by its retention: one pass at a time, called by the server's retention
 * loop (observe/retention-loop.ts) or `baton prune`. Holds no lease itself: the caller does.
 */
export class Pruner {
  private readonly ages: Readonly<Record<string, number>>;
  private readonly extra: readonly Prunable[];
  private readonly batchSize: number;
  /** Runs retired per transaction: see `PrunerOptions.batchSize`. */
  private readonly retireBatch: number;
  private readonly pauseMs: number;
  private readonly idleRatio: number;
  private readonly logsDir: string;
  /** Workflow retention by version: versions are immutable, so each is decoded once. */
  private readonly specs = new Map<string, RetentionSpec | undefined>();

  /** @throws RetentionOptionsError for a kind without a valid age or a bad batch size */
  constructor(private readonly o: PrunerOptions) {
    this.extra = o.extra ?? [];
    const ages: Record<string, number> = {};
    const defaults = new Map(this.extra.map((p) => [p.kind, p.defaultAgeMs]));
    for (const kind of [...RETENTION_KINDS, 'alerts', ...this.extra.map((p) => p.kind)]) {
      const age = o.maxAgeMs?.[kind] ?? defaults.get(kind) ?? DEFAULT_RETENTION_MS;
      if (!(age > 0) || !Number.isFinite(age)) throw new RetentionOptionsError(`retention age of ${kind} must be a duration above 0, got ${age}`);
      ages[kind] = age;
    }
    this.ages = ages;
    this.batchSize = o.batchSize ?? 200;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RetentionOptionsError(`retention batchSize must be an integer >= 1, got ${this.batchSize}`);
    this.retireBatch = Math.ceil(this.batchSize / 10);
    this.pauseMs = o.pauseMs ?? 20;
    this.idleRatio = o.idleRatio ?? 9;
    this.logsDir = resolve(o.dataDir, 'logs');
  }

  /** The age of each kind this pruner applies, ms. */
  get maxAgeMs(): Readonly<Record<string, number>> {
    return this.ages;
  }

  /**
   * One pass at `now`: every kind, oldest first, batch by batch. `keepGoing` is asked before
   * each batch (a lost lease, a stopping server): false ends the pass where it stands, and
   * the next pass goes on from there.
   */
  async prune(now: number, keepGoing: () => Promise<boolean> | boolean = () => true): Promise<PruneReport> {
    const started = performance.now();
    const report: PruneReport = { at: now, dryRun: false, counts: noCounts(), batches: 0, elapsedMs: 0, warnings: [] };
    const rs = this.o.store.retention;
    const c = report.counts;
    let last = 0;
    /** Waits between batches, then asks whether to go on. */
    const next = async (): Promise<boolean> => {
      if (report.batches > 0) await pause(Math.max(this.pauseMs, last * this.idleRatio));
      return keepGoing();
    };
    /** Runs one batch, timing it for the pause after it. */
    const batch = async <T>(fn: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await fn();
      } finally {
        last = performance.now() - t;
        report.batches++;
      }
    };
    try {
      const policies = await this.policies(report.warnings);
      // Runs: retire, then delete what they held. Tombstones a stopped pass left come first.
      await this.dropRetired(rs, c, next, batch, report.warnings);
      for (const p of policies) {
        for (;;) {
          if (!(await next())) return report;
          const ids = await batch(() => rs.retireRuns({ ...p.scope, before: now - p.runsMs }, this.retireBatch));
          c.runs.runs += ids.length;
          if (ids.length < this.retireBatch) break;
        }
        if (!(await this.dropRetired(rs, c, next, batch, report.warnings))) return report;
      }
      // Events and logs of the runs kept: between the kind's cutoff and the runs' one.
      for (const p of policies) {
        if (p.eventsMs < p.runsMs) {
          const scope: PruneScope = { ...p.scope, before: now - p.eventsMs, from: now - p.runsMs };
          let cursor: RunCursor | undefined;
          for (;;) {
            if (!(await next())) return report;
            const r = await batch(() => rs.pruneEvents(scope, cursor, this.batchSize));
            c.events += r.deleted;
            cursor = r.cursor;
            if (r.done) break;
          }
        }
        if (p.logsMs < p.runsMs) {
          const scope: PruneScope = { ...p.scope, before: now - p.logsMs, from: now - p.runsMs };
          let cursor: RunCursor | undefined;
          for (;;) {
            if (!(await next())) return report;
            const r = await batch(() => rs.expiredLogs(scope, cursor, this.batchSize));
            c.logs += await this.removeFiles(r.attempts.map((a) => a.logPath), report.warnings);
            await rs.forgetLogs(r.attempts.map((a) => a.id));
            cursor = r.cursor;
            if (r.done) break;
          }
        }
      }
      for (const p of this.extra) {
        const before = now - this.ages[p.kind]!;
        c.extra[p.kind] = 0;
        for (;;) {
          if (!(await next())) return report;
          const n = await batch(() => p.pruneBatch(before, this.batchSize));
          c.extra[p.kind]! += n;
          if (n < this.batchSize) break;
        }
      }
      return report;
    } finally {
      report.elapsedMs = performance.now() - started;
    }
  }

  /**
   * What a pass at `now` would delete, counted without deleting (extra kinds without
   * `count` are left out). Tombstones of an unfinished pass are not counted: their runs are
   * already gone from every listing.
   */
  async dryRun(now: number): Promise<PruneReport> {
    const started = performance.now();
    const report: PruneReport = { at: now, dryRun: true, counts: noCounts(), batches: 0, elapsedMs: 0, warnings: [] };
    const rs = this.o.store.retention;
    const c = report.counts;
    for (const p of await this.policies(report.warnings)) {
      const runs = await rs.countPrunable({ ...p.scope, before: now - p.runsMs });
      for (const k of ['runs', 'stepRuns', 'attempts', 'events', 'batchGroups', 'logFiles'] as const) c.runs[k] += runs[k];
      if (p.eventsMs < p.runsMs) c.events += (await rs.countPrunable({ ...p.scope, before: now - p.eventsMs, from: now - p.runsMs })).events;
      if (p.logsMs < p.runsMs) c.logs += (await rs.countPrunable({ ...p.scope, before: now - p.logsMs, from: now - p.runsMs })).logFiles;
    }
    for (const p of this.extra) if (p.count) c.extra[p.kind] = await p.count(now - this.ages[p.kind]!);
    report.elapsedMs = performance.now() - started;
    return report;
  }

  /**
   * Deletes everything retired runs still hold, group by group: attempts after their log
   * files, then the other rows in batches. Returns false when `next` said to stop.
   */
  private async dropRetired(
    rs: RetentionStore, c: PruneCounts, next: () => Promise<boolean>, batch: <T>(fn: () => Promise<T>) => Promise<T>, warnings: string[],
  ): Promise<boolean> {
    for (;;) {
      const group = await rs.retiredRuns(RETIRED_GROUP);
      if (!group.length) return true;
      let gone = 0;
      for (;;) {
        if (!(await next())) return false;
        const attempts = await rs.retiredAttempts(group, this.batchSize);
        if (!attempts.length) break;
        c.runs.logFiles += await this.removeFiles(attempts.map((a) => a.logPath), warnings);
        c.runs.attempts += await batch(() => rs.deleteRetiredAttempts(attempts.map((a) => a.id)));
      }
      for (;;) {
        if (!(await next())) return false;
        const n = await batch(() => rs.dropRetired(group, this.batchSize));
        c.runs.events += n.events;
        c.runs.stepRuns += n.stepRuns;
        c.runs.batchGroups += n.batchGroups;
        c.runs.webhookDeliveries += n.webhookDeliveries;
        gone += n.runs;
        if (n.events + n.stepRuns + n.batchGroups + n.webhookDeliveries + n.logChunks < this.batchSize) break;
      }
      // Every row deleted and still no tombstone went: something keeps adding rows to these
      // runs. Leave them to the next pass rather than go round forever.
      if (gone === 0) {
        warnings.push(`retired runs ${group.slice(0, 3).join(', ')}${group.length > 3 ? ', …' : ''} still hold rows; left for the next pass`);
        return true;
      }
    }
  }

  /**
   * The policies of this pass: one per workflow whose newest version declares `retention`,
   * then the server's ages for every other workflow.
   */
  private async policies(warnings: string[]): Promise<Policy[]> {
    const own: Policy[] = [];
    for (const w of await this.o.store.api.listWorkflows()) {
      let spec = this.specs.get(w.latestVersion);
      if (!this.specs.has(w.latestVersion)) {
        try {
          const rec = await this.o.store.getWorkflow(w.latestVersion);
          spec = rec ? decodeDefinition(rec).retention : undefined;
        } catch (e) {
          warnings.push(`workflow ${w.name} (${w.latestVersion}): ${errorMessage(e)}; the server's retention applies to its runs`);
          spec = undefined;
        }
        this.specs.set(w.latestVersion, spec);
      }
      if (spec && (spec.runsMs !== undefined || spec.eventsMs !== undefined || spec.logsMs !== undefined)) {
        own.push({
          scope: { workflow: w.name },
          runsMs: spec.runsMs ?? this.ages.runs!,
          eventsMs: spec.eventsMs ?? this.ages.events!,
          logsMs: spec.logsMs ?? this.ages.logs!,
        });
      }
    }
    const server: Policy = {
      scope: own.length ? { exceptWorkflows: own.map((p) => p.scope.workflow!) } : {},
      runsMs: this.ages.runs!, eventsMs: this.ages.events!, logsMs: this.ages.logs!,
    };
    return [...own, server];
  }

  /** Removes the log files at `paths` that lie in this process's logs folder; returns how many existed. */
  private async removeFiles(paths: readonly (string | undefined)[], warnings: string[]): Promise<number> {
    let removed = 0;
    const dirs = new Set<string>();
    for (const p of paths) {
      if (p === undefined) continue;
      const abs = resolve(p);
      if (!abs.startsWith(this.logsDir + sep)) continue;
      try {
        await rm(abs);
        removed++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`cannot remove ${abs}: ${errorMessage(e)}`);
      }
      dirs.add(dirname(abs));
    }
    // A run's folder goes with its last log; a folder still holding files stays.
    for (const d of dirs) if (d !== this.logsDir && d.startsWith(this.logsDir + sep)) await rmdir(d).catch(() => undefined);
    return removed;
  }
}

/** Waits `ms` of real time (0: one turn of the event loop). */
function pause(ms: number): Promise<void> {
  return new Promise((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
}
