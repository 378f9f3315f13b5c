/**
 * @module cli/client
 * A small typed client of the baton HTTP API (`/api/v1`), used by the CLI when `--server`
 * (or `BATON_SERVER`) names a server: commands then read and change runs through the API
 * instead of opening a store. It uses the global `fetch` only, so `baton --help` loads no
 * HTTP framework. Every failure is a {@link ClientError}: the API's own `{error}` body, or
 * a transport problem (unreachable, not a baton API) named with the URL.
 * @see src/server/routes/runs.ts and src/server/schemas.ts for the shapes.
 */
import { z } from 'zod';
import type { AlertEventRecord, AlertRecord, AttemptRecord, DeliveryRecord, ExportPage, HistoryBucketSize, HistorySummary, NewEvent, RunRecord, SilenceMatcher, SilenceRecord, StepWaiting, StoredStepRun } from '../store/index.js';
import { AlertEventSchema, AppliedRecoverySchema, AlertRuleInfoSchema, AlertSchema, BreakerSchema, DeliverySchema, DiagnosisSchema, ForecastSchema, HistorySchema, LogSearchSchema, RunDetailSchema, RunExportPageSchema, RunPageSchema, RunSchema, SilenceSchema, WorkflowVersionSchema } from '../server/schemas.js';
import type { Diagnosis, LoadReport, LogQuery, LogSearchResult, RunEta } from '../observe/index.js';
import type { BreakerSummary } from '../core/index.js';

/** A rule in effect, as `GET /alerts/rules` lists it (the server's `AlertRuleInfo` schema). */
export type AlertRuleInfo = z.output<typeof AlertRuleInfoSchema>;

/** An alert's page: the alert, its events, its deliveries without their bodies. */
export interface AlertDetail {
  alert: AlertRecord;
  events: AlertEventRecord[];
  deliveries: Omit<DeliveryRecord, 'body' | 'leaseOwner' | 'leaseUntil'>[];
}
import type { GlobalOptions } from './context.js';
import { CliError } from './context.js';
import { BatonError, errorMessage } from '../shared/index.js';

/** Header naming a registered file's absolute path (see `ApiClient.registerWorkflow`). */
const SOURCE_PATH_HEADER = 'x-baton-source-path';

/** Where the API lives under the server's URL. */
const PREFIX = '/api/v1';

/** A request the server refused or could not be sent. */
export class ClientError extends BatonError {
  constructor(
    /** HTTP status, or 0 when no response came (unreachable server, not a baton API). */
    readonly status: number,
    /** The API's error code (`run-not-found`, `forbidden`, …), or `unreachable` / `bad-response`. */
    code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
    /** Seconds the server asked to wait before trying again (a 429's `Retry-After`). */
    readonly retryAfterSec?: number,
  ) {
    super(code, message, options);
  }
}

/**
 * A step run as the API gives it: no `runId`; `waitedMs` while queued. Checked on read
 * against the server's `StepRun` schema; JSON fields (output, details) keep the record's types.
 */
export type ApiStepRun = Omit<StoredStepRun, 'runId'> & { waitedMs?: number; waiting?: StepWaiting };
/** A run as the API gives it (checked against the server's `Run` schema); `waitedMs` while queued. */
export type ApiRun = RunRecord & { waitedMs?: number; eta?: RunEta };

/** `GET /runs/{id}`. */
export interface RunDetail {
  run: ApiRun;
  /** The run's OpenTelemetry trace id (32 hex characters). */
  traceId: string;
  steps: ApiStepRun[];
  attempts: AttemptRecord[];
}

const RunBody = z.object({ run: RunSchema });
const Registered = z.object({ name: z.string(), version: z.string(), created: z.boolean() });

/** Filters of `GET /runs`. */
export interface RunFilter {
  workflow?: string;
  state?: string[];
  limit?: number;
}

/** One read of an attempt's log: the bytes from `offset`, the size when read and where to go on. */
export interface LogChunk {
  text: Buffer;
  size: number;
  next: number;
}

