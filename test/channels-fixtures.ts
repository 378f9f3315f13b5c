/**
 * Notifications and specs shared by the channel tests: a firing group of two alerts (one of
 * them with a hostile summary), its resolved form, a run report and an upcoming notice.
 */
import { createMasker } from '../src/executors/index.js';
import type { AlertNotification, NotifiedAlert, RunReportNotification, RunUpcomingNotification } from '../src/observe/index.js';

/** A secret value the tests look for in outcomes (it must never appear). */
export const SECRET = 'hunter2-7f3a9c1e';
/** Masks {@link SECRET}, as a compiled config's `mask` does. */
export const mask = (text: string): string => createMasker([SECRET]).mask(text);

const failedRun: NotifiedAlert = {
  id: 'al_01',
  rule: 'any-run-failed',
  kind: 'run-failed',
  state: 'firing',
  severity: 'critical',
  summary: 'run nightly/r-1 failed: step `load` exited 1',
  subject: { workflow: 'nightly', runId: 'r-1', stepId: 'load' },
  labels: { workflow: 'nightly' },
  firedAt: '2025-03-01T02:04:12.000Z',
  url: 'https://baton.example.com/runs/r-1',
};

const hostile: NotifiedAlert = {
  ...failedRun,
  id: 'al_02',
  summary: 'run nightly/r-2 failed: <script>alert(1)</script> & <!channel>',
  subject: { workflow: 'nightly', runId: 'r-2' },
  state: 'acknowledged',
  acknowledgedAt: '2025-03-01T02:10:00.000Z',
  acknowledgedBy: 'ana',
};
delete (hostile as { url?: string }).url;

/** Two alerts of rule `any-run-failed`, grouped by workflow `nightly`. */
export const firing: AlertNotification = {
  version: 1,
  type: 'alert',
  status: 'firing',
  reason: 'new',
  group: { key: 'any-run-failed/workflow=nightly', labels: { workflow: 'nightly' } },
  alerts: [failedRun, hostile],
  sentAt: '2025-03-01T02:05:00.000Z',
};

/** The same group, every alert resolved. */
export const resolved: AlertNotification = {
  ...firing,
  status: 'resolved',
  reason: 'resolved',
  alerts: firing.alerts.map((a) => ({ ...a, state: 'resolved' as const, resolvedAt: '2025-03-01T03:00:00.000Z' })),
};

/** A succeeded run of 4 min 12 s. */
export const report: RunReportNotification = {
  version: 1,
  type: 'run-report',
  workflow: 'nightly',
  runId: 'r-3',
  state: 'succeeded',
  durationMs: 252_000,
  failedSteps: [],
  url: 'https://baton.example.com/runs/r-3',
  sentAt: '2025-03-01T02:05:00.000Z',
};

/** A run due in ten minutes. */
export const upcoming: RunUpcomingNotification = {
  version: 1,
  type: 'run-upcoming',
  workflow: 'nightly',
  schedule: 'nightly',
  scheduledFor: '2025-03-02T02:00:00.000Z',
  sentAt: '2025-03-02T01:50:00.000Z',
};
