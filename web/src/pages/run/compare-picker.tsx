/**
 * @module web/pages/run/compare-picker
 * "Compare with…": a disclosure on a run's header listing the other runs of its workflow,
 * newest first with their state and start time, the run before this one chosen already;
 * choosing one opens the comparison at its own address.
 */
import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import type { Run } from '../../api/types.js';
import { ErrorNote, StateBadge } from '../../components/common.js';
import { Time } from '../../lib/time.js';
import { useCompareCandidates } from './compare-hooks.js';
import './compare.css';

/** The address of the comparison of run `id` with run `other`. */
export function comparePath(id: string, other: string): string {
  return `/runs/${encodeURIComponent(id)}/compare/${encodeURIComponent(other)}`;
}

/** The "Compare with…" button and, while open, its list of runs. `current` is the run already compared with, if any. */
export function CompareWith({ run, current }: { run: Run; current?: string }): ReactNode {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button ref={button} type="button" aria-expanded={open} aria-controls={panelId} onClick={() => setOpen((o) => !o)} data-testid="compare-with">
        Compare with…
      </button>
      {open && <Picker id={panelId} run={run} {...(current !== undefined ? { current } : {})} onClose={() => { setOpen(false); button.current?.focus(); }} />}
    </>
  );
}

function Picker({ id, run, current, onClose }: { id: string; run: Run; current?: string; onClose: () => void }): ReactNode {
  const candidates = useCompareCandidates(run, true);
  const navigate = useNavigate();
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const list = useRef<HTMLFieldSetElement>(null);
  const runs = candidates.data?.runs;
  const selected = chosen ?? current ?? candidates.data?.previous ?? runs?.[0]?.id;
  const loaded = runs !== undefined;
  // Keyboard users land on the chosen run once the list is there, not back at the page's top.
  useEffect(() => {
    if (loaded) list.current?.querySelector<HTMLInputElement>('input:checked')?.focus();
  }, [loaded]);
  return (
    <section
      id={id}
      className="panel compare-picker"
      aria-labelledby={`${id}-h`}
      data-testid="compare-picker"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <h2 id={`${id}-h`}>Compare with another run of {run.workflow}</h2>
      <ErrorNote error={candidates.error} />
      {!runs && !candidates.error && <p className="muted" role="status">Loading runs…</p>}
      {runs?.length === 0 && <p className="muted" role="status">No other run of {run.workflow} yet.</p>}
      {runs && runs.length > 0 && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (selected) void navigate(comparePath(run.id, selected));
          }}
        >
          <fieldset ref={list} className="compare-runs">
            <legend>Runs of {run.workflow}, newest first</legend>
            <ul className="plain">
              {runs.map((r) => (
                <li key={r.id} data-run={r.id}>
                  <label>
                    <input type="radio" name="compare-run" value={r.id} checked={r.id === selected} onChange={() => setChosen(r.id)} />
                    <span className="mono">{r.id}</span>
                    <StateBadge state={r.state} />
                    <span className="muted">{r.startedAt !== undefined ? <>started <Time ms={r.startedAt} /></> : 'not started'}</span>
                    {r.id === candidates.data?.previous && <span className="compare-tag">the run before this one</span>}
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
          <div className="row">
            <button type="submit" className="primary" disabled={!selected}>Compare</button>
            <button type="button" onClick={onClose}>Close</button>
          </div>
        </form>
      )}
    </section>
  );
}
