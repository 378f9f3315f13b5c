/**
 * @module runtime/breakers
 * The engine's side of circuit breakers: a gate in front of the slots. A ready step whose
 * breaker is not closed parks here (it stays `queued`, its row saying `circuit-open`) instead
 * of starting; a timer on the engine's clock wakes the gate when the cool-down ends, and the
 * gate claims the half-open trial in the store for the best parked step (one guarded
 * statement: of all engines sharing the store, one wins). That step starts; the others wait
 * for its end, which the engine's commit folds into the breaker (`Batch.breakerCalls`). Once
 * it closes, every parked step goes back to the ready queue.
 *
 * The gate keeps a copy of each breaker it has seen, read again after every commit that
 * recorded an end against it, at each cool-down's end, every `refreshMs` while steps wait or
 * (fleet) attempts behind it are out with workers, and when a step passes a copy older than
 * `refreshMs` (so a breaker another node opened or closed is seen), never on the hot path.
 * @see ../core/breaker.ts for the state machine, ../store/breaker-sql.ts for the store.
 */
import type { BreakerRecord, BreakerOutcome } from '../core/index.js';
import { admission } from '../core/index.js';
import type { AttemptEnd, BreakerCall, BreakerStore, StepCircuit } from '../store/index.js';
import type { ActiveRun } from './attempts.js';
import type { ReadyItem } from './ready-queue.js';
import { ReadyQueue } from './ready-queue.js';
import type { CancelTimer, Clock } from './clock.js';
import type { FleetDispatcher } from './fleet-dispatch.js';

/** A ready step, as the slots queue it. */
export type GateItem = ReadyItem<{ run: ActiveRun; stepId: string }>;

/** What the gate needs from the engine. */
export interface GateHost {
  store: BreakerStore;
  clock: Clock;
  agingMs: number;
  /** Re-checks of breakers that hold steps back while nothing else tells of a change, ms. */
  refreshMs: number;
  /** Puts an item back in the ready queue and flushes, so the slots weigh it again. */
  requeue(item: GateItem): void;
  /** A step run parks behind an open breaker: its row says why (`circuit`) in the next commit. */
  parked(run: ActiveRun, stepId: string, circuit: StepCircuit): void;
  /** Whether a parked step still waits to start: its run is held here and it is still `queued`. */
  live(run: ActiveRun, stepId: string): boolean;
  /** A store read or claim failed (retried at the next refresh). */
  onError(e: unknown): void;
  /**
   * Fleet mode: attempts this coordinator published behind `key` that are still out. Ones
   * published before the breaker opened wait unclaimed (workers claim nothing behind it):
   * when no ready step waits here, one of them is the trial, or they would wait for ever.
   */
  published(key: string): { attemptId: string; runId: string; stepId: string }[];
}

interface Entry {
  /** As last read; undefined before the first read (or when the key has no row: closed). */
  rec?: BreakerRecord;
  loaded: boolean;
  /** When it was last read (the engine's clock), ms. */
  readAt?: number;
  parked: ReadyQueue<GateItem['value']>;
  timer?: CancelTimer;
  busy?: boolean;
}

/** Holds back ready steps whose circuit breaker is open. */
export class BreakerGate {
  private readonly keys = new Map<string, Entry>();
  /** Trials this gate claimed for steps not started yet, by run and step: their breaker key and attempt id. */
  private readonly trials = new Map<string, { key: string; attemptId: string }>();
  /** Step runs whose row says `circuit-open`, with the `until` written, so it is written once. */
  private readonly marked = new Map<string, number | undefined>();

  constructor(private readonly host: GateHost) {}

  /**
   * Whether a ready item may start now. Returns false after parking it here when its breaker
   * is not closed (or not read yet); the gate puts it back in the queue when it may start.
   */
  admit(item: GateItem, now: number): boolean {
    const { run, stepId } = item.value;
    const spec = run.machine.stepSpec(stepId).breaker;
    if (!spec) return true;
    const e = this.entry(spec.key);
    if (!e.loaded) {
      e.parked.push(item);
      void this.refresh([spec.key]);
      return false;
    }
    const a = admission(e.rec, now, attemptIdOf(run, stepId));
    if (a.kind === 'pass') {
      this.marked.delete(`${run.id}\u0000${stepId}`);
      // Another node may have opened it since: read it again once it is this old, off the hot path.
      if (now - (e.readAt ?? 0) >= this.host.refreshMs) void this.refresh([spec.key]);
      return true;
    }
    e.parked.push(item);
    this.mark(run, stepId, { reason: 'circuit-open', breaker: spec.key, ...(a.kind === 'wait' && a.until !== undefined ? { until: a.until } : {}) });
    if (a.kind === 'trial') void this.claim(spec.key);
    else this.arm(spec.key, a.until ?? now + spec.cooldownMs);
    return false;
  }

