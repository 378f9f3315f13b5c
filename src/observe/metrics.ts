/**
 * @module observe/metrics
 * Prometheus metrics of a baton server (prom-client, text exposition format): gauges read
 * from the store at scrape time, so every node sharing a database reports the same
 * fleet-wide numbers; step durations as a histogram fed from the event feed this server
 * follows, and counters of runs and step runs finished, from the same feed; and prom-client's
 * default process metrics under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`…, no prefix), so stock Node.js dashboards find them.
 * @see https://prometheus.io/docs/practices/naming/ (base units: seconds; `_total` only on counters)
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FeedEvent, FleetStore, Store } from '../store/index.js';

/** Step duration buckets, seconds: from a no-op handler to a night-long batch. */
const DURATION_BUCKETS = [0.005, 0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];
/**
 * prom-client defaults dropped: gauges ending in `_total`, the suffix Prometheus keeps for
 * counters (`promtool check metrics` warns on each); their by-type twins stay.
 */
const UNPROMTOOL_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** Running steps remembered for their durations; beyond this the oldest are forgotten. */
const MAX_TRACKED = 100_000;

/** The metrics of one server, bound to its store. */
export interface BatonMetrics {
  registry: Registry;
  /** Feeds step durations and the finished counters from the events this server follows (run and step transitions), in commit order. */
  observe(events: readonly FeedEvent[]): void;
}

/** Counts kept by other parts of the process, read at scrape time. */
export interface MetricsSources {
  /** Log bytes this process's fleet worker shipped to the store so far (`Worker.logBytesShipped`). */
  logBytesShipped?: () => number;
}

/**
 * Creates the registry. Gauges: `baton_runs{state}` (all runs kept), `baton_step_runs{state}`
 * (step runs of unfinished runs), `baton_queue_depth` (queued step runs),
 * `baton_lost_attempts` (attempts ended `lost`: an expired lease or a dead holder),
 * `baton_workers{state}` and `baton_worker_slots_in_use` (PostgreSQL fleet). Histogram:
 * `baton_step_duration_seconds{workflow,state}` (step runs that ended while this server
 * followed the feed, from `running` to their end). Counters: `baton_runs_finished_total{workflow,state}`
 * and `baton_steps_finished_total{workflow,state}` (runs and step runs that reached a final
 * state while this server followed the feed; `state` is succeeded, failed or cancelled, and
 * skipped for steps), and `baton_log_bytes_shipped_total` (attempt log bytes this process's
 * worker stored in PostgreSQL, with `o.logBytesShipped`). Process metrics: prom-client's defaults, unprefixed, but for the three
 * `nodejs_active_*_total` gauges (their by-type `nodejs_active_*{type}` stay).
 */
export function createMetrics(store: Store, fleet?: FleetStore, o: MetricsSources = {}): BatonMetrics {
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
  const running = new Map<string, number>();
  return {
    registry,
    observe(events) {
      for (const e of events) {
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
