/**
 * @module web/components/common
 * Small pieces every page uses: state badges, error and empty notes, and the confirmation
 * dialog every operator action goes through.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';

/** A run, step run or alert state, coloured by class. */
export function StateBadge({ state }: { state: string }): ReactNode {
  return <span className={`state s-${/^[a-z-]+$/.test(state) ? state : 'pending'}`}>{state}</span>;
}

/** A failed query's message, as text. */
export function ErrorNote({ error }: { error: unknown }): ReactNode {
  if (!error) return null;
  return <p className="error" role="alert">{error instanceof Error ? error.message : typeof error === 'string' ? error : 'the request failed'}</p>;
}

/** Steps (or `unit`) done of total, as a bar with its numbers; the unit is written after them when `showUnit`. */
export function Progress({ done, total, unit = 'steps', showUnit = false }: { done: number; total: number; unit?: string; showUnit?: boolean }): ReactNode {
  const pct = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <span className="row" title={`${done} of ${total} ${unit} done`}>
      <span className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label={`${unit} done`}>
        <span style={{ width: `${pct}%` }} />
      </span>
      <span className="mono">{done}/{total}{showUnit ? ` ${unit}` : ''}</span>
    </span>
  );
}

/** Options of {@link ConfirmDialog}. */
export interface ConfirmProps {
  /** What the dialog asks, e.g. "Cancel run 01H…?" */
  title: string;
  /** The confirming button's text. */
  confirm: string;
  /** Red confirm button for destructive actions. */
  danger?: boolean;
  /** A note field (acknowledge, silence) with this label. */
  noteLabel?: string;
  /** Extra fields, rendered inside the form. */
  children?: ReactNode;
  /** Called on confirm with the note; may reject (its message is shown). */
  onConfirm: (note: string) => Promise<unknown>;
  onClose: () => void;
}

/** A modal confirmation (native `<dialog>`: focus trapped, Escape closes) for an action. */
export function ConfirmDialog(p: ConfirmProps): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} onClose={p.onClose} aria-labelledby="confirm-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          p.onConfirm(note).then(() => ref.current?.close(), (err: unknown) => setError(err)).finally(() => setBusy(false));
        }}
      >
        <h2 id="confirm-title">{p.title}</h2>
        {p.children}
        {p.noteLabel && (
          <label>
            {p.noteLabel}
            <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} maxLength={2000} style={{ width: '100%' }} />
          </label>
        )}
        <ErrorNote error={error} />
        <div className="row">
          <span className="spacer" />
          <button type="button" onClick={() => ref.current?.close()}>Back</button>
          <button type="submit" className={p.danger ? 'danger' : 'primary'} disabled={busy}>{p.confirm}</button>
        </div>
      </form>
    </dialog>
  );
}
