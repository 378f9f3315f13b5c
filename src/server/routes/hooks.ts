/**
 * @module server/routes/hooks
 * Webhooks in: `POST /hooks/{workflow}` starts a run with the JSON body as params. No bearer
 * token: the sender signs `<timestamp>.<delivery>.<raw body>` with the workflow's
 * `webhook.secret`. What a request must carry is decided in `triggers/webhooks.ts`; this
 * route reads the raw body and headers, maps each refusal to its status, and records the run.
 */
import { z } from 'zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import {
  DELIVERY_HEADER, SIGNATURE_HEADER, SIGNED_TEXT, TIMESTAMP_HEADER, WebhookError, deliveryOutcome, verifyWebhook, webhookParams, webhookRunInput, webhookSecret,
} from '../../triggers/index.js';
import type { WebhookProblem } from '../../triggers/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { ErrorSchema } from '../schemas.js';
import { workflowSpec } from './runs.js';

export { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from '../../triggers/index.js';

const errors = {
  400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema,
  429: ErrorSchema.describe('too many requests from this address for this workflow (`rate-limited`), or intake refused: too many runs wait to start (`intake-refused`, with a `Retry-After` header in seconds)'),
  503: ErrorSchema,
};

/** The status of each refusal: 401 for what proves the sender, 400 for what it sent. */
const STATUS: Record<WebhookProblem, number> = { unsigned: 401, 'stale-signature': 401, 'bad-signature': 401, 'invalid-request': 400, 'malformed-json': 400 };

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
      operationId: 'postWebhook',
      summary: 'Start a run of a workflow with the JSON body as params (HMAC-signed, no token)',
      description: `\`${SIGNATURE_HEADER}\` is \`sha256=\` + hex HMAC-SHA256 of \`${SIGNED_TEXT}\` keyed with the workflow's webhook secret. Signatures of \`<timestamp>.<raw body>\` alone (before the delivery id was signed) are refused.`,
      security: [],
      params: z.object({ workflow: z.string() }),
      headers: z.looseObject({
        [TIMESTAMP_HEADER]: z.string().describe('send time, Unix seconds; refused beyond the workflow\'s toleranceSec (300)'),
        [DELIVERY_HEADER]: z.string().describe('unique per delivery (at most 200 characters): a second request with the same id starts nothing'),
        [SIGNATURE_HEADER]: z.string().describe(`sha256= + hex HMAC-SHA256 of ${SIGNED_TEXT}`),
      }),
      body: z.record(z.string(), z.unknown()).describe('the run params'),
      response: { 202: z.object({ runId: z.string() }), ...errors },
    },
    // The body stays raw bytes (the signature covers them) and the headers are checked by
    // verifyWebhook, which answers a missing one with 401 'unsigned' rather than a 400: the
    // schemas above document them.
    validatorCompiler: (route) => (route.httpPart === 'body' || route.httpPart === 'headers' ? (data: unknown) => ({ value: data }) : (validatorCompiler as unknown as (r: typeof route) => (data: unknown) => { value?: unknown; error?: Error })(route)),
  }, async (req, reply) => {
    const name = req.params.workflow;
    const raw: unknown = req.body;
    if (!Buffer.isBuffer(raw)) throw new ApiError(415, 'unsupported-media-type', 'send the params as a JSON object with Content-Type application/json');
    const notFound = new ApiError(404, 'webhook-not-found', `workflow '${name}' takes no webhooks (it needs a registered version with 'webhook: { secret: NAME }')`);
    const { spec, version } = await workflowSpec(ctx, name).catch(() => {
      throw notFound;
    });
    const key = webhookSecret(spec, ctx.env);
    if (!key.declared) throw notFound;
    if (key.secret === undefined) {
      req.log.error({ workflow: name, secret: key.name }, 'webhook secret missing on this server');
      throw new ApiError(503, 'webhook-secret-missing', `the server cannot read the webhook secret '${key.name ?? ''}' of workflow '${name}'`);
    }
    const header = (h: string): string | undefined => {
      const v = req.headers[h];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const now = ctx.clock();
    let input;
    try {
      const { delivery } = verifyWebhook(
        { timestamp: header(TIMESTAMP_HEADER), delivery: header(DELIVERY_HEADER), signature: header(SIGNATURE_HEADER) },
        raw, { secret: key.secret, toleranceSec: spec.webhook!.toleranceSec, now },
      );
      input = webhookRunInput(spec, version, webhookParams(raw), delivery, now);
    } catch (e) {
      if (e instanceof WebhookError) throw new ApiError(STATUS[e.code], e.code, e.message);
      throw e;
    }
    const { run, delivery } = input;
    const record = (): ReturnType<typeof ctx.store.api.createWebhookRun> => ctx.store.api.createWebhookRun({ ...delivery, workflow: name }, run.record, run.steps, run.events);
    const recorded = ctx.intake ? await ctx.intake.admit('webhook', record, (r) => r.created) : await record();
    const outcome = deliveryOutcome(delivery.id, recorded);
    if (!outcome.accepted) throw new ApiError(409, 'duplicate-delivery', outcome.message, { runId: outcome.runId });
    ctx.onRunQueued(outcome.runId);
    return reply.status(202).send({ runId: outcome.runId });
  });
}
