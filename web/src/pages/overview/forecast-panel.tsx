/**
 * @module web/pages/overview/forecast-panel
 * The "Load forecast" panel: step-seconds and runs queued per hour, the last 48 hours and
 * the next 24 (dashed), with the model each used and how it did in its backtest against the
 * naive forecast (`GET /forecast`). Each chart has a text summary as its accessible name,
 * and the forecast hours are also a table, for screen readers and for copying figures.
 */
import type { ReactNode } from 'react';
import { useForecast } from '../../api/hooks.js';
import type { Forecast, SeriesForecast } from '../../api/types.js';
import { ErrorNote } from '../../components/common.js';
import { LoadChart } from '../../components/load-chart.js';
import { Time } from '../../lib/time.js';

const MODELS = { 'double-seasonal': 'double seasonal Holt–Winters (daily + weekly)', daily: 'Holt–Winters (daily only)' } as const;

/** "model MAE 12.3 vs naive 20.1 (same hour last week)", or why there is no backtest yet. */
function errorsText(s: SeriesForecast, digits: number): string {
  const b = s.backtest;
  if (!s.model) return '';
  if (!b) return `${MODELS[s.model]}; no backtest yet`;
  const naive = s.naive === 'week' ? 'same hour last week' : 'same hour yesterday';
  return `${MODELS[s.model]}; backtest over ${b.origins} days: MAE ${b.model.mae.toFixed(digits)} vs ${b.naive.mae.toFixed(digits)} for the naive forecast (${naive})`;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** The panel. */
export function ForecastPanel(): ReactNode {
  const forecast = useForecast();
  const f = forecast.data;
  return (
    <section className="panel wide" aria-labelledby="forecast-h">
      <h2 id="forecast-h">Load forecast</h2>
      <ErrorNote error={forecast.error} />
      {f?.tooShort !== undefined && <p className="muted">No forecast yet: history is too short ({f.tooShort}).</p>}
      {f && f.tooShort === undefined && <ForecastBody f={f} />}
    </section>
  );
}

function ForecastBody({ f }: { f: Forecast }): ReactNode {
  const seconds = sum(f.forecast.map((p) => p.stepSeconds));
  const runs = sum(f.forecast.map((p) => p.queuedRuns));
  const n = f.forecast.length;
  const sSummary = `Step-seconds per hour: ${Math.round(sum(f.history.map((p) => p.stepSeconds)))} s in the last ${f.history.length} hours; about ${Math.round(seconds)} s forecast for the next ${n}. ${errorsText(f.stepSeconds, 0)}.`;
  const qSummary = `Runs queued per hour: ${sum(f.history.map((p) => p.queuedRuns))} in the last ${f.history.length} hours; about ${runs.toFixed(0)} forecast for the next ${n}. ${errorsText(f.queuedRuns, 2)}.`;
  return (
    <>
      <p className="muted">From {f.historyHours} hours of history. Dashed: forecast.</p>
      <h3>Step-seconds per hour</h3>
      <LoadChart label="Step-seconds per hour" unit="step-s / h" summary={sSummary}
        history={f.history.map((p) => ({ start: p.start, value: p.stepSeconds }))} forecast={f.forecast.map((p) => ({ start: p.start, value: p.stepSeconds }))} />
      <p className="muted" data-testid="forecast-seconds-summary">{sSummary}</p>
      <h3>Runs queued per hour</h3>
      <LoadChart label="Runs queued per hour" unit="runs / h" summary={qSummary}
        history={f.history.map((p) => ({ start: p.start, value: p.queuedRuns }))} forecast={f.forecast.map((p) => ({ start: p.start, value: p.queuedRuns }))} />
      <p className="muted" data-testid="forecast-runs-summary">{qSummary}</p>
      <details>
        <summary>Forecast table (next {n} hours)</summary>
        <div className="scroll-x">
          <table>
            <thead><tr><th scope="col">Hour</th><th scope="col">Runs queued</th><th scope="col">Step-seconds</th></tr></thead>
            <tbody>
              {f.forecast.map((p) => (
                <tr key={p.start}><td><Time ms={p.start} short /></td><td className="mono">{p.queuedRuns.toFixed(1)}</td><td className="mono">{Math.round(p.stepSeconds)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
