/**
 * @module runtime/slots
 * Who runs next within an engine: the ready queue (priority with aging), the engine's slots,
 * each run's `concurrency` and the named pools. An item that cannot start for its run or its
 * pool parks with that run or pool; each freed slot moves one parked item back to the queue,
 * where it is weighed again, so releasing is O(log n) and nothing is scanned.
 *
 * Held steps (a sub-workflow step, a `wait:` or `approval:` step) run no work of their own:
 * they take no engine slot and no pool slot, only a place in their run's `concurrency`, so
 * a day-long approval or a child run (whose own steps need the slots) never starves the rest.
 *
 * A step's `kind:` (`cpu`, `io`) counts it against one of two implicit pools, `kind:cpu` and
 * `kind:io` ({@link kindLimits}), besides its named pool: CPU-bound steps beyond the cores
 * only queue for the CPU, I/O-bound ones can overlap their waits. The limit of the slots
 * moves with the throttle (runtime/throttle.ts): lowering it stops nothing that runs, it only
 * starts fewer; raising it starts what waits at the next `take`.
 */
import type { ActiveRun, Launch } from './attempts.js';
import { ReadyQueue } from './ready-queue.js';
import type { ReadyItem } from './ready-queue.js';
import type { StepSpec, StepWorkload } from '../workflow/index.js';

/**
 * Default limits of the `kind:` pools for a machine of `cores`: `cpu` max(1, floor(0.75 ×
 * cores)) — leaving a core's share for the engine, the OS and I/O steps — and `io` 2 × cores,
 * as thread-pool sizing rules have it (Goetz, "Java Concurrency in Practice" §8.2: N+1 for
 * computing, more for waiting). Neither is above `slots`.
 */
export function kindLimits(cores: number, slots: number): Record<StepWorkload, number> {
  return { cpu: Math.min(slots, Math.max(1, Math.floor(0.75 * cores))), io: Math.min(slots, Math.max(1, 2 * cores)) };
}

/** Whether a step is held by the engine without doing work: a sub-workflow or a waiting step. */
export function isHeldStep(step: StepSpec): boolean {
  const kind = step.action.kind;
  return kind === 'workflow' || kind === 'wait' || kind === 'approval';
}

/** A ready step of a held run. */
type Item = { run: ActiveRun; stepId: string };

/** A named concurrency limit shared by steps across the runs of this engine. */
interface Pool {
  limit: number;
  running: number;
  /** Ready items waiting for a slot of this pool, in queue order. */
  parked: ReadyQueue<Item>;
}

/** The engine's slots, pools and ready queue. */
export class Slots {
  /** Attempts holding a slot now. */
  running = 0;
  private readonly queue: ReadyQueue<Item>;
  /** Ready held steps: they need no engine slot, so they do not wait behind those that do. */
  private readonly held: ReadyQueue<Item>;
  private readonly pools = new Map<string, Pool>();
  /** The implicit pools of `kind: cpu` and `kind: io` steps. */
  private readonly kinds: Record<StepWorkload, Pool> | undefined;
  private currentLimit: number;

  /**
   * @param limit - slots: attempts holding one at once.
   * @param kinds - limits of the `kind:` pools ({@link kindLimits}); absent, `kind:` bounds nothing.
   */
  constructor(
    limit: number,
    private readonly agingMs: number,
    kinds?: Readonly<Record<StepWorkload, number>>,
  ) {
    this.currentLimit = limit;
    this.queue = new ReadyQueue(agingMs);
    this.held = new ReadyQueue(agingMs);
    if (kinds) {
      this.kinds = {
        cpu: { limit: kinds.cpu, running: 0, parked: new ReadyQueue(agingMs) },
        io: { limit: kinds.io, running: 0, parked: new ReadyQueue(agingMs) },
      };
    }
  }

  /** Slots that may be in use now: the configured ones, or fewer while throttled. */
  get limit(): number {
    return this.currentLimit;
  }

  /**
   * Moves the limit (the throttle). Attempts above a lowered limit go on running; a raised
   * limit starts waiting items at the caller's next `take`.
   */
  setLimit(limit: number): void {
    this.currentLimit = Math.max(1, limit);
  }

  /** Declares a run's pools; a pool declared again takes the newer limit. */
  declarePools(pools: Readonly<Record<string, number>>): void {
    for (const [name, limit] of Object.entries(pools)) {
      const p = this.pools.get(name);
      if (p) p.limit = limit;
      else this.pools.set(name, { limit, running: 0, parked: new ReadyQueue(this.agingMs) });
    }
  }

