import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml } from './html.js';
import { formatDuration, MAX_SECTIONS, renderText } from './render.js';
import { slackBody } from './slack.js';
import type { AlertNotification, NotifiedAlert, RunReportNotification } from './types.js';

const alert = (i: number, over: Partial<NotifiedAlert> = {}): NotifiedAlert => ({
  id: `al_${i}`, rule: 'slow-load', kind: 'step-duration', state: 'firing', severity: 'warning',
  summary: `step load of run r-${i} is slow`, subject: { workflow: 'etl', runId: `r-${i}`, stepId: 'load' },
  labels: { workflow: 'etl' }, firedAt: '2025-03-01T00:00:00.000Z', ...over,
});
const group = (alerts: NotifiedAlert[], over: Partial<AlertNotification> = {}): AlertNotification => ({
  version: 1, type: 'alert', status: 'firing', reason: 'new', group: { key: 'k', labels: { workflow: 'etl' } }, alerts, sentAt: '2025-03-01T00:00:00.000Z', ...over,
});

describe('renderText', () => {
  it('counts only unresolved alerts in the FIRING subject, as Alertmanager does', () => {
    const r = renderText(group([alert(1), alert(2, { state: 'resolved' }), alert(3, { state: 'acknowledged' })]));
    expect(r.subject).toBe('[FIRING:2] slow-load etl');
    expect(r.headline).toBe('2 alerts firing for slow-load etl.');
    expect(r.resolved).toBe(false);
  });

  it('says why a message is sent: reminder, escalation level, refire, test', () => {
    expect(renderText(group([alert(1)], { reason: 'repeat' })).headline).toBe('1 alert firing for slow-load etl (reminder: not acknowledged yet).');
    expect(renderText(group([alert(1)], { reason: 'escalation', escalation: { level: 1, round: 0 } })).headline).toBe('1 alert firing for slow-load etl (escalation level 2).');
    expect(renderText(group([alert(1)], { reason: 'refire' })).headline).toContain('acknowledged but not resolved in time');
    expect(renderText(group([alert(1)], { reason: 'test' })).subject).toBe('[FIRING:1] slow-load etl (test)');
  });

  it('lists at most MAX_SECTIONS alerts and counts the rest', () => {
    const r = renderText(group(Array.from({ length: 25 }, (_, i) => alert(i))), { publicUrl: 'https://b.example' });
    expect(r.sections).toHaveLength(MAX_SECTIONS);
    expect(r.omitted).toBe(5);
    expect(r.text).toContain('… and 5 more.');
    expect(r.text).toContain('Dashboard: https://b.example');
    const slack = slackBody(r);
    expect(slack.blocks.length).toBeLessThanOrEqual(50);
  });

  it('reads a failed run report with its failed steps', () => {
    const n: RunReportNotification = {
      version: 1, type: 'run-report', workflow: 'etl', runId: 'r-9', state: 'failed', durationMs: 63_400,
      failedSteps: [{ id: 'load', error: 'exited with code 1\nsecond line' }], sentAt: '2025-03-01T00:00:00.000Z',
    };
    const r = renderText(n);
    expect(r.subject).toBe('etl failed after 1m3s');
    expect(r.headline).toBe('Run r-9 of etl failed after 1m3s; 1 step failed.');
    expect(r.sections[1]).toEqual({ title: 'Step load failed', fields: [{ label: 'Step', value: 'load' }, { label: 'Error', value: 'exited with code 1 second line' }] });
  });

  it('keeps subjects on one line', () => {
    const r = renderText(group([alert(1)], { group: { key: 'k', labels: { workflow: 'a\r\nBcc: x@evil.example' } } }));
    expect(r.subject).toBe('[FIRING:1] slow-load a Bcc: x@evil.example');
  });
});

describe('formatDuration', () => {
  it('reads ms, s, m+s, h+m', () => {
    expect([850, 12_000, 252_000, 7_500_000, -1].map(formatDuration)).toEqual(['850ms', '12s', '4m12s', '2h5m', '?']);
  });
});

describe('renderHtml', () => {
  it('escapes text and links only http(s) URLs', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const html = renderHtml(renderText(group([alert(1, { url: 'javascript:alert(1)' }), alert(2, { url: 'https://b.example/r?a=1&b="2"' })])));
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<a href="https://b.example/r?a=1&amp;b=&quot;2&quot;">');
  });
});
