/**
 * @module server/app
 * The HTTP API of `baton server`: fastify with zod schemas (validation and the OpenAPI
 * document come from the same schemas), bearer tokens with roles, one error shape.
 * Routes live under `/api/v1`; `/healthz`, `/readyz`, `/metrics` and `/hooks/{workflow}` sit beside it.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WorkflowSpec } from '../workflow/index.js';
import type { FleetStore, Role, RunRecord, SessionRecord, Store, TokenRecord } from '../store/index.js';
import type { StartRunOptions, ThrottleStatus } from '../runtime/index.js';
import type { IntakeGate } from '../triggers/index.js';
import type { MetricsContributor } from '../observe/index.js';
import { ApiError, clientErrorHandler, frameworkErrors, installErrorHandling } from './errors.js';
import { allows, verifyToken } from './tokens.js';
import { registerRunRoutes } from './routes/runs.js';
import { registerWorkflowRoutes } from './routes/workflows.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHookRoutes } from './routes/hooks.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerAlertRoutes } from './routes/alerts.js';
import type { AlertService, EtaService } from '../observe/index.js';
import { createEtaService } from '../observe/index.js';
import { registerForecastRoutes } from './routes/forecast.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerUploadRoutes } from './routes/uploads.js';
import type { UploadLimits } from './uploads.js';
import { DEFAULT_UPLOAD_LIMITS } from './uploads.js';
import { DEFAULT_WEB_DIR, registerWebRoutes } from './routes/web.js';
import { CSRF_HEADER, findSession, SESSION_COOKIE } from './sessions.js';
import { transformDocument, transformRoute } from './openapi.js';
import { BATON_VERSION } from '../shared/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The weakest role that may call the route; absent = public (health, docs, webhooks). */
    role?: Role;
  }
  interface FastifyRequest {
    /** The caller's token, on routes that need one (the session's, for a session cookie). */
    token?: TokenRecord;
    /** The dashboard session the request's cookie holds, when it authenticated with one. */
    session?: SessionRecord;
  }
}

/**
 * What the API asks of the process that serves it about running runs (`modes/` provides
 * it; the API never builds an engine itself). Every method returns at once or with the
 * created run; none throws for a run another process holds.
 */
export interface RunService {
  /** Creates a run due now and starts it on this process's engine in one step. */
  start(spec: WorkflowSpec, version: string, opts: StartRunOptions): Promise<RunRecord>;
  /**
   * The API queued a run (created, retried, resumed) with this id, or changed what may
   * start (a schedule resumed, a workflow registered) without one: start what can start
   * now instead of at the next poll.
   */
  startQueued(runId?: string): void;
  /** The API paused, resumed or re-prioritised a run this process may hold: apply it now. */
  refresh(runId: string): void;
}

/** Options of {@link buildApi}. */
export interface ApiOptions {
  /** Where runs, workflows and tokens are read and written. */
  store: Store;
  /** Where logs and outputs live (attempt log paths are read from here). */
  dataDir: string;
  /** The fleet (PostgreSQL): enables the workers routes. */
  fleet?: FleetStore;
  /**
   * Log bytes this process's worker shipped to the store so far (`Worker.logBytesShipped`):
   * exposed as the counter `baton_log_bytes_shipped_total`. @default no such counter
   */
  logBytesShipped?: () => number;
  /**
   * This process's adaptive slots (its engine's, or its fleet worker's), for the
   * `baton_slots_limit` gauges of `/metrics`. @default no throttle series
   */
  throttle?: () => ThrottleStatus | undefined;
  /** Folder that `uses` module paths of workflows registered through the API resolve from. @default process.cwd() */
  baseDir?: string;
  /**
   * The process's runs. Without it the API only records runs (`queued`) for another
   * process to start, and changes reach holders at their next heartbeat.
   */
  runs?: RunService;
  /** Emits `events` when this process committed events, so live feeds read at once instead of at their next poll. */
  feedSignal?: EventEmitter;
  /** Largest request body, bytes. @default 1 MiB */
  bodyLimitBytes?: number;
  /** Webhook requests allowed per client address and workflow per minute. @default 120 */
  webhookRatePerMinute?: number;
  /** Where webhook secrets are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Longest wait between two reads of the event table by a live feed, ms. @default 250 */
  feedPollMs?: number;
  /** The current time, ms since the epoch (tests pass a virtual clock). @default Date.now */
  clock?: () => number;
  /** pino logging of requests. @default false */
  logger?: boolean;
  /** Extra series for `/metrics` (alert rules, deliveries…), each called once with its registry. @default none */
  metrics?: readonly MetricsContributor[];
  /**
   * Longest time to receive a whole request, headers and body, ms (Node's `requestTimeout`;
   * its own default, 300 s, let a client dripping a body hold a connection for five
   * minutes). Answered 408 in the error shape. @default 30 000
   */
  requestTimeoutMs?: number;
  /** Longest time to receive a request's headers, ms (Node's `headersTimeout`). @default 10 000 */
  headersTimeoutMs?: number;
  /** The server's alerting; without it the alert routes read and write the store directly. */
  alerts?: AlertService;
  /**
   * The built dashboard (`index.html` and `assets/`), served at `/`. A folder without
   * `index.html` answers pages with 503 and how to build it. @default the package's `dist/web`
   */
  webDir?: string;
  /** Limits of one upload of files for a batch run (`POST /uploads`). @default {@link DEFAULT_UPLOAD_LIMITS}: 100 MiB a file, 10 000 files, 1 GiB in all */
  uploads?: Partial<UploadLimits>;
  /**
   * Backpressure: `POST /runs` and `POST /hooks/{workflow}` pass through it and are answered
   * 429 with `Retry-After` when it refuses. @default none: nothing is refused
   */
  intake?: IntakeGate;
  /**
   * The ETAs of runs shown in the run resource (`eta`). @default one created on `store`
   * and `clock` (pass the process's own, so the alerting and the API share one cache)
   */
  eta?: EtaService;
}

