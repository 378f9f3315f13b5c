/**
 * @module web/pages/workers
 * Fleet workers (PostgreSQL): state, platform and tags (given and detected), the machine
 * (architecture, CPUs, memory), slots and load, version, and the
 * age of the last heartbeat, ticking in the page between reads; operators drain a worker
 * behind a confirmation. Heartbeats are not events of the live feed, so this page alone
 * reads the list again every {@link REFRESH_MS}, and only while it is open. On SQLite
 * there is no fleet and the list is empty. Loaded on demand.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/hooks.js';
import { useSession } from '../../api/session.js';
import type { Worker } from '../../api/types.js';
import { roleAllows } from '../../api/types.js';
import { ConfirmDialog, ErrorNote } from '../../components/common.js';
import { Time, formatBytes, formatDuration, useNow, utcText } from '../../lib/time.js';
import '../../components/forms.css';
import './workers.css';

/** How often the page reads the workers again, ms: heartbeats do not reach the live feed. */
export const REFRESH_MS = 10_000;

/** The workers, read again every {@link REFRESH_MS} while mounted (and not while the tab is hidden). */
function useWorkerList(): UseQueryResult<Worker[]> {
  return useQuery({
    queryKey: keys.workers,
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/workers', { signal }))).workers,
    refetchInterval: REFRESH_MS,
    staleTime: 0,
  });
}

/** Drains a worker: it claims nothing new and exits once idle. */
function useDrain(): UseMutationResult<unknown, Error, string> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST('/api/v1/workers/{id}/drain', { params: { path: { id } } })),
    onSettled: async () => {
      await queries.invalidateQueries({ queryKey: keys.workers });
    },
  });
}

const STATE_CLASS: Record<Worker['state'], string> = { active: 'succeeded', draining: 'retrying', stopped: 'cancelled', lost: 'failed' };

/** The workers page (default export: loaded with `React.lazy`). */
export default function WorkersPage(): ReactNode {
  const q = useWorkerList();
  const now = useNow(1000);
  const can = roleAllows(useSession().session?.role, 'operator');
  const drain = useDrain();
  const [asking, setAsking] = useState<Worker>();
  const list = q.data ?? [];
  // ages grow between reads by the time since the answer came
  const since = q.dataUpdatedAt ? Math.max(0, now - q.dataUpdatedAt) : 0;
  const count = (s: Worker['state']): number => list.filter((w) => w.state === s).length;
  return (
    <>
      <h1>Workers</h1>
      <ErrorNote error={q.error} />
      {q.isPending && <p className="muted" role="status">Loading workers…</p>}
      {q.data && !list.length && (
        <p className="note" data-testid="no-fleet">
          No fleet worker: this server runs without a fleet (on SQLite its own engine executes every run), or no <code>baton worker</code> has joined its PostgreSQL database yet.
        </p>
      )}
      {list.length > 0 && (
        <section className="panel" aria-label="Workers">
          <p className="muted" role="status">
            {count('active')} active, {count('draining')} draining, {count('lost')} lost, {count('stopped')} stopped; read <Time ms={q.dataUpdatedAt} />, again every {REFRESH_MS / 1000} s.
          </p>
          <div className="scroll-x">
            <table data-testid="workers">
              <thead><tr><th>Worker</th><th>State</th><th>Platform and tags</th><th>Machine</th><th>Slots in use</th><th>CPU</th><th>Memory</th><th>Last heartbeat</th><th>Started</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {list.map((w) => {
                  // a lost or stopped worker's last load is history, not what it holds now
                  const load = w.state === 'active' || w.state === 'draining' ? w.load : undefined;
                  const age = w.heartbeatAgeMs + since;
                  const late = w.leaseMs !== undefined && w.state === 'active' && age > w.leaseMs / 2;
                  return (
                    <tr key={w.id} data-worker={w.id}>
                      <td><span className="mono">{w.id}</span><br /><span className="muted">{w.host} pid {w.pid}, v{w.version}</span></td>
                      <td><span className={`state s-${STATE_CLASS[w.state]}`}>{w.state}</span>{load?.throttled && <span className="muted"> (busy: claims nothing)</span>}</td>
                      <td><span className="tag">{w.platform}</span>{w.tags.map((t) => <span key={t} className="tag">{t}</span>)}</td>
                      <td data-testid="machine">{w.facts ? <span className="mono">{w.facts.arch}, {w.facts.cpus} CPUs, {formatBytes(w.facts.memoryBytes)}</span> : <span className="muted">—</span>}</td>
                      <td>
                        {load ? (
                          <span className="row">
                            <span className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={w.slots} aria-valuenow={load.slotsInUse} aria-label={`slots in use of ${w.id}`}>
                              <span style={{ width: `${w.slots ? Math.round((load.slotsInUse / w.slots) * 100) : 0}%` }} />
                            </span>
                            <span className="mono">{load.slotsInUse}/{w.slots}</span>
                          </span>
                        ) : <span className="mono muted">—/{w.slots}</span>}
                        {load?.limit !== undefined && load.limit < w.slots && (
                          <span className="muted" data-testid="throttle"><br />limit {load.limit} of {w.slots}{load.limitReason ? `: ${load.limitReason}` : ''}</span>
                        )}
                      </td>
                      <td className="mono">{load ? `${Math.round(load.cpu * 100)}%` : '—'}</td>
                      <td className="mono">{load ? formatBytes(load.mem) : '—'}</td>
                      <td className={late ? 'error' : undefined}><span title={`at ${utcText(w.heartbeatAt)}${w.leaseMs ? `; lost after ${formatDuration(w.leaseMs)} without one` : ''}`}>{formatDuration(age)} ago</span></td>
                      <td><Time ms={w.startedAt} short /></td>
                      <td>{can && w.state === 'active' && <button type="button" onClick={() => setAsking(w)}>Drain…</button>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {asking && (
        <ConfirmDialog
          title={`Drain worker ${asking.id}? It claims nothing new, finishes what it runs, then exits.`}
          confirm="Drain worker"
          danger
          onClose={() => setAsking(undefined)}
          onConfirm={() => drain.mutateAsync(asking.id)}
        />
      )}
    </>
  );
}