/** An event of the live feed: the stored event, with `id` its cursor. */
export interface FeedMessage {
  id: string;
  event: NewEvent;
}

/** Live events from {@link ApiClient.subscribe}. */
export interface Subscription {
  events: AsyncGenerator<FeedMessage>;
  /** Ends the stream (idempotent). */
  close(): void;
}

/** The server URL chosen by `--server` or `BATON_SERVER`, if any. */
export function serverUrl(o: GlobalOptions): string | undefined {
  const url = (o.server ?? process.env.BATON_SERVER)?.trim();
  return url ? url : undefined;
}

/**
 * The client for `--server`/`BATON_SERVER` with the token of `--token`/`BATON_TOKEN`, or
 * undefined when no server is named (the command then opens its store).
 * @throws CliError when a server is named without a token, or the URL is not http(s).
 */
export function connect(o: GlobalOptions): ApiClient | undefined {
  const url = serverUrl(o);
  if (url === undefined) return undefined;
  const token = (o.token ?? process.env.BATON_TOKEN)?.trim();
  if (!token) {
    throw new CliError(`--server ${url} needs an API token: give --token or set BATON_TOKEN (on the server: baton token create --role operator)`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--server expects a URL such as http://localhost:8080, got '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError(`--server expects an http:// or https:// URL, got '${url}'`);
  return new ApiClient(url, token);
}

/** Refuses `--server` for a command (or mode of one) that only works on a local store. */
export function refuseServer(o: GlobalOptions, what: string, instead: string): void {
  const url = serverUrl(o);
  if (url !== undefined) throw new CliError(`${what} does not work against a server (--server ${url}); ${instead}`);
}

/** The baton HTTP API at one server, with one bearer token. */
export class ApiClient {
  /** The server's base URL, without a trailing slash or `/api/v1`: as messages show it. */
  readonly url: string;

  constructor(url: string, private readonly token: string) {
    this.url = url.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  }

  /** Recent runs, newest first: `limit` of them (default 50), page by page (the API gives 500 at most a page). */
  async listRuns(f: RunFilter): Promise<ApiRun[]> {
    const want = f.limit ?? 50;
    const runs: ApiRun[] = [];
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams();
      if (f.workflow !== undefined) q.set('workflow', f.workflow);
      if (f.state?.length) q.set('state', f.state.join(','));
      q.set('limit', String(Math.min(500, want - runs.length)));
      if (cursor !== undefined) q.set('cursor', cursor);
      const page = await this.json<{ runs: ApiRun[]; next?: string }>(RunPageSchema, 'GET', `/runs?${q.toString()}`);
      runs.push(...page.runs);
      cursor = page.runs.length ? page.next : undefined;
    } while (cursor !== undefined && runs.length < want);
    return runs;
  }

  /** `GET /history`: the summary of the runs that ended within `since` (a duration such as `7d`). */
  history(q: { since: string; by: HistoryBucketSize; workflow?: string }): Promise<HistorySummary> {
    const p = new URLSearchParams({ since: q.since, by: q.by });
    if (q.workflow !== undefined) p.set('workflow', q.workflow);
    return this.json<HistorySummary>(HistorySchema, 'GET', `/history?${p.toString()}`);
  }

  /** `GET /forecast`: the load forecast of the next `hours` (of one workflow's runs, with `workflow`). */
  forecast(q: { hours: number; workflow?: string }): Promise<LoadReport> {
    const p = new URLSearchParams({ hours: String(q.hours) });
    if (q.workflow !== undefined) p.set('workflow', q.workflow);
    return this.json<LoadReport>(ForecastSchema, 'GET', `/forecast?${p.toString()}`);
  }

  /** `GET /history/runs`: one page of the runs that ended within `since`, with their step runs. */
  exportRuns(q: { since: string; workflow?: string; cursor?: string; limit?: number }): Promise<ExportPage> {
    const p = new URLSearchParams({ since: q.since, limit: String(q.limit ?? 500) });
    if (q.workflow !== undefined) p.set('workflow', q.workflow);
    if (q.cursor !== undefined) p.set('cursor', q.cursor);
    return this.json<ExportPage>(RunExportPageSchema, 'GET', `/history/runs?${p.toString()}`);
  }

  /** A run (id or unique prefix) with its step runs and attempts. */
  getRun(id: string): Promise<RunDetail> {
    return this.json<RunDetail>(RunDetailSchema, 'GET', `/runs/${enc(id)}`);
  }

  /** `GET /runs/{id}/diagnosis`: why the run's failed steps (or `step`) failed, what may recover them. */
  getDiagnosis(id: string, step?: string): Promise<Diagnosis> {
    const q = step === undefined ? '' : `?${new URLSearchParams({ step }).toString()}`;
    return this.json<Diagnosis>(DiagnosisSchema, 'GET', `/runs/${enc(id)}/diagnosis${q}`);
  }

  /** `POST /runs/{id}/diagnosis/apply`: applies the `recovery`-th recovery (from 1) of the diagnosed step `step` (operator role). */
  applyRecovery(id: string, body: { recovery: number; step?: string }): Promise<{ run: ApiRun; steps: string[]; recovery: { stepId: string; rank: number; command: string } }> {
    return this.json(AppliedRecoverySchema, 'POST', `/runs/${enc(id)}/diagnosis/apply`, { body });
  }

  /** A registered workflow version with its stored (compiled) definition. */
  getWorkflowVersion(name: string, version: string): Promise<{ name: string; version: string; definition?: unknown }> {
    return this.json(WorkflowVersionSchema, 'GET', `/workflows/${enc(name)}/versions/${enc(version)}`);
  }

  /** Whether the server has this version of a workflow registered. */
  async hasWorkflowVersion(name: string, version: string): Promise<boolean> {
    try {
      await this.json(WorkflowVersionSchema, 'GET', `/workflows/${enc(name)}/versions/${enc(version)}`);
      return true;
    } catch (e) {
      if (e instanceof ClientError && e.code === 'workflow-not-found') return false;
      throw e;
    }
  }

  /**
   * Registers a workflow from its YAML or JSON text (admin role). `sourcePath`, the file's
   * absolute path, lets a server that sees the same path (one machine, a shared checkout)
   * resolve the workflow's relative paths (`./build.sh`, `cwd`, handlers) from its folder.
   */
  registerWorkflow(text: string, type: 'application/yaml' | 'application/json', sourcePath?: string): Promise<{ name: string; version: string; created: boolean }> {
    return this.json(Registered, 'POST', '/workflows', { text, type, ...(sourcePath !== undefined ? { headers: { [SOURCE_PATH_HEADER]: sourcePath } } : {}) });
  }

  /** Creates a run of a registered workflow. */
  async createRun(body: { workflow: string; version?: string; params?: Record<string, unknown>; priority?: number; concurrency?: number; at?: number }): Promise<ApiRun> {
    return (await this.json<{ run: ApiRun }>(RunBody, 'POST', '/runs', { body })).run;
  }

  /** Cancels a run. */
  cancel(id: string): Promise<{ run: ApiRun; outcome: 'requested' | 'cancelled' | 'finished' }> {
    return this.json(z.object({ run: RunSchema, outcome: z.enum(['requested', 'cancelled', 'finished']) }), 'POST', `/runs/${enc(id)}/cancel`, { body: {} });
  }

  /** Pauses a run; `changed` is false when it already was. */
  pause(id: string): Promise<{ run: ApiRun; changed: boolean }> {
    return this.json(z.object({ run: RunSchema, changed: z.boolean() }), 'POST', `/runs/${enc(id)}/pause`, { body: {} });
  }

  /** Unpauses a paused run, or has the server adopt one whose holder died. */
  resume(id: string): Promise<{ run: ApiRun; outcome: 'unpaused' | 'adopted' }> {
    return this.json(z.object({ run: RunSchema, outcome: z.enum(['unpaused', 'adopted']) }), 'POST', `/runs/${enc(id)}/resume`, { body: {} });
  }

  /** Sends signal `name` to a run, `payload` (JSON) becoming its waiting steps' output; returns the steps that took it. */
  signal(id: string, name: string, payload: unknown): Promise<{ run: ApiRun; steps: string[] }> {
    return this.json(z.object({ run: RunSchema, steps: z.array(z.string()) }), 'POST', `/runs/${enc(id)}/signals/${enc(name)}`, { body: payload ?? null });
  }

  /** Approves or rejects an approval step. */
  answerApproval(id: string, step: string, answer: { approved: boolean; note?: string }): Promise<{ run: ApiRun }> {
    return this.json(z.object({ run: RunSchema }), 'POST', `/runs/${enc(id)}/steps/${enc(step)}/approval`, { body: answer });
  }

  /** Re-runs steps of a run (`failed`, `from` a step) or retries it as a new run. */
  retry(id: string, body: { mode: 'new' | 'failed' | 'from'; step?: string; on?: string[] }): Promise<{ run: ApiRun; steps?: string[] }> {
    return this.json(z.object({ run: RunSchema, steps: z.array(z.string()).optional() }), 'POST', `/runs/${enc(id)}/retry`, { body });
  }

  /** Sets the priority of a waiting run. */
  async setPriority(id: string, priority: number): Promise<ApiRun> {
    return (await this.json<{ run: ApiRun }>(RunBody, 'POST', `/runs/${enc(id)}/priority`, { body: { priority } })).run;
  }

  /** Alerts matching `q` (`state`, `rule`, `workflow`, `limit`), newest first. */
  async listAlerts(q: Record<string, string>): Promise<AlertRecord[]> {
    return (await this.json<{ alerts: AlertRecord[] }>(z.object({ alerts: z.array(AlertSchema) }), 'GET', `/alerts?${new URLSearchParams(q).toString()}`)).alerts;
  }

  /** One alert with its events and deliveries (bodies left out). */
  async getAlert(id: string): Promise<AlertDetail> {
    return this.json<AlertDetail>(z.object({ alert: AlertSchema, events: z.array(AlertEventSchema), deliveries: z.array(DeliverySchema) }), 'GET', `/alerts/${enc(id)}`);
  }

  /** Acknowledges (`ack`) or resolves an alert, with a note. */
  async alertAction(id: string, action: 'ack' | 'resolve', note: string | undefined): Promise<AlertRecord> {
    return (await this.json<{ alert: AlertRecord }>(z.object({ alert: AlertSchema }), 'POST', `/alerts/${enc(id)}/${action}`, { body: note !== undefined ? { note } : {} })).alert;
  }

  /** Every rule in effect on the server, with its source. */
  async listAlertRules(): Promise<AlertRuleInfo[]> {
    return (await this.json<{ rules: AlertRuleInfo[] }>(z.object({ rules: z.array(AlertRuleInfoSchema) }), 'GET', '/alerts/rules')).rules;
  }

  /** Sets a rule through the API (admin); the server validates it. */
  setAlertRule(name: string, rule: unknown): Promise<{ rule: AlertRuleInfo; created: boolean }> {
    return this.json(z.object({ rule: AlertRuleInfoSchema, created: z.boolean() }), 'PUT', `/alert-rules/${enc(name)}`, { body: rule });
  }

  /** Deletes a rule set through the API (admin); `restored` is the rule of that name in effect now. */
  deleteAlertRule(name: string): Promise<{ deleted: string; restored?: AlertRuleInfo }> {
    return this.json(z.object({ deleted: z.string(), restored: AlertRuleInfoSchema.optional() }), 'DELETE', `/alert-rules/${enc(name)}`);
  }

  /** Circuit breakers, by key. */
  async listBreakers(): Promise<BreakerSummary[]> {
    return (await this.json<{ breakers: BreakerSummary[] }>(z.object({ breakers: z.array(BreakerSchema) }), 'GET', '/breakers')).breakers;
  }

  /** Closes a circuit breaker (operator). */
  async resetBreaker(key: string): Promise<BreakerSummary> {
    return (await this.json<{ breaker: BreakerSummary }>(z.object({ breaker: BreakerSchema }), 'POST', `/breakers/${enc(key)}/reset`, { body: {} })).breaker;
  }

  /** Silences in effect or to come. */
  async listSilences(): Promise<SilenceRecord[]> {
    return (await this.json<{ silences: SilenceRecord[] }>(z.object({ silences: z.array(SilenceSchema) }), 'GET', '/silences')).silences;
  }

  /** Creates a silence of `durationMs` from now. */
  async createSilence(matchers: SilenceMatcher[], durationMs: number, comment: string | undefined): Promise<SilenceRecord> {
    const body = { matchers, duration: `${Math.ceil(durationMs / 1000)}s`, ...(comment !== undefined ? { comment } : {}) };
    return (await this.json<{ silence: SilenceRecord }>(z.object({ silence: SilenceSchema }), 'POST', '/silences', { body })).silence;
  }

  /** Ends a silence now. */
  async expireSilence(id: string): Promise<SilenceRecord> {
    return (await this.json<{ silence: SilenceRecord }>(z.object({ silence: SilenceSchema }), 'DELETE', `/silences/${enc(id)}`)).silence;
  }

  /** Reads up to `limit` bytes of an attempt's log from `offset`. */
  async readLog(runId: string, stepId: string, attempt: number, offset: number, limit = 1024 * 1024): Promise<LogChunk> {
    const res = await this.send('GET', `/runs/${enc(runId)}/steps/${enc(stepId)}/attempts/${attempt}/log?offset=${offset}&limit=${limit}`);
    const text = Buffer.from(await res.arrayBuffer());
    const header = (name: string, fallback: number): number => {
      const n = Number(res.headers.get(name));
      return res.headers.has(name) && Number.isFinite(n) ? n : fallback;
    };
    return { text, size: header('x-log-size', offset + text.length), next: header('x-log-next-offset', offset + text.length) };
  }

  /** Searches a run's logs on the server (`GET /runs/{id}/logs`); a bad pattern is a ClientError 400 `bad-pattern`. */
  searchLogs(runId: string, q: LogQuery): Promise<LogSearchResult> {
    const p = new URLSearchParams({ q: q.pattern, regex: String(q.regex === true), ignoreCase: String(q.ignoreCase === true) });
    if (q.stepId !== undefined) p.set('step', q.stepId);
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    return this.json<LogSearchResult>(LogSearchSchema, 'GET', `/runs/${enc(runId)}/logs?${p.toString()}`);
  }

  /**
   * Subscribes to live events (of one run, or of the runs of one workflow), as Server-Sent
   * Events, from the moment this resolves: once it has, no later event is missed, so
   * subscribe before a request whose effects you want to see. A dropped stream is reopened
   * after the last event received, so none is lost or repeated. `close` ends it.
   */
  async subscribe(filter: { run: string } | { workflow: string }): Promise<Subscription> {
    const abort = new AbortController();
    const { signal } = abort;
    const open = (after: string | undefined): Promise<Response> => {
      const q = new URLSearchParams('run' in filter ? { run: filter.run } : { workflow: filter.workflow });
      if (after !== undefined) q.set('after', after);
      return this.send('GET', `/events?${q.toString()}`, { accept: 'text/event-stream', signal });
    };
    // The server takes its starting point before it answers: the subscription holds from here.
    const first = await open(undefined);
    const events = (async function* stream(): AsyncGenerator<FeedMessage> {
      let res: Response | undefined = first;
      let after: string | undefined;
      while (!signal.aborted) {
        try {
          res ??= await open(after);
          if (!res.body) return;
          const decoder = new TextDecoder();
          let buf = '';
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            buf += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
            let end: number;
            while ((end = buf.indexOf('\n\n')) >= 0) {
              const msg = parseSse(buf.slice(0, end));
              buf = buf.slice(end + 2);
              if (!msg) continue;
              after = msg.id;
              yield msg;
            }
          }
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof ClientError && e.status !== 0) throw e;
          // the connection dropped or could not be made: reopen after the last event received
        }
        res = undefined;
        await pause(1000, signal);
      }
    })();
    return { events, close: () => abort.abort() };
  }

  /**
   * Sends a request and reads the JSON answer through the server's own schema for it, so a
   * server of another version answers with a clear error here instead of a wrong field
   * deep in a command.
   * @throws ClientError `bad-response` naming the fields that do not fit
   */
  private async json<T>(schema: z.ZodType, method: string, path: string, o: { body?: unknown; text?: string; type?: string; headers?: Record<string, string> } = {}): Promise<T> {
    const res = await this.send(method, path, o);
    const raw = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new ClientError(res.status, 'bad-response', `the server at ${this.url} did not answer as a baton API (HTTP ${res.status}, not JSON)`, undefined, { cause: e });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const fields = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new ClientError(res.status, 'bad-response', `the server at ${this.url} answered ${method} ${PREFIX}${path.split('?')[0]} in an unexpected shape (${fields}): is it a baton server of this version?`);
    }
    // The schema checked every field's shape; the declared types only say more of the JSON
    // values (params, outputs) the schema takes as they come.
    return parsed.data as T;
  }

  /**
   * Sends a request with the token; a non-2xx answer becomes a ClientError with the API's
   * code and message.
   */
  private async send(method: string, path: string, o: { body?: unknown; text?: string; type?: string; accept?: string; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...o.headers, authorization: `Bearer ${this.token}` };
    let body: string | undefined;
    if (o.text !== undefined) {
      body = o.text;
      headers['content-type'] = o.type ?? 'text/plain';
    } else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    if (o.accept) headers.accept = o.accept;
    let res: Response;
    try {
      res = await fetch(this.url + PREFIX + path, { method, headers, ...(body !== undefined ? { body } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      throw new ClientError(0, 'unreachable', `cannot reach the baton server at ${this.url}: ${why(e)}`, undefined, { cause: e });
    }
    if (res.ok) return res;
    const raw = await res.text();
    let err: { code?: unknown; message?: unknown; details?: unknown } | undefined;
    try {
      err = (JSON.parse(raw) as { error?: typeof err }).error;
    } catch {
      err = undefined;
    }
    if (!err || typeof err.message !== 'string') {
      throw new ClientError(res.status, 'bad-response', `the server at ${this.url} did not answer as a baton API (HTTP ${res.status} for ${method} ${PREFIX}${path.split('?')[0]})`);
    }
    const code = typeof err.code === 'string' ? err.code : 'error';
    // Retry-After in seconds (RFC 9110 §10.2.3; the date form is not sent by baton).
    const retry = Number(res.headers.get('retry-after') ?? NaN);
    const retryAfterSec = Number.isFinite(retry) && retry >= 0 ? retry : undefined;
    throw new ClientError(res.status, code, explain(res.status, code, err.message, this.url, retryAfterSec), err.details, undefined, retryAfterSec);
  }
}

/** The API's message, with what to do about auth failures. */
function explain(status: number, code: string, message: string, url: string, retryAfterSec?: number): string {
  if (status === 429) {
    const busy = `the server at ${url} is busy: ${message}`;
    return retryAfterSec === undefined || /retry after/i.test(message) ? busy : `${busy}; retry after ${retryAfterSec} s`;
  }
  if (status === 401) return `the server at ${url} refused the token: ${message} (give a valid one with --token or BATON_TOKEN)`;
  if (status === 403) return `not allowed: ${message} (use a token with that role: baton token create --role …)`;
  if (code === 'not-found') return `${message}: is ${url} a baton server of this version?`;
  return message;
}

/** Why fetch failed, from its cause (ECONNREFUSED, ENOTFOUND, a TLS problem…). */
function why(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return `${cause.code}${typeof cause.message === 'string' && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if (cause && typeof cause.message === 'string') return cause.message;
  return errorMessage(e);
}

/** One SSE message block (`id:` and `data:` lines) as a feed message; comments and retry hints give undefined. */
function parseSse(block: string): FeedMessage | undefined {
  let id: string | undefined;
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
  }
  return id === undefined || data === '' ? undefined : { id, event: JSON.parse(data) as NewEvent };
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