  /** A step became `queued`. */
  enqueue(run: ActiveRun, stepId: string, now: number): void {
    const rec = run.machine.step(stepId);
    const priority = run.machine.stepSpec(stepId).priority + run.priority;
    this.push({ value: { run, stepId }, priority, queuedAt: rec.queuedAt ?? now, rank: run.ranks.get(stepId) ?? run.ranks.get(run.machine.mappedStepOf(stepId)) ?? 0 });
  }

  /** An attempt already running (taken over from a previous holder) occupies its slots. */
  occupy(run: ActiveRun, stepId: string): void {
    run.running++;
    if (isHeldStep(run.machine.stepSpec(stepId))) return;
    this.running++;
    for (const pool of this.poolsOf(run, stepId)) pool.running++;
  }

  /** An attempt ended: its slots go to the best item that waited for them. */
  release(run: ActiveRun, stepId: string): void {
    run.running--;
    this.unpark(run.parked);
    if (isHeldStep(run.machine.stepSpec(stepId))) return;
    this.running--;
    for (const pool of this.poolsOf(run, stepId)) {
      pool.running--;
      this.unpark(pool.parked);
    }
  }

  /** An unpaused run's parked items go back to the queue, where they are weighed again. */
  requeueParked(run: ActiveRun): void {
    for (let item = run.parked.pop(); item; item = run.parked.pop()) this.push(item);
  }

  /** Puts an item back in the ready queue (the breaker gate let it go), where `take` weighs it again. */
  requeue(item: ReadyItem<Item>): void {
    this.push(item);
  }

  /**
   * Takes ready items while slots, run concurrency and pools allow, and occupies their
   * slots. `live(run)`: the run is still held here (stale entries are dropped). `admit`: the
   * circuit breaker's say (false: the gate parked the item), asked before the item counts
   * against its run or pool, so a step behind an open breaker holds no one else back.
   */
  take(live: (run: ActiveRun) => boolean, prepare: (run: ActiveRun, stepId: string) => Launch, admit?: (item: ReadyItem<Item>) => boolean): Launch[] {
    const launches: Launch[] = [];
    for (let item = this.held.pop(); item; item = this.held.pop()) {
      const { run, stepId } = item.value;
      if (run.machine.step(stepId).state !== 'queued' || !live(run)) continue; // stale entry
      if (run.paused || run.running >= run.concurrency) {
        run.parked.push(item);
        continue;
      }
      this.occupy(run, stepId);
      launches.push(prepare(run, stepId));
    }
    while (this.running < this.currentLimit) {
      const item = this.queue.pop();
      if (!item) break;
      const { run, stepId } = item.value;
      if (run.machine.step(stepId).state !== 'queued' || !live(run)) continue; // stale entry
      if (run.paused) {
        // Waits with the run's other ready steps; unpausing moves them all back.
        run.parked.push(item);
        continue;
      }
      if (admit && !admit(item)) continue;
      const pools = this.poolsOf(run, stepId);
      if (run.running >= run.concurrency) {
        run.parked.push(item);
        // Its pools may have a free slot this item cannot use: offer it to each pool's next one.
        for (const pool of pools) if (pool.running < pool.limit) this.unpark(pool.parked);
        continue;
      }
      const full = pools.find((p) => p.running >= p.limit);
      if (full) {
        full.parked.push(item);
        // The run, and its other pools, still have a free slot that this item cannot use: offer it to the next one.
        this.unpark(run.parked);
        for (const pool of pools) if (pool !== full && pool.running < pool.limit) this.unpark(pool.parked);
        continue;
      }
      this.occupy(run, stepId);
      launches.push(prepare(run, stepId));
    }
    return launches;
  }

  /** The pools a step counts against: its named pool, then its `kind:` pool. */
  private poolsOf(run: ActiveRun, stepId: string): Pool[] {
    const spec = run.machine.stepSpec(stepId);
    const out: Pool[] = [];
    const named = spec.pool === undefined ? undefined : this.pools.get(spec.pool);
    if (named) out.push(named);
    if (spec.workload !== undefined && this.kinds) out.push(this.kinds[spec.workload]);
    return out;
  }

  /** Moves the best parked item back to the ready queue, where `take` weighs it again. */
  private unpark(parked: ReadyQueue<Item>): void {
    const item = parked.pop();
    if (item) this.push(item);
  }

  private push(item: Parameters<ReadyQueue<Item>['push']>[0]): void {
    (isHeldStep(item.value.run.machine.stepSpec(item.value.stepId)) ? this.held : this.queue).push(item);
  }
}
