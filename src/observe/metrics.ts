/**
 * @module observe/metrics
 * Prometheus metrics of a baton server (prom-client, text exposition format): gauges read
 * from the store at scrape time, so every node sharing a database reports the same
 * fleet-wide numbers; step durations as a histogram fed from the event feed this server
 * follows, and counters of runs and step runs finished and of late results discarded, from
 * the same feed; series other parts of baton contribute (`MetricsContributor`); and prom-client's
 * default process metrics under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`…, no prefix), so stock Node.js dashboards find them.
 * @see https://prometheus.io/docs/practices/naming/ (base units: seconds; `_total` only on counters)
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FeedEvent, FleetStore, Store } from '../store/index.js';
import type { ThrottleStatus } from '../runtime/index.js';
import { QueueReader } from './queue.js';
import { BREAKER_STATES } from '../core/index.js';

/** Step duration buckets, seconds: from a no-op handler to a night-long batch. */
const DURATION_BUCKETS = [0.005, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
/**
 * prom-client defaults dropped: gauges ending in `_total`, the suffix Prometheus keeps for
 * counters (`promtool check metrics` warns on each); their by-type twins stay.
 */
const UNPROMTOOL_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** Running steps remembered for their durations; beyond this the oldest are forgotten. */
const MAX_TRACKED = 100_000;

/**
 * Series another part of baton adds to `/metrics` (alert rules, notification channels…):
 * called once with the server's registry when its metrics are created. Register metrics on
 * it: a gauge read from the store at scrape time with `collect` ({@link scrapeGauge}), or a
 * counter the contributor increments itself, created with `registers: []` and registered
 * here (`registry.registerMetric(counter)`), so one counter can serve several registries.
 * Names follow the Prometheus rules the rest keep (`baton_` prefix, base units, `_total`
 * only on counters), so `promtool check metrics` stays clean.
 * @example
 * const deliveries = new Counter({ name: 'baton_deliveries_total', help: 'Alert deliveries by channel and outcome.', labelNames: ['channel', 'outcome'], registers: [] });
 * const contributors: MetricsContributor[] = [
 *   (registry) => registry.registerMetric(deliveries),
 *   scrapeGauge({ name: 'baton_alerts', help: 'Alerts by rule and state.', labelNames: ['rule', 'state'], read: async () => (await alertCounts()).map((a) => ({ labels: { rule: a.rule, state: a.state }, value: a.n })) }),
 * ];
 */
export type MetricsContributor = (registry: Registry) => void;

/** One sample of a {@link scrapeGauge}: its label values and its value. */
export interface GaugeSample<L extends string> {
  /** A value for each label name. */
  labels: Record<L, string>;
  /** The gauge's value for them, in the metric's base unit. */
  value: number;
}

/**
 * A contributor of one gauge whose samples are read at every scrape (a store query): the
 * series are replaced by what `read` returns, so a label set that stops being returned
 * disappears. A `read` that rejects fails the scrape with its error, as the built-in gauges do.
 */
export function scrapeGauge<L extends string>(o: { name: string; help: string; labelNames: readonly L[]; read: () => Promise<GaugeSample<L>[]> }): MetricsContributor {
  return (registry) => {
    new Gauge({
      name: o.name, help: o.help, labelNames: o.labelNames, registers: [registry],
      async collect() {
        const samples = await o.read();
        this.reset();
        for (const s of samples) this.set(s.labels, s.value);
      },
    });
  };
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Extra series (alerts, deliveries…), each called once with the registry. @default none */
  contributors?: readonly MetricsContributor[];
  /** The current time for ages measured at scrape, ms since the epoch. @default Date.now */
  now?: () => number;
  /** Log bytes this process's fleet worker shipped to the store so far (`Worker.logBytesShipped`). */
  logBytesShipped?: () => number;
  /**
   * This process's adaptive slots (the engine's, or its fleet worker's): read at scrape for
   * `baton_slots_limit`, `baton_slots_max`, `baton_host_cpu_ratio` and
   * `baton_host_memory_ratio`. Absent or undefined: no throttle, no series.
   */
  throttle?: () => ThrottleStatus | undefined;
}

/** The metrics of one server, bound to its store. */
export interface BatonMetrics {
  registry: Registry;
  /**
   * Feeds step durations, the finished counters and the discarded-results counter from the
   * events this server follows (run and step transitions, `attempt-discarded`), in commit order.
   */
  observe(events: readonly FeedEvent[]): void;
}

/**
 * Creates the registry. Gauges: `baton_runs{state}` (all runs kept), `baton_step_runs{state}`
 * (step runs of unfinished runs), `baton_queue_depth` (queued step runs),
 * `baton_lost_attempts` (attempts ended `lost`: an expired lease or a dead holder),
 * `baton_queue_oldest_age_seconds{pool,priority}` (how long the longest-waiting step run has
 * waited, per pool — `""` for steps without one — and effective priority, step + run: see
 * `WaitingStepGroup` for what waiting means; a pair with nothing waiting has no series),
 * `baton_workers{state}` and `baton_worker_slots_in_use` (PostgreSQL fleet),
 * `baton_breaker_state{key,state}` (1 for each circuit breaker's state, 0 for its others). Histogram:
 * `baton_step_duration_seconds{workflow,state}` (step runs that ended while this server
 * followed the feed, from `running` to their end). Counters: `baton_breaker_transitions_total{key,from,to}`
 * (circuit breaker changes of state seen in the feed), `baton_runs_finished_total{workflow,state}`
 * and `baton_steps_finished_total{workflow,state}` (runs and step runs that reached a final
 * state while this server followed the feed; `state` is succeeded, failed or cancelled, and
 * skipped for steps), and `baton_attempt_results_discarded_total{workflow}` (results a fleet
 * worker reported for an attempt it no longer held — its lease lapsed and the attempt was
 * reaped or claimed again, or its fence is old — which the store discarded, recording
 * `attempt-discarded`), and `baton_log_bytes_shipped_total` (attempt log bytes this process's
 * worker stored in PostgreSQL, with `o.logBytesShipped`), and with `o.throttle` `baton_slots_limit`,
 * `baton_slots_max`, `baton_host_cpu_ratio`, `baton_host_memory_ratio`. Process metrics: prom-client's defaults, unprefixed, but for the three
 * `nodejs_active_*_total` gauges (their by-type `nodejs_active_*{type}` stay). Then the
 * `contributors`' series.
 */
export function createMetrics(store: Store, fleet?: FleetStore, o: MetricsOptions = {}): BatonMetrics {
  const now = o.now ?? Date.now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters, which promtool flags; `sum(nodejs_active_handles)` (and
  // requests, resources: the same counts by type) gives the same number.
  for (const name of UNPROMTOOL_DEFAULTS) registry.removeSingleMetric(name);
  let counts: ReturnType<Store['api']['countStates']> | undefined;
  // One store read per scrape, shared by the gauges that need it.
  const countsOnce = (): ReturnType<Store['api']['countStates']> => {
    counts ??= store.api.countStates().finally(() => setImmediate(() => (counts = undefined)));
    return counts;
  };
  new Gauge({
    name: 'baton_runs', help: 'Runs by state (all runs kept in the store).', labelNames: ['state'], registers: [registry],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries((await countsOnce()).runs)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'baton_step_runs', help: 'Step runs of unfinished runs, by state.', labelNames: ['state'], registers: [registry],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries((await countsOnce()).stepRuns)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'baton_queue_depth', help: 'Step runs queued: ready and waiting for a slot.', registers: [registry],
    async collect() {
      this.set((await countsOnce()).stepRuns.queued ?? 0);
    },
  });
  new Gauge({
    name: 'baton_lost_attempts', help: 'Attempts that ended lost (lease expired or holder died), among runs kept.', registers: [registry],
    async collect() {
      this.set((await countsOnce()).lostAttempts);
    },
  });
  const queue = new QueueReader(store);
  scrapeGauge({
    name: 'baton_queue_oldest_age_seconds', labelNames: ['pool', 'priority'],
    help: 'Seconds the longest-waiting step run has waited to start, by pool and effective priority (queued, or published and not claimed by a fleet worker).',
    read: async () => {
      const at = now();
      return (await queue.groups()).map((w) => ({ labels: { pool: w.pool, priority: String(w.priority) }, value: Math.max(0, at - w.oldestQueuedAt) / 1000 }));
    },
  })(registry);
  if (fleet) {
    const workers = (): ReturnType<FleetStore['listWorkers']> => fleet.listWorkers();
    new Gauge({
      name: 'baton_workers', help: 'Fleet workers by state.', labelNames: ['state'], registers: [registry],
      async collect() {
        this.reset();
        const by = new Map<string, number>();
        for (const w of await workers()) by.set(w.state, (by.get(w.state) ?? 0) + 1);
        for (const [state, n] of by) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'baton_worker_slots_in_use', help: 'Slots in use across live workers, as last reported.', registers: [registry],
      async collect() {
        // A lost worker's last load is history: only those still heartbeating count.
        this.set((await workers()).filter((w) => w.state === 'active' || w.state === 'draining').reduce((n, w) => n + (w.load?.slotsInUse ?? 0), 0));
      },
    });
  }
  const throttle = o.throttle;
  if (throttle) {
    const gauge = (name: string, help: string, read: (t: ThrottleStatus) => number | undefined): void => {
      new Gauge({
        name, help, registers: [registry],
        collect() {
          const t = throttle();
          const v = t ? read(t) : undefined;
          if (v === undefined) this.reset();
          else this.set(v);
        },
      });
    };
    gauge('baton_slots_limit', "Slots this process may use now: its configured slots, or fewer while the adaptive throttle holds it back (CPU, memory or event-loop lag over a threshold).", (t) => t.limit);
    gauge('baton_slots_max', "Slots this process is configured with (the throttle's maximum).", (t) => t.max);
    gauge('baton_host_cpu_ratio', 'CPU in use on this host over the last throttle interval, 0..1 of all cores.', (t) => t.sample?.cpu);
    gauge('baton_host_memory_ratio', 'Memory in use on this host (total minus available), 0..1.', (t) => t.sample?.mem);
  }
  new Gauge({
    name: 'baton_breaker_state', help: 'Circuit breakers: 1 for the state each is in (closed, open, half-open), 0 for the others.', labelNames: ['key', 'state'], registers: [registry],
    async collect() {
      this.reset();
      for (const b of await store.breakers.list()) for (const state of BREAKER_STATES) this.set({ key: b.key, state }, b.state === state ? 1 : 0);
    },
  });
  const shipped = o.logBytesShipped;
  if (shipped) {
    new Counter({
      name: 'baton_log_bytes_shipped_total', help: "Attempt log bytes this process's worker shipped to the store (PostgreSQL), since it started.", registers: [registry],
      collect() {
        // The worker keeps the count; a counter may only go up, so it is set from it at each scrape.
        this.reset();
        this.inc(shipped());
      },
    });
  }
  const durations = new Histogram({
    name: 'baton_step_duration_seconds', help: 'Step run durations, from running to its end.', labelNames: ['workflow', 'state'],
    buckets: DURATION_BUCKETS, registers: [registry],
  });
  const runsFinished = new Counter({
    name: 'baton_runs_finished_total', help: 'Runs that reached a final state while this server followed the event feed.', labelNames: ['workflow', 'state'], registers: [registry],
  });
  const stepsFinished = new Counter({
    name: 'baton_steps_finished_total', help: 'Step runs that reached a final state while this server followed the event feed.', labelNames: ['workflow', 'state'], registers: [registry],
  });
  const discarded = new Counter({
    name: 'baton_attempt_results_discarded_total', labelNames: ['workflow'], registers: [registry],
    help: 'Attempt results a fleet worker reported after losing its lease (reaped, claimed again, or fenced), discarded by the store, while this server followed the event feed.',
  });
  const breakerChanges = new Counter({
    name: 'baton_breaker_transitions_total', help: 'Circuit breaker changes of state (closed, open, half-open) while this server followed the event feed.',
    labelNames: ['key', 'from', 'to'], registers: [registry],
  });
  for (const contribute of o.contributors ?? []) contribute(registry);
  const running = new Map<string, number>();
  return {
    registry,
    observe(events) {
      for (const e of events) {
        if (e.type === 'attempt-discarded') {
          discarded.inc({ workflow: e.workflow });
          continue;
        }
        if (e.type === 'breaker') {
          if (typeof e.data?.key === 'string' && e.from && e.to) breakerChanges.inc({ key: e.data.key, from: e.from, to: e.to });
          continue;
        }
        if (e.type === 'run') {
          if (e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled') runsFinished.inc({ workflow: e.workflow, state: e.to });
          continue;
        }
        if (e.type !== 'step' || e.stepId === undefined) continue;
        if (e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled' || e.to === 'skipped') stepsFinished.inc({ workflow: e.workflow, state: e.to });
        const key = `${e.runId}/${e.stepId}`;
        if (e.to === 'running') {
          running.set(key, e.at);
          if (running.size > MAX_TRACKED) running.delete(running.keys().next().value!);
        } else if (e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled') {
          const start = running.get(key);
          if (start === undefined) continue;
          running.delete(key);
          durations.observe({ workflow: e.workflow, state: e.to }, Math.max(0, e.at - start) / 1000);
        } else if (e.to === 'retrying' || e.to === 'queued') running.delete(key);
      }
    },
  };
}
