/**
 * @module web/pages/workflows
 * Registered workflows (`/workflows`) and one workflow (`/workflows/:name`): its versions,
 * a line diff between two of them, a version's definition as text and its graph, and —
 * for operators — the form that starts a run of it. The version shown and the two
 * compared are in the URL (`?version=`, `?from=&to=`), so a view can be linked. Loaded on
 * demand; the graph (React Flow) loads only when its tab is opened.
 */
import { lazy, Suspense, useMemo } from 'react';
import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useWorkflowVersion, useWorkflows } from '../../api/hooks.js';
import { useSession } from '../../api/session.js';
import { roleAllows } from '../../api/types.js';
import { ErrorNote } from '../../components/common.js';
import { declaredParams } from '../../lib/definition.js';
import { jsonText } from '../../lib/text.js';
import { Time } from '../../lib/time.js';
import { lineDiff } from './diff.js';
import { useWorkflow } from './hooks.js';
import type { WorkflowDetail } from './hooks.js';
import { ParamsForm } from './params-form.js';
import '../../components/forms.css';
import './workflows.css';

const GraphView = lazy(() => import('./graph-view.js'));

/** The workflows page (default export: loaded with `React.lazy`); with a `:name`, that workflow. */
export default function WorkflowsPage(): ReactNode {
  const { name } = useParams();
  return name ? <WorkflowPage name={name} /> : <WorkflowList />;
}

