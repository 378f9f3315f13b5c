/**
 * @module web/pages/alerts
 * Alerts by state (firing, acknowledged, silenced, resolved), one alert's history and
 * delivery history, and — for operators — acknowledge, resolve and silence with a note.
 * The selected alert is in the URL (`?alert=`), so it can be linked.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useAlert, useAlertAction, useAlerts, useSilences } from '../../api/hooks.js';
import { useSession } from '../../api/session.js';
import type { Alert } from '../../api/types.js';
import { roleAllows } from '../../api/types.js';
import { ConfirmDialog, ErrorNote, StateBadge } from '../../components/common.js';
import { Time } from '../../lib/time.js';
import { jsonText } from '../../lib/text.js';

const TABS = [
  { id: 'open', label: 'Open' },
  { id: 'firing', label: 'Firing' },
  { id: 'acknowledged', label: 'Acknowledged' },
  { id: 'silenced', label: 'Silenced' },
  { id: 'resolved', label: 'Resolved' },
] as const;

/** The alerts page. */
export function AlertsPage(): ReactNode {
  const [sp, setSp] = useSearchParams();
  const tab = TABS.find((t) => t.id === sp.get('state'))?.id ?? 'open';
  const selected = sp.get('alert') ?? undefined;
  const alerts = useAlerts(tab);
  const set = (k: string, v: string | undefined): void => {
    const next = new URLSearchParams(sp);
    if (v === undefined) next.delete(k);
    else next.set(k, v);
    setSp(next, { replace: true });
  };
  return (
    <>
      <h1>Alerts</h1>
      <div className="tabs" role="group" aria-label="Alert state">
        {TABS.map((t) => <button key={t.id} type="button" aria-pressed={tab === t.id} onClick={() => set('state', t.id)}>{t.label}</button>)}
      </div>
      <div className="run-layout">
        <section className="panel" aria-label="Alerts">
          <ErrorNote error={alerts.error} />
          {alerts.data && !alerts.data.length && <p className="muted">No {tab === 'open' ? 'open' : tab} alert.</p>}
          {alerts.data && alerts.data.length > 0 && (
            <div className="scroll-x">
              <table>
                <thead><tr><th>State</th><th>Severity</th><th>Summary</th><th>Rule</th><th>Fired</th><th>Seen</th></tr></thead>
                <tbody>
                  {alerts.data.map((a) => (
                    <tr key={a.id} aria-selected={a.id === selected}>
                      <td><StateBadge state={a.state} /></td>
                      <td>{a.severity}</td>
                      <td><button type="button" className="link" onClick={() => set('alert', a.id)}>{a.summary}</button></td>
                      <td>{a.rule}</td>
                      <td><Time ms={a.firedAt} short /></td>
                      <td className="mono">{a.count}×</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        {selected ? <AlertDetail id={selected} /> : <Silences />}
      </div>
    </>
  );
}

function AlertDetail({ id }: { id: string }): ReactNode {
  const q = useAlert(id);
  if (q.error) return <section className="panel"><ErrorNote error={q.error} /></section>;
  if (!q.data) return <section className="panel"><p className="muted" role="status">Loading alert…</p></section>;
  const { alert, events, deliveries } = q.data;
  // The run an alert is about: its subject names it for run rules, its details for others.
  const detailRun = alert.details?.runId;
  const runId = alert.subject.run ?? (typeof detailRun === 'string' ? detailRun : undefined);
  return (
    <section className="panel" aria-labelledby="alert-h" data-testid="alert-detail">
      <div className="row">
        <h2 id="alert-h">{alert.summary}</h2>
        <StateBadge state={alert.state} />
      </div>
      <AlertActions alert={alert} />
      <dl className="kv">
        <dt>Rule</dt><dd>{alert.rule} <span className="muted">({alert.kind})</span></dd>
        <dt>Severity</dt><dd>{alert.severity}</dd>
        <dt>Fired</dt><dd><Time ms={alert.firedAt} /></dd>
        {alert.acknowledgedAt !== undefined && <><dt>Acknowledged</dt><dd><Time ms={alert.acknowledgedAt} /> by {alert.acknowledgedBy}</dd></>}
        {alert.resolvedAt !== undefined && <><dt>Resolved</dt><dd><Time ms={alert.resolvedAt} /> by {alert.resolvedBy ?? 'the rule'}</dd></>}
        <dt>Subject</dt><dd className="mono">{Object.entries(alert.subject).map(([k, v]) => `${k}=${v}`).join(' ')}</dd>
        {runId && <><dt>Run</dt><dd><Link to={`/runs/${encodeURIComponent(runId)}`}>{runId}</Link></dd></>}
        <dt>Labels</dt><dd className="mono">{Object.entries(alert.labels).map(([k, v]) => `${k}=${v}`).join(' ')}</dd>
      </dl>
      {alert.details && <><h3>Details</h3><pre>{jsonText(alert.details)}</pre></>}
      <h3>History</h3>
      <table>
        <thead><tr><th>When</th><th>What</th><th>Who</th><th>Note</th></tr></thead>
        <tbody>{events.map((e) => <tr key={e.seq}><td><Time ms={e.at} short /></td><td>{e.type}</td><td>{e.actor}</td><td>{e.note}</td></tr>)}</tbody>
      </table>
      <h3>Deliveries</h3>
      {!deliveries.length && <p className="muted">No notification was sent for it.</p>}
      {deliveries.length > 0 && (
        <div className="scroll-x">
          <table data-testid="deliveries">
            <thead><tr><th>Channel</th><th>Reason</th><th>State</th><th>Tries</th><th>Status</th><th>Delivered</th><th>Error</th></tr></thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{d.channel}</td><td>{d.reason}</td><td><StateBadge state={d.state === 'delivered' ? 'succeeded' : d.state === 'failed' ? 'failed' : 'pending'} /> {d.state}</td>
                  <td className="mono">{d.attempts}</td><td className="mono">{d.statusCode ?? '—'}</td><td><Time ms={d.deliveredAt} short /></td><td className="error">{d.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const DURATIONS = ['30m', '1h', '2h', '8h', '24h', '7d'];

/** Acknowledge, resolve and silence buttons (operator and up). */
function AlertActions({ alert }: { alert: Alert }): ReactNode {
  const can = roleAllows(useSession().session?.role, 'operator');
  const act = useAlertAction(alert.id);
  const [open, setOpen] = useState<'ack' | 'resolve' | 'silence'>();
  const [duration, setDuration] = useState('2h');
  const labels = Object.entries(alert.labels);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(labels.filter(([k]) => k === 'rule' || k === 'workflow').map(([k]) => k)));
  if (!can || alert.state === 'resolved') return null;
  return (
    <div className="row actions" role="group" aria-label="Alert actions" data-testid="alert-actions">
      {alert.state === 'firing' && <button type="button" onClick={() => setOpen('ack')}>Acknowledge…</button>}
      <button type="button" onClick={() => setOpen('silence')}>Silence…</button>
      <button type="button" onClick={() => setOpen('resolve')}>Resolve…</button>
      {open === 'ack' && <ConfirmDialog title="Acknowledge this alert?" confirm="Acknowledge" noteLabel="Note" onClose={() => setOpen(undefined)} onConfirm={(note) => act.mutateAsync({ kind: 'ack', ...(note ? { note } : {}) })} />}
      {open === 'resolve' && <ConfirmDialog title="Resolve this alert by hand?" confirm="Resolve" noteLabel="Note" onClose={() => setOpen(undefined)} onConfirm={(note) => act.mutateAsync({ kind: 'resolve', ...(note ? { note } : {}) })} />}
      {open === 'silence' && (
        <ConfirmDialog
          title="Silence alerts like this one"
          confirm="Silence"
          noteLabel="Comment"
          onClose={() => setOpen(undefined)}
          onConfirm={(comment) => {
            const matchers = labels.filter(([k]) => chosen.has(k)).map(([name, value]) => ({ name, value }));
            if (!matchers.length) return Promise.reject(new Error('choose at least one label to match'));
            return act.mutateAsync({ kind: 'silence', matchers, duration, ...(comment ? { comment } : {}) });
          }}
        >
          <fieldset>
            <legend>Match alerts whose labels equal</legend>
            {labels.map(([k, v]) => (
              <label key={k} className="row">
                <input type="checkbox" checked={chosen.has(k)} onChange={(e) => setChosen((old) => {
                  const next = new Set(old);
                  if (e.target.checked) next.add(k);
                  else next.delete(k);
                  return next;
                })} />
                <span className="mono">{k}={v}</span>
              </label>
            ))}
          </fieldset>
          <label>
            For
            <select value={duration} onChange={(e) => setDuration(e.target.value)}>{DURATIONS.map((d) => <option key={d} value={d}>{d}</option>)}</select>
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}

function Silences(): ReactNode {
  const silences = useSilences();
  return (
    <section className="panel" aria-labelledby="silences-h">
      <h2 id="silences-h">Silences</h2>
      <ErrorNote error={silences.error} />
      {silences.data && !silences.data.length && <p className="muted">No silence in effect. Select an alert to see its history and deliveries.</p>}
      {silences.data && silences.data.length > 0 && (
        <table>
          <thead><tr><th>Matchers</th><th>Until</th><th>By</th><th>Comment</th></tr></thead>
          <tbody>
            {silences.data.map((s) => (
              <tr key={s.id}>
                <td className="mono">{s.matchers.map((m) => `${m.name}${m.glob ? '~' : '='}${m.value}`).join(' ')}</td>
                <td><Time ms={s.endsAt} short /></td><td>{s.createdBy}</td><td>{s.comment}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
