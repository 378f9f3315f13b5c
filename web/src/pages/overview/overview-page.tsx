/**
 * @module web/pages/overview
 * What is happening now: active runs with progress and elapsed time, runs per hour (or day)
 * succeeded and failed, the load forecast of the next 24 hours, the queue by pool and priority, workers and their load, open
 * alerts and the next scheduled runs. Every panel reads a react-query hook kept fresh by
 * the live feed.
 */
import { useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useAlerts, useHistory, useQueue, useRun, useRuns, useSchedules, useWorkers } from '../../api/hooks.js';
import type { Run } from '../../api/types.js';
import { runProgress } from '../../api/map.js';
import { ErrorNote, Progress, StateBadge } from '../../components/common.js';
import { RunsChart } from '../../components/runs-chart.js';
import { Time, formatDuration, useNow } from '../../lib/time.js';
import { ForecastPanel } from './forecast-panel.js';

/** The overview page. */
export function OverviewPage(): ReactNode {
  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <ActiveRuns />
        <History />
        <ForecastPanel />
        <QueuePanel />
        <WorkersPanel />
        <AlertsPanel />
        <SchedulesPanel />
      </div>
    </>
  );
}

function ActiveRuns(): ReactNode {
  const runs = useRuns({ state: 'running,queued' }, 50);
  const now = useNow();
  const list = runs.data ?? [];
  return (
    <section className="panel wide" aria-labelledby="active-h">
      <h2 id="active-h">Active runs {runs.data && <span className="muted">({list.length}{list.length === 50 ? '+' : ''})</span>}</h2>
      <ErrorNote error={runs.error} />
      {runs.data && !list.length && <p className="muted">No run is running or queued.</p>}
      {list.length > 0 && (
        <div className="scroll-x">
          <table>
            <thead><tr><th>Run</th><th>Workflow</th><th>State</th><th>Progress</th><th>Elapsed</th><th>Started</th></tr></thead>
            <tbody>{list.slice(0, 20).map((r) => <ActiveRow key={r.id} run={r} now={now} />)}</tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** One active run; its progress comes from its detail (kept live by step events). */
function ActiveRow({ run, now }: { run: Run; now: number }): ReactNode {
  const detail = useRun(run.id);
  const steps = detail.data?.steps;
  // Steps of the definition: a mapped step's items are not steps.
  const progress = steps ? runProgress(steps).steps : undefined;
  const r = detail.data?.run ?? run;
  return (
    <tr>
      <td><Link to={`/runs/${encodeURIComponent(r.id)}`} className="mono">{r.id}</Link></td>
      <td>{r.workflow}</td>
      <td><StateBadge state={r.pausedAt !== undefined ? 'paused' : r.state} /></td>
      <td><Progress done={progress?.done ?? 0} total={progress?.total ?? r.stepCount} /></td>
      <td className="mono">{formatDuration(now - (r.startedAt ?? r.createdAt))}</td>
      <td><Time ms={r.startedAt ?? r.createdAt} short /></td>
    </tr>
  );
}

const WINDOWS = ['24h', '7d', '30d'] as const;

function History(): ReactNode {
  const [since, setSince] = useState<(typeof WINDOWS)[number]>('24h');
  const history = useHistory(since);
  const per = since === '30d' ? 'day' : 'hour';
  const totals = history.data?.buckets.reduce((t, b) => ({ ok: t.ok + b.succeeded, bad: t.bad + b.failed }), { ok: 0, bad: 0 });
  return (
    <section className="panel wide" aria-labelledby="history-h">
      <div className="row">
        <h2 id="history-h">Runs per {per}</h2>
        <span className="spacer" />
        <div className="tabs" role="group" aria-label="Window">
          {WINDOWS.map((w) => <button key={w} type="button" aria-pressed={since === w} onClick={() => setSince(w)}>{w}</button>)}
        </div>
      </div>
      <ErrorNote error={history.error} />
      {totals && <p className="muted">{totals.ok} succeeded, {totals.bad} failed in the last {since}</p>}
      {history.data && <RunsChart history={history.data} label={`Runs per ${per}, last ${since}`} />}
    </section>
  );
}

function QueuePanel(): ReactNode {
  const queue = useQueue();
  return (
    <section className="panel" aria-labelledby="queue-h">
      <h2 id="queue-h">Queue {queue.data && <span className="muted">({queue.data.queued} queued)</span>}</h2>
      <ErrorNote error={queue.error} />
      {queue.data && !queue.data.groups.length && <p className="muted">Nothing is waiting.</p>}
      {queue.data && queue.data.groups.length > 0 && (
        <table>
          <thead><tr><th>Pool</th><th>Priority</th><th>Waiting</th><th>Oldest</th></tr></thead>
          <tbody>
            {queue.data.groups.map((g) => (
              <tr key={`${g.pool}\u0000${g.priority}`}>
                <td>{g.pool || <span className="muted">none</span>}</td>
                <td className="mono">{g.priority}</td>
                <td className="mono">{g.count}</td>
                <td className="mono" title="how long the longest-waiting step run has waited">{formatDuration(g.oldestAgeMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function WorkersPanel(): ReactNode {
  const workers = useWorkers();
  const list = workers.data ?? [];
  return (
    <section className="panel" aria-labelledby="workers-h">
      <h2 id="workers-h">Workers</h2>
      <ErrorNote error={workers.error} />
      {workers.data && !list.length && <p className="muted">No fleet workers: this server runs steps itself (SQLite).</p>}
      {list.length > 0 && (
        <div className="scroll-x">
          <table>
            <thead><tr><th>Worker</th><th>State</th><th>Slots</th><th>CPU</th><th>Memory</th><th>Heartbeat</th></tr></thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id}>
                  <td title={w.tags.join(', ')}>{w.host}<span className="muted">:{w.pid}</span></td>
                  <td><StateBadge state={w.state} /></td>
                  <td className="mono">{w.load ? `${w.load.slotsInUse}/${w.slots}` : `–/${w.slots}`}</td>
                  <td className="mono">{w.load ? `${Math.round(w.load.cpu * 100)}%` : '—'}</td>
                  <td className="mono">{w.load ? `${Math.round(w.load.mem * 100)}%` : '—'}</td>
                  <td className="mono">{formatDuration(w.heartbeatAgeMs)} ago</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AlertsPanel(): ReactNode {
  const alerts = useAlerts('open');
  const list = alerts.data ?? [];
  return (
    <section className="panel" aria-labelledby="alerts-h">
      <h2 id="alerts-h">Open alerts {alerts.data && <span className="muted">({list.length})</span>}</h2>
      <ErrorNote error={alerts.error} />
      {alerts.data && !list.length && <p className="muted">No open alert.</p>}
      {list.length > 0 && (
        <ul className="plain">
          {list.slice(0, 10).map((a) => (
            <li key={a.id}>
              <StateBadge state={a.state} /> <strong>{a.severity}</strong> <Link to={`/alerts?alert=${encodeURIComponent(a.id)}`}>{a.summary}</Link>{' '}
              <span className="muted"><Time ms={a.firedAt} short /></span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SchedulesPanel(): ReactNode {
  const schedules = useSchedules();
  const next = useMemo(() => (schedules.data ?? [])
    .flatMap((s) => s.nextFireTimes.map((at) => ({ at, id: s.id, workflow: s.workflow })))
    .sort((a, b) => a.at - b.at)
    .slice(0, 10), [schedules.data]);
  return (
    <section className="panel" aria-labelledby="sched-h">
      <h2 id="sched-h">Next scheduled runs</h2>
      <ErrorNote error={schedules.error} />
      {schedules.data && !next.length && <p className="muted">No active schedule.</p>}
      {next.length > 0 && (
        <table>
          <thead><tr><th>When</th><th>Workflow</th><th>Schedule</th></tr></thead>
          <tbody>{next.map((n) => <tr key={`${n.id}@${n.at}`}><td><Time ms={n.at} short /></td><td>{n.workflow}</td><td className="mono">{n.id}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}