/** Options with every default filled in: what route modules receive. */
export interface ApiContext extends Required<Omit<ApiOptions, 'fleet' | 'runs' | 'logger' | 'requestTimeoutMs' | 'headersTimeoutMs' | 'alerts' | 'logBytesShipped' | 'webDir' | 'uploads' | 'intake' | 'eta' | 'throttle'>> {
  /** ETAs of active runs for the run resource. */
  eta: EtaService;
  alerts: AlertService | undefined;
  intake: IntakeGate | undefined;
  fleet: FleetStore | undefined;
  logBytesShipped: (() => number) | undefined;
  throttle: (() => ThrottleStatus | undefined) | undefined;
  startRun: RunService['start'] | undefined;
  onRunQueued: (runId?: string) => void;
  onRunChanged: (runId: string) => void;
  /** Limits of one upload, every one set. */
  uploads: UploadLimits;
  /** Compiled definitions by version: versions are immutable, so one parse serves every request. */
  specs: Map<string, WorkflowSpec>;
}

/** The fastify instance with zod schemas, as route modules use it. */
export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** Methods that change nothing (RFC 9110 §9.2.1): they need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A header's one value (a repeated header is refused as absent). */
function headerValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Where the API lives. */
export const API_PREFIX = '/api/v1';

/** Largest request body by default, bytes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Longest time to receive a request by default, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Longest time to receive a request's headers by default, ms. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

/** {@link ApiOptions} compiled: every default filled in once, with the HTTP timeouts Node needs. */
export interface CompiledApiOptions extends ApiContext {
  webDir: string;
  timeouts: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
}

/** Fills in the defaults written in {@link ApiOptions}' TSDoc, once. */
export function compileApiOptions(o: ApiOptions): CompiledApiOptions {
  const requestTimeout = o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  // Node requires headersTimeout <= requestTimeout (0 = no request timeout), and enforces
  // both only when it checks its connections (every 30 s by default): check a few times
  // per timeout so a late request is answered near its deadline, not up to 30 s after.
  const headersTimeout = requestTimeout > 0 ? Math.min(o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout) : (o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS);
  const connectionsCheckingInterval = Math.min(30_000, Math.max(50, Math.floor(Math.min(headersTimeout, requestTimeout || headersTimeout) / 4)));
  const clock = o.clock ?? Date.now;
  const ctx: CompiledApiOptions = {
    store: o.store,
    eta: o.eta ?? createEtaService({ store: o.store, clock }),
    dataDir: o.dataDir,
    fleet: o.fleet,
    alerts: o.alerts,
    intake: o.intake,
    logBytesShipped: o.logBytesShipped,
    throttle: o.throttle,
    baseDir: o.baseDir ?? process.cwd(),
    onRunQueued: o.runs ? (id) => o.runs!.startQueued(id) : () => undefined,
    onRunChanged: o.runs ? (id) => o.runs!.refresh(id) : () => undefined,
    startRun: o.runs ? (spec, version, opts) => o.runs!.start(spec, version, opts) : undefined,
    feedSignal: o.feedSignal ?? new EventEmitter(),
    bodyLimitBytes: o.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    webhookRatePerMinute: o.webhookRatePerMinute ?? 120,
    env: o.env ?? process.env,
    feedPollMs: o.feedPollMs ?? 250,
    clock,
    metrics: o.metrics ?? [],
    specs: new Map(),
    webDir: o.webDir ?? DEFAULT_WEB_DIR,
    uploads: { ...DEFAULT_UPLOAD_LIMITS, ...o.uploads },
    timeouts: { requestTimeout, headersTimeout, connectionsCheckingInterval },
  };
  ctx.feedSignal.setMaxListeners(0);
  return ctx;
}

/**
 * Builds the API (not listening yet: call `app.listen` or `app.inject`).
 * @example
 * const app = await buildApi({ store, dataDir: '.baton' });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 */
