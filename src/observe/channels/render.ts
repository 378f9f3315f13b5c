/**
 * @module observe/channels/render
 * The one reading of a notification for people: a subject line, a headline and one section
 * per alert (or per run), each with labelled fields and a link. Email's text and HTML bodies
 * and the Slack body are three serialisations of this one model, so a field added here shows
 * up in all of them. Pure: no I/O, no clock.
 */
import type { AlertNotification, NotifiedAlert, Notification, NotificationReason, RunReportNotification, RunUpcomingNotification } from './types.js';

/** One labelled value of a section (`Rule: any-run-failed`). */
export interface RenderedField {
  label: string;
  value: string;
}

/** One alert, one run or one failed step. */
export interface RenderedSection {
  /** One line: an alert's summary, "Run 01J…", "Step load failed". */
  title: string;
  fields: RenderedField[];
  /** A link to this item in the dashboard. */
  url?: string;
}

/** A notification read for people; see {@link renderText}. */
export interface RenderedNotification {
  /**
   * The subject without a channel's prefix: `[FIRING:3] any-run-failed nightly` (the
   * Alertmanager subject: status, count of alerts not resolved, rule and group label
   * values), `[RESOLVED] …`, `nightly succeeded in 4m12s`, `nightly is due at …`.
   */
  subject: string;
  /** One sentence saying what happened and why this message is sent. */
  headline: string;
  /** Whether every alert of the group is resolved (the message announces an end). */
  resolved: boolean;
  /** At most {@link MAX_SECTIONS}. */
  sections: RenderedSection[];
  /** Sections left out past {@link MAX_SECTIONS}. */
  omitted: number;
  /** The dashboard's base URL (the channel's `publicUrl`); items link to themselves. */
  url?: string;
  /** The plain-text body: headline, sections, link. */
  text: string;
}

/**
 * Most sections a message lists. Slack refuses a message of more than 50 blocks, and a mail
 * listing hundreds of alerts is read by nobody; the rest are counted ("and 12 more").
 */
export const MAX_SECTIONS = 20;

/** Longest subject, characters; longer ones end in `…`. */
const MAX_SUBJECT = 200;

const REASONS: Record<NotificationReason, string> = {
  new: '',
  update: ' (updated)',
  repeat: ' (reminder: not acknowledged yet)',
  escalation: '',
  refire: ' (acknowledged but not resolved in time)',
  resolved: '',
  test: ' (test message)',
};

/**
 * Reads a notification for people.
 * @param options.publicUrl - the dashboard's base URL, linked at the end of the message.
 */
export function renderText(n: Notification, options: { publicUrl?: string } = {}): RenderedNotification {
  const body = n.type === 'alert' ? renderAlerts(n) : n.type === 'run-report' ? renderReport(n) : renderUpcoming(n);
  const url = options.publicUrl;
  const all = body.sections;
  const sections = all.slice(0, MAX_SECTIONS);
  const rendered: Omit<RenderedNotification, 'text'> = {
    subject: oneLine(body.subject, MAX_SUBJECT),
    headline: oneLine(body.headline, 1000),
    resolved: body.resolved,
    sections,
    omitted: all.length - sections.length,
    ...(url !== undefined ? { url } : {}),
  };
  return { ...rendered, text: plainText(rendered) };
}

