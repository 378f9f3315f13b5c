/**
 * @module web/pages/schedules
 * Schedules: each one's cron and next fire times in its own time zone (with the browser's
 * time beside, UTC on hover), its last runs with their outcome, and — for operators —
 * pause and resume behind a confirmation. Nothing polls: the list is read again when the
 * earliest next fire time has passed (its tick moves every next time on), after a pause or
 * resume, and when the live feed reconnects. Loaded on demand.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { UseMutationResult } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.js';
import { keys, useRuns, useSchedules } from '../../api/hooks.js';
import { useSession } from '../../api/session.js';
import type { Run, Schedule } from '../../api/types.js';
import { roleAllows } from '../../api/types.js';
import { ConfirmDialog, ErrorNote, StateBadge } from '../../components/common.js';
import { paramsText } from '../../lib/text.js';
import { Time } from '../../lib/time.js';
import '../../components/forms.css';
import './schedules.css';

/** What the page reads of a schedule's `spec` (typed `unknown` by the API). */
interface ScheduleSpecView {
  name: string;
  cron: string;
  timezone: string;
  params: Record<string, unknown>;
  misfire: string;
  overlap: string;
  enabled: boolean;
}

function specOf(s: Schedule): ScheduleSpecView {
  const o = (s.spec !== null && typeof s.spec === 'object' ? s.spec : {}) as Record<string, unknown>;
  const str = (k: string, d: string): string => (typeof o[k] === 'string' ? o[k] : d);
  return {
    name: str('name', s.id.split('/').slice(1).join('/') || 'default'),
    cron: str('cron', ''), timezone: str('timezone', 'UTC'), misfire: str('misfire', ''), overlap: str('overlap', ''),
    params: o.params !== null && typeof o.params === 'object' && !Array.isArray(o.params) ? (o.params as Record<string, unknown>) : {},
    enabled: o.enabled !== false,
  };
}

const zoned = new Map<string, Intl.DateTimeFormat>();

/** `ms` as text in time zone `tz` (its own clock), e.g. `Thu, Dec 04, 02:00`; with seconds for a 6-field cron. */
export function zonedText(ms: number, tz: string, seconds = false): string {
  const key = `${tz}|${seconds}`;
  let f = zoned.get(key);
  if (!f) {
    const o: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) };
    try {
      f = new Intl.DateTimeFormat(undefined, { ...o, timeZone: tz });
    } catch {
      f = new Intl.DateTimeFormat(undefined, { ...o, timeZone: 'UTC' });
    }
    zoned.set(key, f);
  }
  return f.format(new Date(ms));
}

/** A pause or resume of one schedule. */
interface ScheduleAction {
  workflow: string;
  name: string;
  action: 'pause' | 'resume';
}

/** Pauses or resumes one schedule (`POST /schedules/{workflow}/{name}/pause|resume`). */
function useScheduleAction(): UseMutationResult<unknown, Error, ScheduleAction> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ workflow, name, action }: ScheduleAction) => {
      const path = { params: { path: { workflow, name } } };
      return action === 'pause'
        ? unwrap(api.POST('/api/v1/schedules/{workflow}/{name}/pause', path))
        : unwrap(api.POST('/api/v1/schedules/{workflow}/{name}/resume', path));
    },
    onSettled: async () => {
      await queries.invalidateQueries({ queryKey: keys.schedules });
    },
  });
}