  /** Reads these breakers again and lets their parked steps go where they now may. */
  async refresh(keys: readonly string[]): Promise<void> {
    if (!keys.length) return;
    let rows: BreakerRecord[];
    try {
      rows = await this.host.store.list(keys);
    } catch (e) {
      this.host.onError(e);
      for (const k of keys) this.arm(k, this.host.clock.now() + this.host.refreshMs);
      return;
    }
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const k of keys) {
      const e = this.entry(k);
      const first = !e.loaded;
      e.loaded = true;
      e.readAt = this.host.clock.now();
      const rec = byKey.get(k);
      if (rec) e.rec = rec;
      else delete e.rec;
      // Parked before the first read: back to the queue, where admit decides (and says why).
      if (first) for (let item = e.parked.pop(); item; item = e.parked.pop()) this.host.requeue(item);
      else this.settle(k, e);
    }
  }

  /**
   * A step run left `queued`: started, or ended without starting (cancelled, skipped). In the
   * second case a trial claimed for it is given up, by an `ignored` call staged in the same
   * commit, so the breaker does not wait for an attempt that will never exist.
   */
  leftQueue(run: ActiveRun, stepId: string, started: boolean, now: number): BreakerCall | undefined {
    const k = `${run.id}\u0000${stepId}`;
    this.marked.delete(k);
    const trial = this.trials.get(k);
    if (!trial) return undefined;
    this.trials.delete(k);
    const spec = run.machine.stepSpec(stepId).breaker;
    if (started || !spec) return undefined;
    const { key: _key, ...policy } = spec;
    return { key: trial.key, policy, runId: run.id, stepId, attemptId: trial.attemptId, outcome: 'ignored', at: now };
  }

  /** Stops the gate's timers (the engine closes). */
  close(): void {
    for (const e of this.keys.values()) e.timer?.();
  }

  /** After a change: closed lets every parked step go; otherwise one tries again when it may. */
  private settle(key: string, e: Entry): void {
    if (!e.parked.size && !this.host.published(key).length) return;
    const now = this.host.clock.now();
    const a = admission(e.rec, now);
    if (a.kind === 'pass') {
      e.timer?.();
      delete e.timer;
      for (let item = e.parked.pop(); item; item = e.parked.pop()) this.host.requeue(item);
      // Attempts out with workers behind it: watch it, so that if another node opens it, one of
      // them becomes the trial instead of all waiting unclaimed.
      if (this.host.published(key).length) this.arm(key, now + this.host.refreshMs);
      return;
    }
    if (a.kind === 'trial') void this.claim(key);
    else this.arm(key, a.until ?? now + this.host.refreshMs);
  }

  /** Claims the trial for the best parked step; the winner goes back to the queue as the trial. */
  private async claim(key: string): Promise<void> {
    const e = this.entry(key);
    if (e.busy) return;
    let item = e.parked.pop();
    // A step cancelled or skipped while it waited here must not take the trial.
    while (item && !this.host.live(item.value.run, item.value.stepId)) item = e.parked.pop();
    const out = item ? undefined : this.host.published(key)[0];
    if (!item && !out) return;
    e.busy = true;
    const cause = item
      ? { runId: item.value.run.id, stepId: item.value.stepId, attemptId: attemptIdOf(item.value.run, item.value.stepId) }
      : out!;
    try {
      const rec = await this.host.store.claimTrial(key, cause, this.host.clock.now());
      if (rec) {
        e.rec = rec;
        // A published attempt that is the trial needs nothing more: a worker may claim it now.
        if (item) {
          this.trials.set(`${cause.runId}\u0000${cause.stepId}`, { key, attemptId: cause.attemptId });
          this.host.requeue(item);
        }
        return;
      }
      if (item) e.parked.push(item);
    } catch (err) {
      if (item) e.parked.push(item);
      this.host.onError(err);
    } finally {
      e.busy = false;
    }
    // Another node took it, or the breaker changed: read what it is now.
    await this.refresh([key]);
  }

  /** Wakes the gate at `at` for `key` (one timer per key: the earliest wins). */
  private arm(key: string, at: number): void {
    const e = this.entry(key);
    e.timer?.();
    const ms = Math.max(0, Math.min(at - this.host.clock.now(), this.host.refreshMs));
    e.timer = this.host.clock.setTimer(ms, () => {
      delete e.timer;
      if (e.parked.size || this.host.published(key).length) void this.refresh([key]);
    });
  }

  private mark(run: ActiveRun, stepId: string, circuit: StepCircuit): void {
    const k = `${run.id}\u0000${stepId}`;
    if (this.marked.has(k) && this.marked.get(k) === circuit.until) return;
    if (this.marked.size > 100_000) this.marked.clear();
    this.marked.set(k, circuit.until);
    this.host.parked(run, stepId, circuit);
  }

  private entry(key: string): Entry {
    let e = this.keys.get(key);
    if (!e) this.keys.set(key, (e = { loaded: false, parked: new ReadyQueue(this.host.agingMs) }));
    return e;
  }
}

/** The id the next attempt of a step run will have (`<run>.<step>.<n>`): what a trial is claimed for. */
function attemptIdOf(run: ActiveRun, stepId: string): string {
  return `${run.id}.${stepId}.${run.machine.step(stepId).attempts + 1}`;
}

/**
 * What an attempt's end tells its step's breaker, if it has one: lost and cancelled attempts,
 * and those a run's timeout stopped, are no calls (`ignored`).
 */
export function breakerCall(run: ActiveRun, stepId: string, end: AttemptEnd): BreakerCall | undefined {
  const spec = run.machine.stepSpec(stepId).breaker;
  if (!spec) return undefined;
  const stoppedByRun = end.error?.type === 'timeout' && end.error.retryable === false;
  const outcome: BreakerOutcome = end.state === 'succeeded' ? 'succeeded' : end.state === 'failed' && !stoppedByRun ? 'failed' : 'ignored';
  const { key, ...policy } = spec;
  return { key, policy, runId: run.id, stepId, attemptId: end.id, outcome, at: end.endedAt };
}

/** Fleet mode: the attempts a coordinator has out with workers whose step is behind `key` (for {@link GateHost.published}). */
export function publishedBehind(key: string, dispatcher: FleetDispatcher | undefined, runs: ReadonlyMap<string, ActiveRun>): { attemptId: string; runId: string; stepId: string }[] {
  if (!dispatcher?.inFlight) return [];
  const out = [];
  for (const a of dispatcher.outstanding()) {
    if (runs.get(a.runId)?.machine.stepSpec(a.stepId).breaker?.key === key) out.push(a);
  }
  return out;
}
