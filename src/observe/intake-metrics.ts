/**
 * @module observe/intake-metrics
 * Backpressure's series on `/metrics`: the runs waiting to start as intake counts them (the
 * store's count, shared by every server on one database, read at most once a second), and
 * a counter of the new runs this server refused, by source.
 */
import { Counter } from 'prom-client';
import type { IntakeRefusedError } from '../triggers/index.js';
import { INTAKE_SOURCES } from '../triggers/index.js';
import type { MetricsContributor } from './metrics.js';
import { scrapeGauge } from './metrics.js';

/**
 * The contributors, and the hook intake calls on each refusal.
 * @param waitingRuns - the intake gate's depth (`IntakeGate.depth`).
 */
export function intakeMetrics(waitingRuns: () => Promise<number>): { contributors: MetricsContributor[]; onRefused: (e: IntakeRefusedError) => void } {
  const refused = new Counter({
    name: 'baton_intake_refused_total', help: 'New runs this server refused under backpressure (backpressure.reject), by source (api, webhook, schedule).',
    labelNames: ['source'], registers: [],
  });
  // Every source from the start: a rate over a series that appears only at the first refusal misses it.
  for (const source of INTAKE_SOURCES) refused.inc({ source }, 0);
  return {
    contributors: [
      (registry) => registry.registerMetric(refused),
      scrapeGauge({
        name: 'baton_intake_waiting_runs', help: 'Runs waiting to start (queued, or started with no step begun), across the store: the depth backpressure judges.', labelNames: [],
        read: async () => [{ labels: {}, value: await waitingRuns() }],
      }),
    ],
    onRefused: (e) => refused.inc({ source: e.source }),
  };
}
