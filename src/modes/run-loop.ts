/**
 * @module modes/run-loop
 * The long-running loop of `baton server` (and of every `baton worker`, as coordinator):
 * fires schedule ticks (triggers/), moves due delayed runs to `queued`, and starts queued
 * runs, and runs whose holder died, on the process's engine. Between
 * iterations it sleeps until the next tick or due run, at most `pollMs`, because other
 * processes (another server, `baton run --detach`) add runs it must notice.
 */
import type { CancelTimer, Clock, Engine, RunHandle, RunSummary, StartRunOptions } from '../runtime/index.js';
import { ResumeError, RunHeldError, holderAlive, realClock } from '../runtime/index.js';
import type { WorkflowSpec } from '../workflow/index.js';
import { decodeDefinition } from '../workflow/index.js';
import type { AlertRecord, RunRecord, Store } from '../store/index.js';
import type { FiredTick, IntakeGate, RegistryReport } from '../triggers/index.js';
import { Scheduler, WorkflowRegistry } from '../triggers/index.js';
import { errorMessage } from '../shared/index.js';
import type { PruneReport } from '../observe/index.js';

/** What the server reports as it works; the CLI prints it. */
export type ServerReport =
  | RegistryReport
  | { kind: 'tick'; tick: FiredTick }
  | { kind: 'started'; runId: string; workflow: string; resumed: boolean }
  | { kind: 'finished'; summary: RunSummary }
  | { kind: 'alert'; what: 'fired' | 'acknowledged' | 'resolved'; alert: AlertRecord }
  /** A retention pass ended (modes/server.ts); skipped passes are not reported. */
  | { kind: 'pruned'; report: PruneReport }
  /** The adaptive slots of the server's engine or of its own fleet worker moved (runtime/throttle.ts). */
  | { kind: 'throttle'; from: number; to: number; reason: string; node: 'engine' | 'worker' }
  | { kind: 'error'; message: string };

/** Options of the server loop. */
export interface RunLoopOptions {
  store: Store;
  engine: Engine;
  /** Folder of workflow files to serve; absent = only what the store already holds. */
  workflowsDir?: string;
  report: (r: ServerReport) => void;
  /** Longest sleep between iterations, ms. @default 1000 */
  pollMs?: number;
  /** @see SchedulerOptions.misfireThresholdMs */
  misfireThresholdMs?: number;
  /** Fire schedule ticks (`baton server`); a worker only adopts runs. @default true */
  schedules?: boolean;
  /**
   * Time of the loop: `now` for ticks, due runs and holders' leases, and the timer it sleeps
   * on between iterations, so a virtual clock drives its wake-ups. The process's clock
   * (`ProcessOptions.clock`) in a server and a fleet worker. @default the wall clock
   */
  clock?: Clock;
  /** Backpressure on schedule ticks (@see SchedulerOptions.intake). @default none */
  intake?: IntakeGate;
}

/** Runs the trigger loop until `stop()`. */
export class RunLoop {
  readonly registry: WorkflowRegistry | undefined;
  private readonly scheduler: Scheduler;
  private readonly clock: () => number;
  private readonly timers: Clock;
  private timer: CancelTimer | undefined;
  private stopped = false;
  private iteration: Promise<void> | undefined;
  private again = false;
  private readonly active = new Map<string, Promise<RunSummary>>();
  /** Runs being started (between the check and `active`), so two callers never start one run twice. */
  private readonly starting = new Set<string>();

  constructor(private readonly o: RunLoopOptions) {
    this.timers = o.clock ?? realClock;
    this.clock = () => this.timers.now();
    this.registry = o.workflowsDir === undefined ? undefined : new WorkflowRegistry(o.store, o.workflowsDir, o.report, this.clock);
    this.scheduler = new Scheduler(o.store, {
      specOf: async (version) => (this.registry ? this.registry.specOf(version) : specFromStore(o.store, version)),
      ...(o.misfireThresholdMs !== undefined ? { misfireThresholdMs: o.misfireThresholdMs } : {}),
      ...(o.intake ? { intake: o.intake } : {}),
    });
  }

  /** Loads the workflows, starts watching them, and runs the first iteration. */
  async start(): Promise<{ valid: number; invalid: number }> {
    const loaded = this.registry ? await this.registry.loadAll() : { valid: 0, invalid: 0 };
    this.registry?.watch();
    await this.runIteration();
    return loaded;
  }

  /** Runs this server holds right now. */
  activeRuns(): string[] {
    return [...this.active.keys()];
  }

  /** Waits for every run this server started to end. */
  async drain(): Promise<void> {
    while (this.active.size) await Promise.allSettled([...this.active.values()]);
  }

