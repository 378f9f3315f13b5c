/**
 * @module observe/alerts/metrics
 * Alerting's series on `/metrics`: alerts by rule and state and deliveries by channel and
 * state, read from the store at scrape (every server sharing it reports the same), and a
 * counter of this server's delivery attempts by channel and outcome.
 */
import { Counter } from 'prom-client';
import type { Store } from '../../store/index.js';
import type { MetricsContributor } from '../metrics.js';
import { scrapeGauge } from '../metrics.js';
import type { DeliveryReport } from './sender.js';

/** The contributors, and the hook the alert service calls after each delivery attempt. */
export function alertMetrics(store: Store): { contributors: MetricsContributor[]; onDelivery: (r: DeliveryReport) => void } {
  const attempts = new Counter({
    name: 'baton_alert_delivery_attempts_total', help: 'Delivery attempts of alert notifications by this server, by channel and outcome (delivered, retrying, failed).',
    labelNames: ['channel', 'outcome'], registers: [],
  });
  return {
    contributors: [
      (registry) => registry.registerMetric(attempts),
      scrapeGauge({
        name: 'baton_alerts', help: 'Alerts kept, by rule and state.', labelNames: ['rule', 'state'],
        read: async () => (await store.alerts.counts()).alerts.map((a) => ({ labels: { rule: a.rule, state: a.state }, value: a.n })),
      }),
      scrapeGauge({
        name: 'baton_alert_deliveries', help: 'Alert deliveries kept, by channel and state (pending, delivered, failed).', labelNames: ['channel', 'state'],
        read: async () => (await store.alerts.counts()).deliveries.map((d) => ({ labels: { channel: d.channel, state: d.state }, value: d.n })),
      }),
    ],
    onDelivery: (r) => attempts.inc({ channel: r.delivery.channel, outcome: r.result }),
  };
}
