/**
 * @module server/routes/forecast
 * The load forecast (`GET /forecast`): the last 48 hours of load, the next hours' forecast of
 * runs queued and step-seconds per hour, the model used and its backtest against the naive
 * seasonal forecast. Viewer role: it only reads. A forecast costs tens of fits (~15 ms each,
 * on the event loop), and changes only when an hour completes, so answers are kept per
 * (hour, workflow, hours) — at most {@link CACHED} of them.
 */
import { loadReport } from '../../observe/index.js';
import type { LoadReport } from '../../observe/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ErrorSchema, ForecastQuerySchema, ForecastSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

/** Forecasts kept (the oldest goes first). */
const CACHED = 32;

/** Registers the forecast route on the `/api/v1` scope. */
export function registerForecastRoutes(app: ApiApp, ctx: ApiContext): void {
  const cache = new Map<string, Promise<LoadReport>>();

  app.get('/forecast', {
    config: { role: 'viewer' },
    schema: {
      tags: ['history'], operationId: 'getForecast',
      summary: 'Load forecast: runs queued and step-seconds per hour, the last 48 hours and the next ones, with the model and its backtest against the naive seasonal forecast',
      querystring: ForecastQuerySchema, response: { 200: ForecastSchema, ...errors },
    },
  }, async (req) => {
    const now = ctx.clock();
    const q = req.query;
    const key = JSON.stringify([Math.floor(now / 3_600_000), q.workflow ?? null, q.hours]);
    let report = cache.get(key);
    if (!report) {
      report = loadReport(ctx.store.history, { now, hours: q.hours, ...(q.workflow !== undefined ? { workflow: q.workflow } : {}) });
      // A failed read is not kept: the next request tries again.
      report.catch(() => cache.delete(key));
      cache.set(key, report);
      if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
    }
    return report;
  });
}