export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const ctx = compileApiOptions(o);
  const { requestTimeout, headersTimeout, connectionsCheckingInterval } = ctx.timeouts;
  const app = Fastify({
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval },
    logger: o.logger ?? false,
    bodyLimit: ctx.bodyLimitBytes,
    return503OnClosing: true,
    requestTimeout,
    // Unique across restarts and nodes, so a request id quoted from a 500 finds one log line.
    genReqId: () => randomUUID(),
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The dashboard's page fallback is known once its routes are registered; the not-found
  // handler asks it then.
  let pageFallback: (req: FastifyRequest, reply: FastifyReply) => boolean = () => false;
  installErrorHandling(app, {
    ...(o.logger ? { logFailure: (f) => app.log.error({ reqId: f.requestId, method: f.method, url: f.url, err: f.error }, 'request failed') } : {}),
    fallback: (req, reply) => pageFallback(req, reply),
  });
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyHelmet, {
    global: true,
    // The dashboard loads only its own files: no inline script or style, no eval, no
    // framing. No upgrade-insecure-requests: a server on http://127.0.0.1 must stay reachable.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"],
        connectSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'self'"], frameAncestors: ["'none'"], formAction: ["'self'"],
      },
    },
  });
  await app.register(fastifyCookie);
  // Uploads stream to disk part by part (routes/uploads.ts sets its limits per request).
  await app.register(fastifyMultipart);
  // The CSRF secret lives in the session's row (`request.session.csrfSecret`, where the
  // plugin looks for @fastify/session's): a token is bound to one session, and holds on
  // every server of a fleet and across restarts.
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session', sessionKey: 'csrfSecret', getToken: (req) => headerValue(req.headers[CSRF_HEADER]) });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'baton API',
        version: BATON_VERSION,
        description: 'Runs, workflows, schedules, workers, live events and run history of a baton server. Every route but health, the documentation, webhooks and log-in needs `Authorization: Bearer <token>` (`baton token create`) or the dashboard session cookie (`POST /session`; a change made with it also sends `X-CSRF-Token`). Times are ms since the Unix epoch. Errors: `{ error: { code, message, details } }`.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      // `baton server`'s default address; clients pass their server's as the base URL.
      servers: [{ url: 'http://127.0.0.1:8080', description: 'a local `baton server` on its default address' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: transformRoute,
    transformObject: transformDocument,
  });
  // The documentation page carries inline scripts: it sends its own policy, with their
  // hashes, in place of the dashboard's (still no upgrade-insecure-requests, as above).
  await app.register(fastifySwaggerUi, {
    routePrefix: `${API_PREFIX}/docs`,
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/, ''),
  });

  app.addHook('onRequest', async (req) => {
    const role = req.routeOptions.config.role;
    if (role === undefined) return;
    const header = req.headers.authorization;
    let token: TokenRecord | undefined;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw new ApiError(401, 'unauthenticated', 'the Authorization header must be `Bearer <token>`; create a token with `baton token create`');
      token = await verifyToken(ctx.store, m[1]!, ctx.clock());
      if (!token) throw new ApiError(401, 'unauthenticated', 'the token is unknown, malformed or revoked');
    } else {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie === undefined) throw new ApiError(401, 'unauthenticated', 'this route needs an Authorization: Bearer <token> header (create a token with `baton token create`) or a dashboard session (POST /api/v1/session)');
      const live = await findSession(ctx.store, cookie, ctx.clock());
      if (!live) throw new ApiError(401, 'unauthenticated', 'the session expired or was ended: log in again');
      token = live.token;
      req.session = live.session;
    }
    if (!allows(token.role, role)) throw new ApiError(403, 'forbidden', `this route needs the ${role} role; the token has ${token.role}`);
    req.token = token;
  });
  // A cookie goes with every request the browser makes to this origin, whoever's page
  // started it: a state change made with one must prove it came from the dashboard. A
  // bearer token is never sent by the browser on its own, so it needs no such proof.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.session === undefined || SAFE_METHODS.has(req.method)) return done();
    app.csrfProtection(req, reply, done);
  });

  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, () => app.swagger());
  registerHealthRoutes(app, ctx);
  await app.register((scope: ApiApp, _opts, done) => {
    registerWorkflowRoutes(scope, ctx);
    registerRunRoutes(scope, ctx);
    registerOpsRoutes(scope, ctx);
    registerEventRoutes(scope, ctx);
    registerAlertRoutes(scope, ctx);
    registerHistoryRoutes(scope, ctx);
    registerForecastRoutes(scope, ctx);
    registerSessionRoutes(scope, ctx);
    registerUploadRoutes(scope, ctx);
    done();
  }, { prefix: API_PREFIX });
  await app.register((scope: ApiApp, _opts, done) => {
    registerHookRoutes(scope, ctx);
    done();
  });
  pageFallback = await registerWebRoutes(app, ctx.webDir);
  return app;
}
