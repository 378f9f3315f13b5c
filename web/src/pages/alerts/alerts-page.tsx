/**
 * @module web/pages/alerts
 * Alerts by state, with acknowledge and silence.
 */
import type { ReactNode } from 'react';

/** The alerts page. */
export function AlertsPage(): ReactNode {
  return <h1>Alerts</h1>;
}
