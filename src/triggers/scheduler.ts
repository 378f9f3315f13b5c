/**
 * @module triggers/scheduler
 * Turns cron schedules into runs. Stateless between calls: every `check(now)` reads the
 * schedules' last handled tick from the store, works out which ticks fell due since, and
 * records each through `Store.fireTick`, which is exactly-once per (schedule, tick) across
 * every server sharing the store. Time is an argument, so tests drive it with any clock.
 */
import type { WorkflowSpec } from '../workflow/index.js';
import { MAX_CATCH_UP, nextFireTimes, resolveParams } from '../workflow/index.js';
import type { ScheduleRecord, Store, TickOutcome } from '../store/index.js';
import { newRun } from '../runtime/index.js';
import type { IntakeGate } from './intake.js';
import { IntakeRefusedError } from './intake.js';

/** One tick handled by `check`. */
export interface FiredTick {
  scheduleId: string;
  tickAt: number;
  outcome: TickOutcome;
  runId?: string;
  /** Outcome `skipped-backpressure`: the refusal, for the log ("intake refused: 1,000 runs are queued…"). */
  refused?: string;
}

/** Options of the scheduler. */
export interface SchedulerOptions {
  /**
   * The latest due tick handled within this long after its time is on time; later, or
   * superseded by a newer due tick, it counts as missed and follows the schedule's
   * `misfire` policy, ms. @default 60000
   */
  misfireThresholdMs?: number;
  /** The definition of a workflow version, for params and step rows of the runs it creates. */
  specOf: (version: string) => Promise<WorkflowSpec | undefined>;
  /**
   * Backpressure: a tick whose run it refuses is recorded as missed, outcome
   * `skipped-backpressure` (never replayed, whatever the misfire policy: the tick row is
   * written, so every server moves past it once). @default none: every tick may make its run
   */
  intake?: IntakeGate;
}

/** Fires due schedule ticks into the store. */
export class Scheduler {
  private readonly threshold: number;

  constructor(
    private readonly store: Store,
    private readonly opts: SchedulerOptions,
  ) {
    this.threshold = opts.misfireThresholdMs ?? 60_000;
  }

  /**
   * Handles every tick that fell due at or before `now` and returns what happened, oldest
   * first. Ticks another server recorded first are left out.
   */
  async check(now: number): Promise<FiredTick[]> {
    const fired: FiredTick[] = [];
    for (const s of await this.store.listSchedules()) {
      if (s.paused || !s.spec.enabled) continue;
      fired.push(...(await this.checkOne(s, now)));
    }
    return fired;
  }

  /** The earliest next tick of any active schedule after `now`, for the caller's timer. */
  async nextTickAt(now: number): Promise<number | undefined> {
    let next: number | undefined;
    for (const s of await this.store.listSchedules()) {
      if (s.paused || !s.spec.enabled) continue;
      const [t] = nextFireTimes(s.spec, Math.max(now, s.lastTickAt ?? now), 1);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  private async checkOne(s: ScheduleRecord, now: number): Promise<FiredTick[]> {
    const since = s.lastTickAt ?? s.updatedAt;
    const [first] = nextFireTimes(s.spec, since, 1);
    if (first === undefined || first > now) return [];
    // Usually only one tick is due (the server was on time): two ticks tell, without a search.
    const [, second] = nextFireTimes(s.spec, since, 2);
    const latest = second === undefined || second > now ? first : (latestTickAtOrBefore(s, since, now) ?? first);
    // Only the latest due tick can be on time, and only within the threshold (the server was
    // busy, not down); a tick that a later one has superseded was missed (Quartz's misfire rule).
    const onTime = now - latest <= this.threshold ? [latest] : [];
    let toRun: number[];
    switch (s.spec.misfire) {
      case 'skip':
        toRun = onTime;
        break;
      case 'run-once':
        toRun = [latest];
        break;
      case 'catch-up':
        // Oldest first; a longer outage replays its first MAX_CATCH_UP ticks and skips the rest.
        toRun = ticksBetween(s, since, now, MAX_CATCH_UP);
        break;
    }
    const spec = await this.opts.specOf(s.version);
    const out: FiredTick[] = [];
    for (const tickAt of toRun) {
      const run = spec
        ? newRun(spec, s.version, {
          trigger: 'schedule',
          params: resolveParams(spec, s.spec.params),
          dueAt: tickAt,
          schedule: { id: s.id, tickAt },
        }, now)
        : undefined;
      // Replayed ticks run one after another, in order, unless overlap allows them together.
      const replay = s.spec.misfire === 'catch-up' && tickAt !== onTime[0];
      const fire = { scheduleId: s.id, tickAt, now, overlap: s.spec.overlap, ...(run ? { run } : {}), ...(replay ? { replay } : {}) };
      const intake = this.opts.intake;
      if (!run || !intake) {
        const res = await this.store.fireTick(fire);
        if (res) out.push({ scheduleId: s.id, tickAt, ...res });
        continue;
      }
      try {
        const res = await intake.admit('schedule', () => this.store.fireTick(fire), (r) => r?.outcome === 'created');
        if (res) out.push({ scheduleId: s.id, tickAt, ...res });
      } catch (e) {
        if (!(e instanceof IntakeRefusedError)) throw e;
        const res = await this.store.fireTick({ scheduleId: s.id, tickAt, now, overlap: s.spec.overlap, refused: 'backpressure' });
        if (res) out.push({ scheduleId: s.id, tickAt, ...res, refused: e.message });
      }
    }
    // Missed ticks that do not run are recorded once, as the latest of them, so the
    // schedule moves past them exactly once whichever server gets here first.
    if (!toRun.includes(latest)) {
      const res = await this.store.fireTick({ scheduleId: s.id, tickAt: latest, now, overlap: s.spec.overlap });
      if (res) out.push({ scheduleId: s.id, tickAt: latest, ...res });
    }
    return out;
  }
}

/** Ticks in (after, until], oldest first, at most `max`. */
function ticksBetween(s: ScheduleRecord, after: number, until: number, max: number): number[] {
  return nextFireTimes(s.spec, after, max).filter((t) => t <= until);
}

/**
 * The last tick in (after, until]. croner only walks forward, so this looks in growing
 * windows back from `until` (2 min, 2 h, 2 days, 62 days, 2 years) and walks each forward
 * in bounded chunks.
 */
function latestTickAtOrBefore(s: ScheduleRecord, after: number, until: number): number | undefined {
  const minute = 60_000;
  for (const window of [2 * minute, 120 * minute, 2880 * minute, 89_280 * minute, 1_051_200 * minute]) {
    const start = Math.max(after, until - window);
    let from = start;
    let last: number | undefined;
    for (let chunk = 0; chunk < 100; chunk++) {
      const ticks = nextFireTimes(s.spec, from, 500);
      const inRange = ticks.filter((t) => t <= until);
      if (inRange.length) last = inRange[inRange.length - 1]!;
      if (inRange.length < ticks.length || ticks.length < 500 || last === undefined) break; // passed `until`, or no more ticks
      from = last;
    }
    if (last !== undefined || start === after) return last;
  }
  return undefined;
}