/** Reads the schedules again once the earliest next fire time has passed. */
function useRefreshAtNextTick(schedules: Schedule[] | undefined): void {
  const queries = useQueryClient();
  const next = useMemo(() => Math.min(...(schedules ?? []).flatMap((s) => s.nextFireTimes.slice(0, 1))), [schedules]);
  useEffect(() => {
    if (!Number.isFinite(next)) return undefined;
    // a timer longer than 2^31-1 ms fires at once: cap it, and read again when it fires
    const t = setTimeout(() => void queries.invalidateQueries({ queryKey: keys.schedules }), Math.min(Math.max(0, next - Date.now()) + 2_000, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [next, queries]);
}

/** The schedules page (default export: loaded with `React.lazy`). */
export default function SchedulesPage(): ReactNode {
  const schedules = useSchedules();
  useRefreshAtNextTick(schedules.data);
  const byWorkflow = useMemo(() => {
    const m = new Map<string, Schedule[]>();
    for (const s of schedules.data ?? []) m.set(s.workflow, [...(m.get(s.workflow) ?? []), s]);
    return m;
  }, [schedules.data]);
  return (
    <>
      <h1>Schedules</h1>
      <p className="muted">Next fire times are shown in each schedule&apos;s own time zone, with your time beside them (UTC on hover).</p>
      <ErrorNote error={schedules.error} />
      {schedules.isPending && <p className="muted" role="status">Loading schedules…</p>}
      {schedules.data && !schedules.data.length && <p className="muted">No schedule: a workflow declares them under <code>schedule:</code>, and <code>baton server</code> fires them.</p>}
      {[...byWorkflow].map(([workflow, list]) => <WorkflowSchedules key={workflow} workflow={workflow} schedules={list} />)}
    </>
  );
}

function WorkflowSchedules({ workflow, schedules }: { workflow: string; schedules: Schedule[] }): ReactNode {
  // Backfilled ticks are the schedule's runs too.
  const runs = useRuns({ workflow, trigger: 'schedule,backfill' }, 50);
  return (
    <section className="panel schedule-group" aria-labelledby={`sch-${workflow}`}>
      <h2 id={`sch-${workflow}`}><Link to={`/workflows/${encodeURIComponent(workflow)}`}>{workflow}</Link></h2>
      {schedules.map((s) => <ScheduleCard key={s.id} schedule={s} runs={(runs.data ?? []).filter((r) => r.scheduleId === s.id).slice(0, 5)} runsError={runs.error} />)}
    </section>
  );
}

function ScheduleCard({ schedule: s, runs, runsError }: { schedule: Schedule; runs: Run[]; runsError: unknown }): ReactNode {
  const spec = specOf(s);
  const can = roleAllows(useSession().session?.role, 'operator');
  const act = useScheduleAction();
  const [asking, setAsking] = useState<'pause' | 'resume'>();
  const state = s.paused ? 'paused' : spec.enabled ? 'active' : 'disabled';
  return (
    <article className="schedule" data-testid="schedule" data-schedule={s.id} aria-labelledby={`sch-${s.id}`}>
      <div className="row">
        <h3 id={`sch-${s.id}`} className="mono">{spec.name}</h3>
        <span className={`state s-${s.paused ? 'cancelled' : spec.enabled ? 'succeeded' : 'skipped'}`} data-testid="schedule-state">{state}</span>
        <span className="mono">{spec.cron}</span>
        <span className="muted">in {spec.timezone}</span>
        <span className="spacer" />
        {can && spec.enabled && (s.paused
          ? <button type="button" onClick={() => setAsking('resume')}>Resume…</button>
          : <button type="button" onClick={() => setAsking('pause')}>Pause…</button>)}
      </div>
      <dl className="kv">
        {Object.keys(spec.params).length > 0 && <><dt>Params</dt><dd className="mono">{paramsText(spec.params)}</dd></>}
        <dt>Misfire</dt><dd>{spec.misfire || '—'}</dd>
        <dt>Overlap</dt><dd>{spec.overlap || '—'}</dd>
        <dt>Last tick</dt><dd><Time ms={s.lastTickAt} />{s.lastOutcome ? ` ${s.lastOutcome}` : ''}{s.lastOutcome === 'skipped-backpressure' ? ' (intake refused its run: too many runs waited to start)' : ''}</dd>
      </dl>
      <div className="schedule-cols">
        <div>
          <h4>Next fire times</h4>
          {s.paused && <p className="muted">None while paused.</p>}
          {!s.paused && !s.nextFireTimes.length && <p className="muted">None{spec.enabled ? '' : ': disabled in its file'}.</p>}
          {s.nextFireTimes.length > 0 && (
            <table data-testid="next-fire-times">
              <thead><tr><th>In {spec.timezone}</th><th>Your time</th></tr></thead>
              <tbody>{s.nextFireTimes.map((t) => <tr key={t}><td className="mono">{zonedText(t, spec.timezone, spec.cron.trim().split(/\s+/).length > 5)}</td><td><Time ms={t} /></td></tr>)}</tbody>
            </table>
          )}
        </div>
        <div>
          <h4>Last runs</h4>
          <ErrorNote error={runsError} />
          {!runs.length && !runsError && <p className="muted">No run of this schedule yet.</p>}
          {runs.length > 0 && (
            <table data-testid="schedule-runs">
              <thead><tr><th>Run</th><th>Outcome</th><th>Tick</th></tr></thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td><Link className="mono" to={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link></td>
                    <td><StateBadge state={r.state} />{r.reason && <span className="muted"> {r.reason}</span>}</td>
                    <td><Time ms={r.tickAt ?? r.createdAt} short /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {asking && (
        <ConfirmDialog
          title={asking === 'pause' ? `Pause schedule ${s.id}? No tick fires until it is resumed.` : `Resume schedule ${s.id}? Ticks that fell while paused are not replayed.`}
          confirm={asking === 'pause' ? 'Pause schedule' : 'Resume schedule'}
          onClose={() => setAsking(undefined)}
          onConfirm={() => act.mutateAsync({ workflow: s.workflow, name: spec.name, action: asking })}
        />
      )}
    </article>
  );
}