  /** Stops firing and starting runs; runs in flight go on until `engine.close()`. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.();
    this.registry?.close();
    await this.iteration;
  }

  /**
   * One iteration now (tests call it with a controlled clock). Iterations never overlap:
   * a call during one makes it go round once more.
   */
  async runIteration(): Promise<void> {
    if (this.stopped) return;
    if (this.iteration) {
      this.again = true;
      return this.iteration;
    }
    this.iteration = (async () => {
      do {
        this.again = false;
        await this.iterate();
      } while (this.again && !this.stopped);
    })();
    try {
      await this.iteration;
    } finally {
      this.iteration = undefined;
    }
    if (!this.stopped) await this.arm();
  }

  private async iterate(): Promise<void> {
    const now = this.clock();
    const { store, report } = this.o;
    try {
      if (this.o.schedules !== false) for (const tick of await this.scheduler.check(now)) report({ kind: 'tick', tick });
      await store.promoteDueRuns(now, 100);
      // Queued runs nobody holds: promoted here or elsewhere, submitted with --detach, re-run
      // by an operator, or left by a server that died between promoting and starting.
      // Running runs whose holder died are resumed. Highest priority first, then longest
      // waiting; a paused queued run waits until unpaused.
      const waiting = await store.listRuns({ state: ['queued', 'running'], limit: 100, order: 'queue' });
      for (const r of waiting) await this.adopt(r, now);
    } catch (e) {
      report({ kind: 'error', message: `trigger loop: ${errorMessage(e)}; retrying` });
    }
  }

  /**
   * Starts one queued run now, without waiting for the next iteration: what the HTTP API
   * calls after it queued a run. The same checks as the loop apply (not paused, nobody
   * holds it); a run another server took first is left to it.
   */
  async startQueued(runId: string): Promise<void> {
    if (this.stopped || this.active.has(runId)) return;
    const r = await this.o.store.getRun(runId);
    if (r?.state === 'queued') await this.adopt(r, this.clock());
  }

  /** Starts (queued) or resumes (running, holder dead) one listed run unless it is held, paused or already here. */
  private async adopt(r: RunRecord, now: number): Promise<void> {
    const { engine, report } = this.o;
    if (this.active.has(r.id) || this.starting.has(r.id) || (r.state === 'queued' && r.pausedAt !== undefined)) return;
    if (holderAlive(r, now)) return;
    this.starting.add(r.id);
    try {
      const resumed = r.state === 'running';
      const handle = resumed ? await engine.resumeRun(r.id) : await engine.startQueuedRun(r.id);
      this.track(r, handle, resumed);
    } catch (e) {
      // Another server took it first, or it ended (cancelled) since it was listed.
      if (e instanceof RunHeldError || e instanceof ResumeError) return;
      report({ kind: 'error', message: `could not start run ${r.id}: ${errorMessage(e)}` });
    } finally {
      this.starting.delete(r.id);
    }
  }

  /**
   * Creates a run and starts it on this server's engine in one step (what the HTTP API does
   * for a run due now): no queued row for the trigger loop to find, no second read.
   */
  async startNew(spec: WorkflowSpec, version: string, opts: StartRunOptions): Promise<RunRecord> {
    const handle = await this.o.engine.startRun(spec, version, opts);
    const record = handle.record ?? (await this.o.store.getRun(handle.id))!;
    this.track(record, handle, false);
    return record;
  }

  /** Reports a started run and keeps it in `active` until it ends. */
  private track(r: Pick<RunRecord, 'id' | 'workflow' | 'scheduleId'>, handle: RunHandle, resumed: boolean): void {
    const { report } = this.o;
    report({ kind: 'started', runId: r.id, workflow: r.workflow, resumed });
    const done = handle.result.then((summary) => {
      this.active.delete(r.id);
      report({ kind: 'finished', summary });
      // A finished scheduled run may release a queued run of the same schedule (overlap: queue).
      if (!this.stopped && r.scheduleId !== undefined) void this.runIteration();
      return summary;
    });
    this.active.set(r.id, done);
    done.catch((e: unknown) => {
      this.active.delete(r.id);
      report({ kind: 'error', message: `run ${r.id}: ${errorMessage(e)}` });
    });
  }

  /** Sleeps until the next tick or due run, at most pollMs. */
  private async arm(): Promise<void> {
    this.timer?.();
    const now = this.clock();
    const poll = this.o.pollMs ?? 1000;
    let wake = now + poll;
    try {
      const tick = this.o.schedules === false ? undefined : await this.scheduler.nextTickAt(now);
      const due = await this.o.store.nextDueAt();
      for (const t of [tick, due]) if (t !== undefined) wake = Math.min(wake, t);
    } catch {
      // the store is unreachable: poll again
    }
    if (this.stopped) return;
    this.timer = this.timers.setTimer(Math.max(0, wake - now), () => void this.runIteration());
  }
}

async function specFromStore(store: Store, version: string): Promise<WorkflowSpec | undefined> {
  const w = await store.getWorkflow(version);
  return w ? decodeDefinition(w) : undefined;
}
