/**
 * @module server/routes/ops
 * Schedules (list with next fire times, pause, resume), the queue by pool and priority, fleet
 * workers (list, drain), circuit breakers (list, reset) and API tokens (admin only).
 */
import { z } from 'zod';
import { nextFireTimes } from '../../workflow/index.js';
import { ROLES } from '../../store/index.js';
import { QueueReader } from '../../observe/index.js';
import type { TokenRecord } from '../../store/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { BreakerSchema, ErrorSchema, QueueSchema, ScheduleSchema, TokenSchema, WorkerSchema } from '../schemas.js';
import { breakerSummary } from '../../core/index.js';
import { createToken } from '../tokens.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
const NEXT_FIRE_TIMES = 5;

/** A token as the API shows it: never its hash. */
function publicToken({ hash: _h, ...t }: TokenRecord): Omit<TokenRecord, 'hash'> {
  return t;
}

/** Registers schedule, worker and token routes on the `/api/v1` scope. */
export function registerOpsRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;

  app.get('/schedules', {
    config: { role: 'viewer' },
    schema: { tags: ['schedules'], operationId: 'listSchedules', summary: `Schedules with their next ${NEXT_FIRE_TIMES} fire times`, response: { 200: z.object({ schedules: z.array(ScheduleSchema) }), ...errors } },
  }, async () => {
    const now = ctx.clock();
    const schedules = (await store.listSchedules()).map((s) => ({
      ...s,
      nextFireTimes: s.paused || !s.spec.enabled ? [] : nextFireTimes(s.spec, Math.max(now, s.lastTickAt ?? now), NEXT_FIRE_TIMES),
    }));
    return { schedules };
  });

  for (const action of ['pause', 'resume'] as const) {
    const handler = async (selector: string): Promise<{ changed: string[] }> => {
      const changed = await store.setSchedulesPaused(selector, action === 'pause', ctx.clock());
      if (!changed.length) throw new ApiError(404, 'schedule-not-found', `no schedule '${selector}' (a workflow name, or <workflow>/<schedule>)`);
      if (action === 'resume') ctx.onRunQueued();
      return { changed };
    };
    const schema = {
      tags: ['schedules'],
      summary: action === 'pause' ? 'Pause schedules: no tick fires until resumed' : 'Resume schedules (ticks that fell while paused are not replayed)',
      response: { 200: z.object({ changed: z.array(z.string()) }), ...errors },
    };
    app.post(`/schedules/:workflow/${action}`, { config: { role: 'operator' }, schema: { ...schema, operationId: `${action}WorkflowSchedules`, params: z.object({ workflow: z.string() }) } },
      async (req) => handler(req.params.workflow));
    app.post(`/schedules/:workflow/:name/${action}`, { config: { role: 'operator' }, schema: { ...schema, operationId: `${action}Schedule`, params: z.object({ workflow: z.string(), name: z.string() }) } },
      async (req) => handler(`${req.params.workflow}/${req.params.name}`));
  }

  const queue = new QueueReader(store);
  app.get('/queue', {
    config: { role: 'viewer' },
    schema: {
      tags: ['workers'], operationId: 'getQueue', summary: 'The queue: step runs waiting to start, by pool and effective priority',
      description: 'The same reading as `baton_queue_depth` and `baton_queue_oldest_age_seconds` of `/metrics`.',
      response: { 200: QueueSchema, ...errors },
    },
  }, async () => {
    const [counts, groups] = await Promise.all([store.api.countStates(), queue.groups()]);
    const now = ctx.clock();
    return { queued: counts.stepRuns.queued ?? 0, groups: groups.map((g) => ({ ...g, oldestAgeMs: Math.max(0, now - g.oldestQueuedAt) })) };
  });

  app.get('/workers', {
    config: { role: 'viewer' },
    schema: { tags: ['workers'], operationId: 'listWorkers', summary: 'Fleet workers (PostgreSQL); empty on SQLite', response: { 200: z.object({ workers: z.array(WorkerSchema) }), ...errors } },
  }, async () => ({ workers: ctx.fleet ? await ctx.fleet.listWorkers() : [] }));

  app.post('/workers/:id/drain', {
    config: { role: 'operator' },
    schema: { tags: ['workers'], operationId: 'drainWorker', summary: 'Drain a worker: it claims nothing new and exits once idle', params: z.object({ id: z.string() }), response: { 200: z.object({ id: z.string(), state: z.literal('draining') }), ...errors } },
  }, async (req) => {
    if (!ctx.fleet || !(await ctx.fleet.setWorkerState(req.params.id, 'draining'))) {
      throw new ApiError(404, 'worker-not-found', ctx.fleet ? `no worker '${req.params.id}'` : 'this server has no fleet (it runs on SQLite)');
    }
    return { id: req.params.id, state: 'draining' as const };
  });

  app.get('/breakers', {
    config: { role: 'viewer' },
    schema: { tags: ['breakers'], operationId: 'listBreakers', summary: 'Circuit breakers, by key (a key never used has none: it is closed)', response: { 200: z.object({ breakers: z.array(BreakerSchema) }), ...errors } },
  }, async () => ({ breakers: (await store.breakers.list()).map(breakerSummary) }));

  app.post('/breakers/:key/reset', {
    config: { role: 'operator' },
    schema: {
      tags: ['breakers'], operationId: 'resetBreaker', summary: 'Close a circuit breaker now: the steps waiting behind it start',
      params: z.object({ key: z.string().describe('the breaker key, URL-encoded (it may hold ":" and "/")') }), response: { 200: z.object({ breaker: BreakerSchema }), ...errors },
    },
  }, async (req) => {
    const b = await store.breakers.reset(req.params.key, ctx.clock(), `api:${req.token?.name || req.token?.id || 'unknown'}`);
    if (!b) throw new ApiError(404, 'breaker-not-found', `no breaker '${req.params.key}': list them with GET /api/v1/breakers`);
    return { breaker: breakerSummary(b) };
  });

  app.get('/tokens', {
    config: { role: 'admin' },
    schema: { tags: ['tokens'], operationId: 'listTokens', summary: 'API tokens (never their secrets)', response: { 200: z.object({ tokens: z.array(TokenSchema) }), ...errors } },
  }, async () => ({ tokens: (await store.api.listTokens()).map(publicToken) }));

  app.post('/tokens', {
    config: { role: 'admin' },
    schema: {
      tags: ['tokens'], operationId: 'createToken', summary: 'Create a token; its secret is in this response only',
      body: z.object({ role: z.enum(ROLES as [string, ...string[]]), name: z.string().max(200).default('') }),
      response: { 201: z.object({ token: z.string(), record: TokenSchema }), ...errors },
    },
  }, async (req, reply) => {
    const created = await createToken(store, req.body.role as TokenRecord['role'], req.body.name, ctx.clock());
    return reply.status(201).send({ token: created.token, record: publicToken(created.record) });
  });

  app.delete('/tokens/:id', {
    config: { role: 'admin' },
    schema: { tags: ['tokens'], operationId: 'revokeToken', summary: 'Revoke a token', params: z.object({ id: z.string() }), response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }), ...errors } },
  }, async (req) => {
    if (!(await store.api.revokeToken(req.params.id, ctx.clock()))) throw new ApiError(404, 'token-not-found', `no live token '${req.params.id}'`);
    return { id: req.params.id, revoked: true as const };
  });
}
