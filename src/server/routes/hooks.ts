/**
 * @module server/routes/hooks
 * Webhooks in: `POST /hooks/{workflow}` starts a run with the JSON body as params. No bearer
 * token: the sender proves itself with an HMAC-SHA256 over `<timestamp>.<raw body>` keyed
 * with the workflow's `webhook.secret`, the scheme Stripe and Slack document. A timestamp
 * outside the tolerance is refused (replay of an old capture), and each delivery id starts
 * at most one run (replay inside the window), recorded in the run's own transaction.
 * @see https://docs.stripe.com/webhooks#verify-manually
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { newRun } from '../../runtime/index.js';
import type { JsonValue } from '../../shared/index.js';
import { resolveSecrets } from '../../executors/index.js';
import { resolveParams } from '../../workflow/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from '../schemas.js';
import { workflowSpec } from './runs.js';

/** Headers of a signed webhook request. */
export const SIGNATURE_HEADER = 'x-baton-signature';
/** A signed webhook's send time, Unix seconds; older than the workflow's `toleranceSec` (default 300) is refused. */
export const TIMESTAMP_HEADER = 'x-baton-timestamp';
/** A signed webhook's delivery id, unique per delivery and at most 200 characters: a repeated id creates no second run. */
export const DELIVERY_HEADER = 'x-baton-delivery';

/**
 * The `X-Baton-Signature` value for a body: `sha256=` and the hex HMAC-SHA256 of
 * `<timestamp>.<body>` keyed with the secret. What a sender computes.
 * @param timestamp - Unix time, seconds, as sent in `X-Baton-Timestamp`.
 */
export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 429: ErrorSchema, 503: ErrorSchema };

/** Registers `/hooks/{workflow}` (in its own scope: the body is kept raw for the signature). */
export function registerHookRoutes(app: ApiApp, ctx: ApiContext): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.post('/hooks/:workflow', {
    config: {
      rateLimit: {
        max: ctx.webhookRatePerMinute,
        timeWindow: 60_000,
        keyGenerator: (req) => `${req.ip} ${(req.params as { workflow?: string }).workflow ?? ''}`,
      },
    },
    schema: {
      tags: ['webhooks'],
      summary: 'Start a run of a workflow with the JSON body as params (HMAC-signed, no token)',
      description: `Headers: \`${TIMESTAMP_HEADER}\` (Unix seconds), \`${DELIVERY_HEADER}\` (unique per delivery), \`${SIGNATURE_HEADER}\`: \`sha256=\` + hex HMAC-SHA256 of \`<timestamp>.<raw body>\` with the workflow's webhook secret.`,
      security: [],
      params: z.object({ workflow: z.string() }),
      body: z.unknown(),
      response: { 202: z.object({ runId: z.string() }), ...errors },
    },
  }, async (req, reply) => {
    const name = req.params.workflow;
    const raw = req.body;
    if (!Buffer.isBuffer(raw)) throw new ApiError(415, 'unsupported-media-type', 'send the params as a JSON object with Content-Type application/json');
    const notFound = new ApiError(404, 'webhook-not-found', `workflow '${name}' takes no webhooks (it needs a registered version with 'webhook: { secret: NAME }')`);
    const { spec, version } = await workflowSpec(ctx, name).catch(() => {
      throw notFound;
    });
    const hook = spec.webhook;
    if (!hook) throw notFound;
    const declared = (spec.secrets ?? []).filter((s) => s.name === hook.secret);
    const secrets = resolveSecrets(declared, spec.baseDir, ctx.env);
    const secret = secrets.ok ? secrets.values[hook.secret] : undefined;
    if (secret === undefined) {
      req.log.error({ workflow: name, secret: hook.secret }, 'webhook secret missing on this server');
      throw new ApiError(503, 'webhook-secret-missing', `the server cannot read the webhook secret '${hook.secret}' of workflow '${name}'`);
    }
    const header = (h: string): string | undefined => {
      const v = req.headers[h];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const ts = header(TIMESTAMP_HEADER);
    const sig = header(SIGNATURE_HEADER);
    const delivery = header(DELIVERY_HEADER);
    if (ts === undefined || sig === undefined || delivery === undefined) {
      throw new ApiError(401, 'unsigned', `a webhook needs the headers ${TIMESTAMP_HEADER}, ${DELIVERY_HEADER} and ${SIGNATURE_HEADER}`);
    }
    const now = ctx.clock();
    const seconds = /^\d{1,12}$/.test(ts) ? Number(ts) : NaN;
    if (!Number.isFinite(seconds) || Math.abs(now / 1000 - seconds) > hook.toleranceSec) {
      throw new ApiError(401, 'stale-signature', `${TIMESTAMP_HEADER} must be Unix seconds within ${hook.toleranceSec} s of the server's clock`);
    }
    const want = Buffer.from(signWebhook(secret, seconds, raw));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw new ApiError(401, 'bad-signature', 'the signature does not match the body');
    if (delivery.length > 200) throw new ApiError(400, 'invalid-request', `${DELIVERY_HEADER} is longer than 200 characters`);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch (e) {
      throw new ApiError(400, 'malformed-json', `the body is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'invalid-request', 'the body must be a JSON object: its fields are the run params');
    const params = resolveParams(spec, body as Record<string, JsonValue>);
    const run = newRun(spec, version, { params, trigger: 'webhook' }, now);
    const r = await ctx.store.api.createWebhookRun({ workflow: name, id: delivery, receivedAt: now }, run.record, run.steps, run.events);
    if (!r.created) throw new ApiError(409, 'duplicate-delivery', `delivery '${delivery}' was already received; it started run ${r.runId}`, { runId: r.runId });
    ctx.onRunQueued(r.runId);
    return reply.status(202).send({ runId: r.runId });
  });
}
