/**
 * @module server/routes/health
 * `/healthz` (the process answers), `/readyz` (the store answers, every migration applied) —
 * both public, for load balancers and orchestrators — and `/metrics` (Prometheus text;
 * needs a viewer token, which Prometheus sends with `authorization.credentials`).
 */
import { z } from 'zod';
import { createMetrics } from '../../observe/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ErrorSchema } from '../schemas.js';
import { followEvents } from '../feed.js';
import { errorMessage } from '../../shared/index.js';

/** Registers health and metrics routes at the root. */
export function registerHealthRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get('/healthz', { schema: { tags: ['health'], operationId: 'getHealth', summary: 'The process is up', security: [], response: { 200: z.object({ status: z.literal('ok') }), 400: ErrorSchema } } }, () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: { tags: ['health'], operationId: 'getReadiness', summary: 'The store is reachable and migrated', security: [], response: { 200: z.object({ status: z.literal('ready') }), 400: ErrorSchema, 503: ErrorSchema } },
  }, async (_req, reply) => {
    let pending: string[];
    try {
      pending = await ctx.store.api.pendingMigrations();
    } catch (e) {
      return reply.status(503).send({ error: { code: 'store-unavailable', message: `the store does not answer: ${errorMessage(e)}` } });
    }
    if (pending.length) return reply.status(503).send({ error: { code: 'migrations-pending', message: `the store lacks migrations ${pending.join(', ')}`, details: pending } });
    return { status: 'ready' as const };
  });

  const metrics = createMetrics(ctx.store, ctx.fleet, { contributors: ctx.metrics, now: ctx.clock, ...(ctx.logBytesShipped ? { logBytesShipped: ctx.logBytesShipped } : {}), ...(ctx.throttle ? { throttle: ctx.throttle } : {}) });
  const abort = new AbortController();
  let follower: Promise<unknown> | undefined;
  app.addHook('onReady', async () => {
    const head = await ctx.store.api.eventsHead();
    // Run and step transitions, read once a second rather than after every commit: a
    // histogram or counter may lag a scrape by a second, and at hundreds of commits a second
    // one read per commit was a fifth of a busy server's allocations.
    follower = followEvents(head, { store: ctx.store, filter: {}, pollMs: Math.max(ctx.feedPollMs, 1000), pageSize: 1000, abort: abort.signal }, (page) => metrics.observe(page));
  });
  app.addHook('onClose', async () => {
    abort.abort();
    await follower;
  });

  app.get('/metrics', {
    config: { role: 'viewer' },
    schema: {
      tags: ['health'], operationId: 'getMetrics', summary: 'Prometheus metrics (text exposition format)',
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } },
        401: ErrorSchema, 403: ErrorSchema,
      },
    },
  }, async (_req, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));
}