function WorkflowList(): ReactNode {
  const list = useWorkflows();
  return (
    <>
      <h1>Workflows</h1>
      <ErrorNote error={list.error} />
      {list.isPending && <p className="muted" role="status">Loading workflows…</p>}
      {list.data && !list.data.length && <p className="muted">No workflow is registered. Load a folder with <code>baton server --workflows DIR</code>, or POST one to <code>/api/v1/workflows</code>.</p>}
      {list.data && list.data.length > 0 && (
        <section className="panel" aria-label="Workflows">
          <div className="scroll-x">
            <table data-testid="workflows">
              <thead><tr><th>Name</th><th>Versions</th><th>Newest version</th><th>Registered</th></tr></thead>
              <tbody>
                {list.data.map((w) => (
                  <tr key={w.name}>
                    <td><Link to={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link></td>
                    <td className="mono">{w.versions}</td>
                    <td className="mono">{w.latestVersion.slice(0, 12)}</td>
                    <td><Time ms={w.updatedAt} short /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}

const TABS = [
  { id: 'definition', label: 'Definition' },
  { id: 'graph', label: 'Graph' },
  { id: 'diff', label: 'Compare versions' },
  { id: 'run', label: 'Start a run' },
] as const;
type Tab = (typeof TABS)[number]['id'];

function WorkflowPage({ name }: { name: string }): ReactNode {
  const q = useWorkflow(name);
  if (q.error) return <><h1>Workflow {name}</h1><ErrorNote error={q.error} /><p><Link to="/workflows">All workflows</Link></p></>;
  if (!q.data) return <><h1>Workflow {name}</h1><p className="muted" role="status">Loading workflow…</p></>;
  return <WorkflowView detail={q.data} />;
}

function WorkflowView({ detail }: { detail: WorkflowDetail }): ReactNode {
  const [sp, setSp] = useSearchParams();
  const set = (changes: Record<string, string | undefined>): void => {
    const next = new URLSearchParams(sp);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) next.delete(k);
      else next.set(k, v);
    }
    setSp(next, { replace: true });
  };
  const known = new Set(detail.versions.map((v) => v.version));
  const pick = (v: string | null, fallback: string): string => (v && known.has(v) ? v : fallback);
  const version = pick(sp.get('version'), detail.latest.version);
  const tab: Tab = TABS.find((t) => t.id === sp.get('tab'))?.id ?? 'definition';
  const chosen = useWorkflowVersion(detail.name, version);
  const def = version === detail.latest.version ? detail.latest : chosen.data;
  const canRun = roleAllows(useSession().session?.role, 'operator');
  return (
    <>
      <div className="row">
        <h1>Workflow {detail.name}</h1>
        <span className="spacer" />
        <Link to={`/runs?workflow=${encodeURIComponent(detail.name)}`}>Its runs</Link>
      </div>
      {typeof (detail.latest.definition as { description?: unknown } | null)?.description === 'string' && (
        <p className="muted">{(detail.latest.definition as { description: string }).description}</p>
      )}
      <div className="wf-layout">
        <section className="panel" aria-labelledby="versions-h">
          <h2 id="versions-h">Versions</h2>
          <table data-testid="versions">
            <thead><tr><th>Version</th><th>Registered</th></tr></thead>
            <tbody>
              {detail.versions.map((v, i) => (
                <tr key={v.version} aria-selected={v.version === version}>
                  <td>
                    <button type="button" className="link mono" aria-pressed={v.version === version} onClick={() => set({ version: v.version })}>{v.version.slice(0, 12)}</button>
                    {i === 0 && <span className="muted"> newest</span>}
                  </td>
                  <td><Time ms={v.createdAt} short /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" aria-label={`Version ${version.slice(0, 12)}`}>
          <div className="tabs" role="group" aria-label="View">
            {TABS.map((t) => <button key={t.id} type="button" aria-pressed={tab === t.id} onClick={() => set({ tab: t.id })}>{t.label}</button>)}
          </div>
          <ErrorNote error={version !== detail.latest.version ? chosen.error : undefined} />
          {!def && !chosen.error && <p className="muted" role="status">Loading version…</p>}
          {def && tab === 'definition' && (
            <>
              <p className="muted">Version <span className="mono">{def.version}</span>, registered <Time ms={def.createdAt} />{def.sourcePath && <> from <span className="mono">{def.sourcePath}</span></>}.</p>
              <pre className="definition" data-testid="definition" tabIndex={0} aria-label="Definition">{jsonText(def.definition)}</pre>
            </>
          )}
          {def && tab === 'graph' && (
            <Suspense fallback={<div className="dag" aria-busy="true" />}>
              <GraphView key={def.version} definition={def.definition} />
            </Suspense>
          )}
          {tab === 'diff' && <VersionDiff detail={detail} from={pick(sp.get('from'), detail.versions[1]?.version ?? detail.latest.version)} to={pick(sp.get('to'), detail.latest.version)} onChange={(from, to) => set({ from, to })} />}
          {def && tab === 'run' && (canRun
            ? <ParamsForm key={def.version} workflow={detail.name} version={def.version} params={declaredParams(def.definition)} />
            : <p className="note" data-testid="read-only">Starting a run needs the operator role; you are signed in as a viewer.</p>)}
        </section>
      </div>
    </>
  );
}

function VersionDiff({ detail, from, to, onChange }: { detail: WorkflowDetail; from: string; to: string; onChange: (from: string, to: string) => void }): ReactNode {
  const a = useWorkflowVersion(detail.name, from);
  const b = useWorkflowVersion(detail.name, to);
  const lines = useMemo(() => (a.data && b.data ? lineDiff(jsonText(a.data.definition), jsonText(b.data.definition)) : undefined), [a.data, b.data]);
  const options = detail.versions.map((v) => <option key={v.version} value={v.version}>{v.version.slice(0, 12)} ({new Date(v.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC)</option>);
  const changed = lines?.filter((l) => l.kind !== ' ').length ?? 0;
  return (
    <>
      <div className="row">
        <label>Old <select value={from} onChange={(e) => onChange(e.target.value, to)}>{options}</select></label>
        <label>New <select value={to} onChange={(e) => onChange(from, e.target.value)}>{options}</select></label>
      </div>
      <ErrorNote error={a.error ?? b.error} />
      {detail.versions.length < 2 && <p className="muted">This workflow has one version: nothing to compare.</p>}
      {!lines && !a.error && !b.error && <p className="muted" role="status">Loading versions…</p>}
      {lines && (
        <>
          <p className="muted" role="status">{changed ? `${changed} line${changed === 1 ? '' : 's'} changed` : 'The two definitions are the same.'}</p>
          <div className="diff mono" data-testid="diff" tabIndex={0} role="region" aria-label="Line diff">
            {lines.map((l, i) => (
              <div key={i} className={`dl d-${l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : 'same'}`}>
                <span className="ln">{l.a ?? ''}</span><span className="ln">{l.b ?? ''}</span><span className="mark" aria-hidden="true">{l.kind}</span>
                <span className="visually-hidden">{l.kind === '+' ? 'added: ' : l.kind === '-' ? 'removed: ' : ''}</span><span>{l.text}</span>
              </div>
            ))}
          </div>
        </>
      )}
    </>
  );
}
