/**
 * @module runtime/fleet-dispatch
 * The coordinator's side of the fleet: publishes committed attempts as tasks for workers,
 * and hands their ends back when workers (or the reaper) complete them. Wakes on NOTIFY
 * `baton_done` and polls every `pollMs` while attempts are out, since a notification can be
 * lost while the listener reconnects (DESIGN.md invariant 4: LISTEN/NOTIFY, polling as the
 * fallback). A notification that names attempts is answered by reading just those rows; one
 * that names only a run (and every poll) reads the run's unapplied ends, which include ends
 * handed over already but not yet marked applied by the engine's commit (ignored here).
 */
import type { AttemptRecord, FleetAttemptInput, FleetListener, FleetStore, CompletedAttempt } from '../store/index.js';
import type { AttemptResult } from '../executors/index.js';
import { failures, isFailure } from '../core/index.js';
import { coerceError } from '../shared/index.js';
import type { CancelTimer, Clock } from './clock.js';
import { every } from './clock.js';

/**
 * How a published attempt ended, as the coordinator applies it; `stored` is its row as the
 * worker (or the reaper, or the queue timeout) ended it, which the coordinator applies as is.
 */
export type RemoteEnd =
  | { kind: 'result'; result: AttemptResult; local?: false; stored: AttemptRecord }
  /** Ended here (cancelled before any worker claimed it): its row still says running. */
  | { kind: 'result'; result: AttemptResult; local: true }
  | { kind: 'lost'; stored: AttemptRecord };

interface Pending {
  runId: string;
  stepId: string;
  onEnd: (end: RemoteEnd) => void;
  /** Reported as having no live worker that could run it (once). */
  reported?: boolean;
}

/** A published attempt that no live worker can run. */
export interface Unschedulable {
  runId: string;
  stepId: string;
  attemptId: string;
  /** What is missing, as the store's waiting detail, e.g. `no live worker has gpu (live workers: …)`. */
  reason: string;
}

/** Wait before publishing again attempts whose publication failed, ms. */
const PUBLISH_RETRY_MS = 500;

/** Publishes tasks and routes completions back to their runs. */
export class FleetDispatcher {
  private readonly pending = new Map<string, Pending>();
  /** Attempts out, per run: which runs a `baton_done` concerns. */
  private readonly runs = new Map<string, number>();
  /** Ended attempts named by notifications, to take by id. */
  private readonly named = new Set<string>();
  /** A notification or poll asked for whole runs. */
  private wholeRuns = false;
  private outbox: FleetAttemptInput[] = [];
  private listener: Promise<FleetListener> | undefined;
  private poller: CancelTimer | undefined;
  private taking = false;
  private again = false;
  private closed = false;

  private checker: CancelTimer | undefined;

  constructor(
    private readonly fleet: FleetStore,
    /** The engine's clock: the fallback poll, the worker check and the publish retry run on it. */
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly onError: (e: Error) => void,
    /** Told once per attempt that no live worker can run, so it is reported, not silently queued. */
    private readonly onUnschedulable: (u: Unschedulable) => void = () => undefined,
    /** How often published attempts are matched against live workers, ms. */
    private readonly checkMs = 2_000,
  ) {}

  /** Publishes one attempt (batched with others of the same turn); `onEnd` fires once. */
  submit(row: FleetAttemptInput, onEnd: (end: RemoteEnd) => void): void {
    this.expect(row.id, row.runId, row.stepId, onEnd);
    this.outbox.push(row);
    if (this.outbox.length === 1) queueMicrotask(() => void this.publish());
  }

  /** Waits for an attempt published by the coordinator's own commit; `onEnd` fires once. */
  expect(attemptId: string, runId: string, stepId: string, onEnd: (end: RemoteEnd) => void): void {
    if (!this.pending.has(attemptId)) this.runs.set(runId, (this.runs.get(runId) ?? 0) + 1);
    this.pending.set(attemptId, { runId, stepId, onEnd });
    this.ensureListening();
  }

  /**
   * Asks workers to stop these attempts. Those no worker claimed yet never will be: they
   * end here, as cancelled.
   */
  async cancel(attemptIds: string[]): Promise<void> {
    const ids = attemptIds.filter((id) => this.pending.has(id));
    if (!ids.length) return;
    try {
      const { unclaimed } = await this.fleet.requestAttemptCancel(ids);
      for (const id of unclaimed) {
        this.finish(id, { kind: 'result', local: true, result: { ok: false, failure: { type: 'cancelled', message: 'cancelled before a worker took it', retryable: false } } });
      }
    } catch (e) {
      this.onError(coerceError(e));
    }
  }

  /** The attempts out with workers (published, claimed or not), with their run and step. */
  *outstanding(): Iterable<{ attemptId: string; runId: string; stepId: string }> {
    for (const [attemptId, p] of this.pending) yield { attemptId, runId: p.runId, stepId: p.stepId };
  }

  /** Attempts out with workers. */
  get inFlight(): number {
    return this.pending.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poller?.();
    this.poller = undefined;
    this.checker?.();
    this.checker = undefined;
    const l = this.listener;
    this.listener = undefined;
    await (await l?.catch(() => undefined))?.close();
  }

