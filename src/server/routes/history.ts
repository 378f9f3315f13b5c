/**
 * @module server/routes/history
 * History: the summary of the runs that ended in a window (`GET /history`: by hour or day,
 * per workflow and per step, the most failing steps) and the export of those runs with
 * their step runs (`GET /history/runs`, page by page). Viewer role: both only read.
 */
import { parseDuration } from '../../workflow/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ErrorSchema, HistoryExportQuery, HistoryQuerySchema, HistorySchema, RunExportPageSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

/** Registers the history routes on the `/api/v1` scope. */
export function registerHistoryRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;

  app.get('/history', {
    config: { role: 'viewer' },
    schema: {
      tags: ['history'], operationId: 'getHistory',
      summary: 'Runs that ended since a time: by hour or day, per workflow and per step (count, p50/p95 duration, failure rate), the most failing steps',
      querystring: HistoryQuerySchema, response: { 200: HistorySchema, ...errors },
    },
  }, async (req) => {
    const until = ctx.clock();
    const q = req.query;
    return store.history.summary({ since: until - parseDuration(q.since), until, by: q.by, ...(q.workflow !== undefined ? { workflow: q.workflow } : {}) });
  });

  app.get('/history/runs', {
    config: { role: 'viewer' },
    schema: {
      tags: ['history'], operationId: 'exportHistoryRuns',
      summary: 'Runs that ended since a time, with their step runs (no outputs), oldest end first, page by page',
      querystring: HistoryExportQuery, response: { 200: RunExportPageSchema, ...errors },
    },
  }, async (req) => {
    const until = ctx.clock();
    const q = req.query;
    return store.history.exportRuns({
      since: until - parseDuration(q.since), until, limit: q.limit,
      ...(q.workflow !== undefined ? { workflow: q.workflow } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
  });
}
