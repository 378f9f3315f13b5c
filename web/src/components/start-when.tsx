/**
 * @module web/components/start-when
 * When a new run starts and how it is ordered: now or at a local date and time, and a
 * priority (−10..+10, higher first). Shared by the forms that start runs (workflows, batches).
 */
import type { ReactNode } from 'react';

/** The choices of {@link StartWhen}. */
export interface StartWhenValue {
  when: 'now' | 'at';
  /** `datetime-local` text, the browser's time zone. */
  at: string;
  priority: number;
}

/** The initial choices: now, priority 0. */
export const START_NOW: StartWhenValue = { when: 'now', at: '', priority: 0 };

/**
 * The request fields of the choices: `at` as ms since the epoch, `priority` when not 0.
 * @returns an error sentence instead when "at" has no valid time
 */
export function startFields(v: StartWhenValue): { at?: number; priority?: number } | string {
  const out: { at?: number; priority?: number } = {};
  if (v.when === 'at') {
    const ms = v.at ? new Date(v.at).getTime() : NaN;
    if (!Number.isFinite(ms)) return 'choose the date and time the run starts at';
    out.at = ms;
  }
  if (v.priority) out.priority = v.priority;
  return out;
}

/** Now or at a time, and a priority. */
export function StartWhen({ value, onChange, name }: { value: StartWhenValue; onChange: (v: StartWhenValue) => void; name: string }): ReactNode {
  return (
    <>
      <fieldset>
        <legend>When</legend>
        <label className="row"><input type="radio" name={name} checked={value.when === 'now'} onChange={() => onChange({ ...value, when: 'now' })} /> Now</label>
        <label className="row">
          <input type="radio" name={name} checked={value.when === 'at'} onChange={() => onChange({ ...value, when: 'at' })} /> At
          <input type="datetime-local" aria-label="Start at (your local time)" value={value.at} disabled={value.when !== 'at'} onChange={(e) => onChange({ ...value, at: e.target.value })} />
        </label>
      </fieldset>
      <label>
        Priority (−10 to 10, higher first)
        <input type="number" min={-10} max={10} step={1} value={value.priority} onChange={(e) => onChange({ ...value, priority: Math.max(-10, Math.min(10, Math.trunc(Number(e.target.value) || 0))) })} />
      </label>
    </>
  );
}