  private async publish(): Promise<void> {
    const rows = this.outbox;
    this.outbox = [];
    if (!rows.length) return;
    try {
      await this.fleet.enqueueAttempts(rows);
    } catch (e) {
      // Unpublished rows stay `running` without a task: a retry publishes them.
      this.outbox.unshift(...rows);
      this.onError(coerceError(e));
      if (!this.closed) this.clock.setTimer(PUBLISH_RETRY_MS, () => void this.publish());
    }
  }

  private ensureListening(): void {
    if (this.closed) return;
    this.listener ??= this.fleet.listen(['baton_done'], (_channel, payload) => this.onDone(payload), { onConnect: () => void this.take(true) });
    this.listener.catch((e: unknown) => this.onError(coerceError(e)));
    // Housekeeping: neither keeps the process alive by itself (`ref: false`).
    this.poller ??= every(this.clock, this.pollMs, () => {
      if (this.pending.size) void this.take(true);
    }, { ref: false });
    this.checker ??= every(this.clock, this.checkMs, () => {
      if (this.pending.size) void this.checkWorkers();
    }, { ref: false });
  }

  /**
   * Fails the attempts of its runs left unclaimed past their queue timeout (their ends come
   * back through `baton_done` like a worker's), then reports, once each, attempts that no
   * live worker can run (the store's waiting reason: no worker, or none with the tags).
   */
  private async checkWorkers(): Promise<void> {
    const runIds = [...this.runs.keys()];
    let waiting;
    try {
      await this.fleet.expireUnclaimed(runIds);
      waiting = await this.fleet.waitingAttempts(runIds);
    } catch {
      return; // store errors surface through the other calls
    }
    for (const w of waiting) {
      const p = this.pending.get(w.attemptId);
      if (!p || p.reported || (w.reason !== 'no-worker' && w.reason !== 'no-matching-worker')) continue;
      p.reported = true;
      this.onUnschedulable({ runId: p.runId, stepId: p.stepId, attemptId: w.attemptId, reason: w.detail });
    }
  }

  /** `baton_done` payload: `<run id>` or `<run id> <attempt id> …` (store/fleet-types.ts). */
  private onDone(payload: string): void {
    const ids = payload.split(' ');
    if (!this.runs.has(ids[0]!)) return;
    if (ids.length === 1) return void this.take(true);
    let any = false;
    for (let i = 1; i < ids.length; i++) {
      if (!this.pending.has(ids[i]!)) continue;
      this.named.add(ids[i]!);
      any = true;
    }
    if (any) void this.take(false);
  }

  /**
   * Takes the ends asked for (`whole`: every unapplied end of the runs with attempts out;
   * else those named by notifications), and hands each to its run. One take at a time;
   * what is asked meanwhile is taken right after.
   */
  private async take(whole: boolean): Promise<void> {
    if (whole) this.wholeRuns = true;
    if (this.taking) {
      this.again = true;
      return;
    }
    this.taking = true;
    try {
      do {
        this.again = false;
        let ended: CompletedAttempt[];
        if (this.wholeRuns) {
          // Covers every end committed so far, the named ones included.
          this.wholeRuns = false;
          this.named.clear();
          if (!this.runs.size) return;
          ended = await this.fleet.takeCompleted([...this.runs.keys()]);
        } else {
          const ids = [...this.named].filter((id) => this.pending.has(id));
          this.named.clear();
          if (!ids.length) continue;
          ended = await this.fleet.takeEnded(ids);
        }
        for (const c of ended) this.finish(c.id, toEnd(c));
      } while (this.again || this.wholeRuns || this.named.size);
    } catch (e) {
      // Named ends not taken are found by the next poll, which reads whole runs.
      this.onError(coerceError(e));
    } finally {
      this.taking = false;
    }
  }

  private finish(id: string, end: RemoteEnd): void {
    const p = this.pending.get(id);
    if (!p) return; // applied already, or not ours
    this.pending.delete(id);
    const left = (this.runs.get(p.runId) ?? 1) - 1;
    if (left > 0) this.runs.set(p.runId, left);
    else this.runs.delete(p.runId);
    p.onEnd(end);
  }
}

function toEnd(c: CompletedAttempt): RemoteEnd {
  const { output: _output, fence: _fence, claimedBy: _claimedBy, ...stored } = c;
  // A worker that drains or fences itself hands its attempts back as failed with type `lost`:
  // like a reaped lease, that is not the step's failure and spends no retry.
  if (c.state === 'lost' || isFailure(c.error, 'lost')) return { kind: 'lost', stored };
  const usage = {
    ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    ...(c.peakRssBytes !== undefined ? { peakRssBytes: c.peakRssBytes } : {}),
    ...(c.cpuMs !== undefined ? { cpuMs: c.cpuMs } : {}),
  };
  if (c.state === 'succeeded') return { kind: 'result', result: { ok: true, output: c.output ?? null, ...usage }, stored };
  const failure = c.error ?? (c.state === 'cancelled'
    ? failures.cancelled()
    : failures.internal('the worker reported a failure without details'));
  return { kind: 'result', result: { ok: false, failure, ...usage }, stored };
}
