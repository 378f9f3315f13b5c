/**
 * @module web/pages/workflows/params-form
 * The form that starts a run, generated from a version's declared params: one input per
 * param by type (text, number, true/false, JSON text for arrays and objects), defaults
 * filled in, required ones marked, descriptions as help text. Types are checked here
 * before anything is sent; whether a required param is there is the API's to say, and
 * its 400 `invalid-params` problems are shown by the field they name.
 */
import { useId, useState } from 'react';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { ApiError } from '../../api/client.js';
import { ErrorNote } from '../../components/common.js';
import { START_NOW, StartWhen, startFields } from '../../components/start-when.js';
import type { StartWhenValue } from '../../components/start-when.js';
import type { ParamDecl } from '../../lib/definition.js';
import { useStartRun } from './hooks.js';

/** A field's text as first shown: the default, if any. */
function initialText(p: ParamDecl): string {
  if (p.default === undefined) return '';
  if (p.type === 'string' && typeof p.default === 'string') return p.default;
  if (p.type === 'array' || p.type === 'object') return JSON.stringify(p.default);
  return typeof p.default === 'number' || typeof p.default === 'boolean' ? String(p.default) : JSON.stringify(p.default);
}

/** A field's value: absent (`{}`, the server applies the default), a value, or why the text is not of the param's type. */
export function parseField(p: ParamDecl, text: string): { value?: unknown; error?: string } {
  if (p.type === 'string') return text === '' && p.default === undefined ? {} : { value: text };
  const t = text.trim();
  if (t === '') return {};
  switch (p.type) {
    case 'integer':
      return /^[+-]?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? { value: Number(t) } : { error: 'must be an integer, such as 42' };
    case 'number':
      return Number.isFinite(Number(t)) ? { value: Number(t) } : { error: 'must be a number, such as 1.5' };
    case 'boolean':
      return t === 'true' || t === 'false' ? { value: t === 'true' } : { error: 'must be true or false' };
    case 'array':
    case 'object': {
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        return { error: `is not JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
      const ok = p.type === 'array' ? Array.isArray(v) : v !== null && typeof v === 'object' && !Array.isArray(v);
      return ok ? { value: v } : { error: p.type === 'array' ? 'must be a JSON array, such as ["a", "b"]' : 'must be a JSON object, such as {"key": 1}' };
    }
  }
}

/** The API's `invalid-params` problems by the param each names; the rest under `''`. */
export function problemsByParam(e: unknown): Record<string, string[]> {
  if (!(e instanceof ApiError) || e.code !== 'invalid-params') return {};
  const list = Array.isArray(e.details) ? e.details.filter((d): d is string => typeof d === 'string') : [e.message];
  const out: Record<string, string[]> = {};
  for (const p of list) {
    const name = /param "([^"]+)"/.exec(p)?.[1] ?? '';
    (out[name] ??= []).push(p);
  }
  return out;
}

/** The start form of one workflow version. */
export function ParamsForm({ workflow, version, params }: { workflow: string; version: string; params: ParamDecl[] }): ReactNode {
  const start = useStartRun();
  const navigate = useNavigate();
  const id = useId();
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(params.map((p) => [p.name, initialText(p)])));
  const [local, setLocal] = useState<Record<string, string>>({});
  const [when, setWhen] = useState<StartWhenValue>(START_NOW);
  const [formError, setFormError] = useState<string>();
  const fromApi = problemsByParam(start.error);
  const declared = new Set(params.map((p) => p.name));
  const general = Object.entries(fromApi).filter(([k]) => !declared.has(k)).flatMap(([, v]) => v);

  const submit = (): void => {
    setFormError(undefined);
    const values: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const p of params) {
      const r = parseField(p, texts[p.name] ?? '');
      if (r.error) errors[p.name] = `${p.name} ${r.error}`;
      else if ('value' in r) values[p.name] = r.value;
    }
    setLocal(errors);
    if (Object.keys(errors).length) return;
    const fields = startFields(when);
    if (typeof fields === 'string') return setFormError(fields);
    start.mutate({ workflow, version, params: values, ...fields }, { onSuccess: (r) => void navigate(`/runs/${encodeURIComponent(r.run.id)}`) });
  };

  return (
    <form className="stack" noValidate onSubmit={(e) => { e.preventDefault(); submit(); }} data-testid="start-form" aria-label={`Start a run of ${workflow}`}>
      {!params.length && <p className="muted">This workflow declares no params.</p>}
      {params.map((p) => {
        const fid = `${id}-${p.name}`;
        const problems = [...(local[p.name] ? [local[p.name]!] : []), ...(fromApi[p.name] ?? [])];
        const described = [p.description ? `${fid}-help` : '', problems.length ? `${fid}-err` : ''].filter(Boolean).join(' ');
        const common = {
          id: fid, name: p.name, value: texts[p.name] ?? '',
          'aria-invalid': problems.length > 0, 'aria-required': p.required,
          ...(described ? { 'aria-describedby': described } : {}),
        };
        const set = (v: string): void => setTexts((old) => ({ ...old, [p.name]: v }));
        return (
          <div key={p.name} className="field" data-param={p.name}>
            <label htmlFor={fid}>
              <span className="mono">{p.name}</span> <span className="muted">({p.type})</span>
              {p.required && <span className="required" title="required"> *<span className="visually-hidden"> required</span></span>}
            </label>
            {p.type === 'boolean' ? (
              <select {...common} onChange={(e) => set(e.target.value)}>
                <option value="">{p.default === undefined ? '(not set)' : `(default: ${JSON.stringify(p.default)})`}</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : p.type === 'array' || p.type === 'object' ? (
              <textarea {...common} rows={3} spellCheck={false} className="mono" onChange={(e) => set(e.target.value)} />
            ) : (
              <input {...common} type="text" inputMode={p.type === 'integer' ? 'numeric' : p.type === 'number' ? 'decimal' : undefined} spellCheck={false} onChange={(e) => set(e.target.value)} />
            )}
            {p.description && <small id={`${fid}-help`} className="muted">{p.description}</small>}
            {problems.length > 0 && <small id={`${fid}-err`} className="error" role="alert">{problems.join('; ')}</small>}
          </div>
        );
      })}
      <StartWhen name={`${id}-when`} value={when} onChange={setWhen} />
      {formError && <p className="error" role="alert">{formError}</p>}
      {general.length > 0 && <ul className="error" role="alert">{general.map((g) => <li key={g}>{g}</li>)}</ul>}
      {!(start.error instanceof ApiError && start.error.code === 'invalid-params') && <ErrorNote error={start.error} />}
      <div className="row">
        <span className="spacer" />
        <button type="submit" className="primary" disabled={start.isPending}>{when.when === 'at' ? 'Schedule run' : 'Start run'}</button>
      </div>
    </form>
  );
}
