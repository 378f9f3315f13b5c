/**
 * @module server/routes/alerts
 * Alerts (list, show with events and deliveries, acknowledge, resolve), silences (list,
 * create, end) and rules (list; set and delete through the API). Viewers read; operators
 * acknowledge, resolve and silence; admins set and delete rules. A rule set here is stored
 * and overrides the config's (or the built-in) rule of its name on every server of the
 * store; deleting it restores that one. Rule routes live under `/alert-rules/{name}`:
 * `/alerts/rules/{name}` would be ambiguous with `/alerts/{id}/ack` (OpenAPI paths).
 */
import { z } from 'zod';
import { ALERT_STATES, newAlertId } from '../../store/index.js';
import type { AlertState } from '../../store/index.js';
import { AlertBook, AlertStateError, compileRule, summarizeRule } from '../../observe/index.js';
import { parseDuration, validateAlertRule } from '../../workflow/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { AlertEventSchema, AlertRuleInfoSchema, AlertSchema, DeliverySchema, ErrorSchema, SilenceMatcherSchema, SilenceSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const NoteSchema = z.object({ note: z.string().max(2000).optional() }).optional();
const RuleParams = z.object({ name: z.string().min(1).max(100).describe('the rule\'s name') });

/** Registers alert and silence routes on the `/api/v1` scope. */
export function registerAlertRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;
  const book = ctx.alerts?.book ?? new AlertBook(store.alerts, ctx.clock, () => undefined);
  const actor = (name: string | undefined): string => `token:${name ?? 'unknown'}`;
  const found = async <T>(p: Promise<T | undefined>, id: string): Promise<T> => {
    const v = await p;
    if (v === undefined) throw new ApiError(404, 'alert-not-found', `no alert ${id}`);
    return v;
  };
  const lifecycle = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AlertStateError) throw new ApiError(409, 'alert-state', e.message);
      throw e;
    }
  };

  app.get('/alerts', {
    config: { role: 'viewer' },
    schema: {
      tags: ['alerts'], operationId: 'listAlerts', summary: 'Alerts, newest first',
      querystring: z.object({
        state: z.string().optional().describe(`comma-separated: ${ALERT_STATES.join(', ')}; "open" = all but resolved`),
        rule: z.string().optional(), workflow: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: { 200: z.object({ alerts: z.array(AlertSchema) }), ...errors },
    },
  }, async (req) => {
    const states = req.query.state?.split(',').flatMap((s) => (s === 'open' ? ['firing', 'acknowledged', 'silenced'] : [s.trim()]));
    const bad = states?.find((s) => !ALERT_STATES.includes(s as AlertState));
    if (bad !== undefined) throw new ApiError(400, 'bad-request', `unknown alert state "${bad}": ${ALERT_STATES.join(', ')} or open`);
    const alerts = await store.alerts.list({
      limit: req.query.limit,
      ...(states ? { state: states as AlertState[] } : {}),
      ...(req.query.rule ? { rule: req.query.rule } : {}),
      ...(req.query.workflow ? { workflow: req.query.workflow } : {}),
    });
    return { alerts };
  });

  app.get('/alerts/rules', {
    config: { role: 'viewer' },
    schema: {
      tags: ['alerts'], operationId: 'listAlertRules',
      summary: "Every rule in effect for all workflows, with its source: the config file's (or the built-in ones), and those set through the API",
      response: { 200: z.object({ rules: z.array(AlertRuleInfoSchema) }), ...errors },
    },
  }, async () => {
    await ctx.alerts?.refreshRules();
    return { rules: (ctx.alerts?.serverRules() ?? []).map(summarizeRule) };
  });

  const inEffect = (name: string): z.output<typeof AlertRuleInfoSchema> | undefined => {
    const r = ctx.alerts?.serverRules().find((x) => x.name === name);
    return r ? summarizeRule(r) : undefined;
  };

  app.put('/alert-rules/:name', {
    config: { role: 'admin' },
    schema: {
      tags: ['alerts'], operationId: 'setAlertRule',
      summary: 'Set an alert rule: stored, it overrides the config\'s (or the built-in) rule of this name on every server of the store within about a second',
      description: 'A 400 (`invalid-rule`) names the first problem\'s field in its message; `error.details` lists every problem (`path`, `message`, `suggestion`).',
      params: RuleParams,
      body: z.record(z.string(), z.unknown()).describe('one rule in the shape of a baton.config.yaml rule (name, rule, notify, after, p95Factor, escalate, …); name defaults to the path\'s'),
      response: {
        200: z.object({ rule: AlertRuleInfoSchema, created: z.boolean().describe('false when it replaced a rule set through the API before') }),
        ...errors,
      },
    },
  }, async (req) => {
    const channels = new Set(ctx.alerts?.channelNames() ?? []);
    const { rule, errors: problems } = validateAlertRule(req.body, { label: 'request body', name: req.params.name, channels });
    if (!rule) {
      const first = problems[0]!;
      throw new ApiError(400, 'invalid-rule', `the rule is invalid: ${first.path || 'body'}: ${first.message}${first.suggestion ? ` (did you mean "${first.suggestion}"?)` : ''}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, problems);
    }
    const { created } = await store.alerts.putRule({ name: rule.name, definition: rule, updatedAt: ctx.clock(), updatedBy: actor(req.token?.name) });
    await ctx.alerts?.refreshRules();
    ctx.alerts?.wake();
    // Without alerting (an API-only process) the rule is stored for the servers that alert.
    return { rule: inEffect(rule.name) ?? summarizeRule({ ...compileRule(rule, []), source: 'api', definition: rule }), created };
  });

  app.delete('/alert-rules/:name', {
    config: { role: 'admin' },
    schema: {
      tags: ['alerts'], operationId: 'deleteAlertRule',
      summary: 'Delete a rule set through the API: the config\'s (or the built-in) rule of its name applies again',
      params: RuleParams,
      response: { 200: z.object({ deleted: z.string(), restored: AlertRuleInfoSchema.optional().describe('the rule of this name in effect now, if any') }), ...errors },
    },
  }, async (req) => {
    if (!(await store.alerts.deleteRule(req.params.name))) throw new ApiError(404, 'rule-not-found', `no rule ${req.params.name} was set through the API`);
    await ctx.alerts?.refreshRules();
    const restored = inEffect(req.params.name);
    return { deleted: req.params.name, ...(restored ? { restored } : {}) };
  });

  app.get('/alerts/:id', {
    config: { role: 'viewer' },
    schema: {
      tags: ['alerts'], operationId: 'getAlert', summary: 'One alert with its events and deliveries', params: z.object({ id: z.string() }),
      response: { 200: z.object({ alert: AlertSchema, events: z.array(AlertEventSchema), deliveries: z.array(DeliverySchema) }), ...errors },
    },
  }, async (req) => {
    const alert = await found(store.alerts.get(req.params.id), req.params.id);
    const deliveries = (await store.alerts.deliveriesFor(alert.id)).map(({ body: _b, leaseOwner: _o, leaseUntil: _u, ...d }) => d);
    return { alert, events: await store.alerts.events(alert.id), deliveries };
  });

  for (const action of ['ack', 'resolve'] as const) {
    app.post(`/alerts/:id/${action}`, {
      config: { role: 'operator' },
      schema: {
        tags: ['alerts'], operationId: action === 'ack' ? 'acknowledgeAlert' : 'resolveAlert',
        summary: action === 'ack' ? 'Acknowledge: stops escalation and reminders' : 'Resolve by hand',
        params: z.object({ id: z.string() }), body: NoteSchema, response: { 200: z.object({ alert: AlertSchema }), ...errors },
      },
    }, async (req) => {
      await found(store.alerts.get(req.params.id), req.params.id);
      const who = actor(req.token?.name);
      const note = req.body?.note;
      const alert = await lifecycle(() => (action === 'ack' ? book.acknowledge(req.params.id, who, note) : book.resolve(req.params.id, who, note)));
      ctx.alerts?.wake();
      return { alert };
    });
  }

  app.get('/silences', {
    config: { role: 'viewer' },
    schema: { tags: ['alerts'], operationId: 'listSilences', summary: 'Silences in effect or to come', response: { 200: z.object({ silences: z.array(SilenceSchema) }), ...errors } },
  }, async () => ({ silences: await store.alerts.silences(ctx.clock()) }));

  app.post('/silences', {
    config: { role: 'operator' },
    schema: {
      tags: ['alerts'], operationId: 'createSilence', summary: 'Silence matching alerts for a while',
      body: z.object({
        matchers: z.array(SilenceMatcherSchema).min(1),
        duration: z.union([z.string(), z.number()]).optional().describe('e.g. "2h"; or give endsAt'),
        endsAt: z.number().int().optional(), startsAt: z.number().int().optional(), comment: z.string().max(2000).optional(),
      }),
      response: { 201: z.object({ silence: SilenceSchema }), ...errors },
    },
  }, async (req, reply) => {
    const now = ctx.clock();
    const startsAt = req.body.startsAt ?? now;
    let endsAt = req.body.endsAt;
    if (endsAt === undefined) {
      if (req.body.duration === undefined) throw new ApiError(400, 'bad-request', 'give duration (e.g. "2h") or endsAt');
      try {
        endsAt = startsAt + parseDuration(req.body.duration);
      } catch {
        throw new ApiError(400, 'bad-request', `duration "${String(req.body.duration)}" is not a duration such as "30m" or "2h"`);
      }
    }
    if (endsAt <= startsAt) throw new ApiError(400, 'bad-request', 'a silence must end after it starts');
    const input = { matchers: req.body.matchers, startsAt, endsAt, createdBy: actor(req.token?.name), ...(req.body.comment ? { comment: req.body.comment } : {}) };
    const silence = ctx.alerts
      ? await ctx.alerts.silence(input)
      : await (async () => {
        const rec = { ...input, id: newAlertId('si', now), createdAt: now };
        await store.alerts.createSilence(rec);
        return rec;
      })();
    return reply.code(201).send({ silence });
  });

  app.delete('/silences/:id', {
    config: { role: 'operator' },
    schema: { tags: ['alerts'], operationId: 'expireSilence', summary: 'End a silence now', params: z.object({ id: z.string() }), response: { 200: z.object({ silence: SilenceSchema }), ...errors } },
  }, async (req) => {
    const s = await store.alerts.getSilence(req.params.id);
    if (!s) throw new ApiError(404, 'silence-not-found', `no silence ${req.params.id}`);
    if (ctx.alerts) await ctx.alerts.unsilence(s.id);
    else await store.alerts.expireSilence(s.id, ctx.clock());
    return { silence: (await store.alerts.getSilence(s.id))! };
  });
}