/**
 * A duration for people: `850ms`, `12s`, `4m12s`, `2h5m`. Seconds are dropped past an hour.
 * @param ms - milliseconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m`;
  return m > 0 ? `${m}m${sec}s` : `${sec}s`;
}

/** Text on one line (newlines and runs of blanks become one space), at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

type Body = Pick<RenderedNotification, 'subject' | 'headline' | 'resolved' | 'sections'>;

function renderAlerts(n: AlertNotification): Body {
  const open = n.alerts.filter((a) => a.state !== 'resolved').length;
  const resolved = n.status === 'resolved';
  const rules = [...new Set(n.alerts.map((a) => a.rule))];
  const labels = Object.keys(n.group.labels).sort().map((k) => n.group.labels[k] ?? '');
  const name = [...new Set([...rules, ...labels])].filter((s) => s !== '').join(' ');
  const subject = `${resolved ? '[RESOLVED]' : `[FIRING:${open}]`} ${name}`;
  const escalation = n.reason === 'escalation' && n.escalation ? ` (escalation level ${n.escalation.level + 1})` : '';
  const headline = resolved
    ? `Resolved: ${plural(n.alerts.length, 'alert')} of ${name}.`
    : `${plural(open, 'alert')} firing for ${name}${REASONS[n.reason]}${escalation}.`;
  return { subject: subject + (n.reason === 'test' ? ' (test)' : ''), headline, resolved, sections: n.alerts.map(alertSection) };
}

function alertSection(a: NotifiedAlert): RenderedSection {
  const s = a.subject;
  const fields = compact([
    ['Rule', a.rule === a.kind ? a.rule : `${a.rule} (${a.kind})`],
    ['State', a.state],
    ['Severity', a.severity],
    ['Workflow', s.workflow],
    ['Run', s.runId],
    ['Step', s.stepId],
    ['Worker', s.worker],
    ['Schedule', s.schedule],
    ['Pool', s.pool],
    ['Channel', s.channel],
    ['Fired', a.firedAt],
    ['Acknowledged', a.acknowledgedAt === undefined ? undefined : a.acknowledgedAt + (a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : '')],
    ['Resolved', a.resolvedAt],
  ]);
  return { title: oneLine(a.summary, 500), fields, ...(a.url !== undefined ? { url: a.url } : {}) };
}

const ENDINGS: Record<RunReportNotification['state'], string> = { succeeded: 'succeeded in', failed: 'failed after', cancelled: 'was cancelled after' };

function renderReport(n: RunReportNotification): Body {
  const took = formatDuration(n.durationMs);
  const subject = `${n.workflow} ${ENDINGS[n.state]} ${took}`;
  const failed = n.failedSteps.length ? `; ${plural(n.failedSteps.length, 'step')} failed` : '';
  const run: RenderedSection = {
    title: `Run ${n.runId} of ${n.workflow}`,
    fields: compact([['Workflow', n.workflow], ['Run', n.runId], ['State', n.state], ['Duration', took]]),
    ...(n.url !== undefined ? { url: n.url } : {}),
  };
  const steps = n.failedSteps.map((f): RenderedSection => ({ title: `Step ${f.id} failed`, fields: compact([['Step', f.id], ['Error', f.error && oneLine(f.error, 500)]]) }));
  return { subject, headline: `Run ${n.runId} of ${n.workflow} ${ENDINGS[n.state]} ${took}${failed}.`, resolved: false, sections: [run, ...steps] };
}

function renderUpcoming(n: RunUpcomingNotification): Body {
  return {
    subject: `${n.workflow} is due at ${n.scheduledFor}`,
    headline: `Schedule ${n.schedule} starts a run of ${n.workflow} at ${n.scheduledFor}.`,
    resolved: false,
    sections: [{
      title: `Upcoming run of ${n.workflow}`,
      fields: compact([['Workflow', n.workflow], ['Schedule', n.schedule], ['Due', n.scheduledFor]]),
      ...(n.url !== undefined ? { url: n.url } : {}),
    }],
  };
}

function plainText(r: Omit<RenderedNotification, 'text'>): string {
  const lines = [r.headline, ''];
  for (const s of r.sections) {
    lines.push(`- ${s.title}`);
    for (const f of s.fields) lines.push(`  ${f.label}: ${f.value}`);
    if (s.url !== undefined) lines.push(`  Link: ${s.url}`);
    lines.push('');
  }
  if (r.omitted > 0) lines.push(`… and ${r.omitted} more.`, '');
  if (r.url !== undefined) lines.push(`Dashboard: ${r.url}`);
  return lines.join('\n').trimEnd() + '\n';
}

function compact(pairs: [string, string | undefined][]): RenderedField[] {
  return pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '').map(([label, value]) => ({ label, value }));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
