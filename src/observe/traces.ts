/**
 * @module observe/traces
 * OpenTelemetry traces of runs, exported over OTLP/HTTP (JSON) by the official SDK: one
 * trace per run, a root span `run <workflow>` emitted when the run ends (again, same id, at
 * each later end of a re-run or a resumed cancelled run) and a child span
 * `step <id>` per attempt. Spans are built after the fact from what the engine committed
 * (`Engine.onCommitted`), with the start and end times of the records, not timed live: so
 * whichever process commits an end emits its span — the coordinator holding the run, also
 * for attempts that fleet workers executed — and a run resumed by another process still gets
 * exactly one root span, emitted when it finishes, with its recorded start. Ids are derived
 * from the records (shared/trace-ids.ts), so every process agrees on them and `baton show`
 * prints the trace id while the run is still going.
 *
 * The SDK is loaded only when traces are started (`startRunTraces`): a process without the
 * `OTEL_*` variables (modes/options.ts decides) loads none of it.
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/ (the `OTEL_EXPORTER_OTLP_*` variables)
 */
import type { Attributes, HrTime, Span } from '@opentelemetry/api';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CommitListener, CommittedEnds } from '../runtime/index.js';
import { BATON_VERSION, attemptSpanIdOf, errorMessage, runSpanIdOf, traceIdOf } from '../shared/index.js';

/** Service name of the spans when `OTEL_SERVICE_NAME` is not set. */
export const DEFAULT_SERVICE_NAME = 'baton';

/**
 * Longest wait for the last spans at shutdown, ms: a collector that is down must not hold a
 * finished `baton run` for the exporter's own timeouts (10 s per request, 30 s per batch).
 */
const SHUTDOWN_TIMEOUT_MS = 5_000;

/**
 * Longest export request with its retries, ms, when neither `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`
 * nor `OTEL_EXPORTER_OTLP_TIMEOUT` is set: the SDK's 10 s of retries against a collector that
 * is down keep a finished `baton run` alive that long after its last span.
 */
const EXPORT_TIMEOUT_MS = 5_000;

/**
 * Spans queued for export at most, when `OTEL_BSP_MAX_QUEUE_SIZE` is not set. The SDK's 2048
 * drops spans of a run whose thousands of small steps end within one export round trip.
 */
const MAX_QUEUE = 16_384;

/** Attribute names of baton's spans; `error.type` is OpenTelemetry's stable name for a failure's kind. */
export const TRACE_ATTRIBUTES = {
  workflow: 'baton.workflow',
  version: 'baton.workflow.version',
  runId: 'baton.run.id',
  trigger: 'baton.run.trigger',
  runState: 'baton.run.state',
  runReason: 'baton.run.reason',
  stepId: 'baton.step.id',
  attemptId: 'baton.attempt.id',
  attempt: 'baton.attempt.number',
  attemptState: 'baton.attempt.state',
  worker: 'baton.worker',
  /** A shell step's exit code (OpenTelemetry's `process.exit.code`). */
  exitCode: 'process.exit.code',
  /** The failure's type (`exit-code`, `timeout`, `lost`…): OpenTelemetry's `error.type`. */
  failureType: 'error.type',
  peakRssBytes: 'baton.attempt.peak_rss_bytes',
  cpuMs: 'baton.attempt.cpu_ms',
} as const;

/** Started trace export. */
export interface RunTraces {
  /**
   * The engine's commit listener (`engine.onCommitted(traces.onCommitted)`): ends one span
   * per ended attempt and one root span per finished run. Never throws.
   */
  readonly onCommitted: CommitListener;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left, waiting at most 5 s, and stops; later ends are ignored. Never rejects. */
  shutdown(): Promise<void>;
}

/** Options of {@link startRunTraces}. */
export interface RunTracesOptions {
  /**
   * Where spans go. @default the OTLP/HTTP exporter (JSON), configured by the OpenTelemetry
   * variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended), `OTEL_EXPORTER_OTLP_HEADERS`,
   * `…_TIMEOUT`, `…_COMPRESSION`, `…_CERTIFICATE`
   */
  exporter?: SpanExporter;
  /**
   * Told when a span could not be built, or the last spans could not be exported at shutdown
   * (other export failures go to OpenTelemetry's diagnostic log: `OTEL_LOG_LEVEL`). @default ignore
   */
  onError?: (message: string) => void;
}

/**
 * Starts exporting run traces: loads the OpenTelemetry SDK, builds a tracer provider with a
 * batch span processor (`OTEL_BSP_*` honoured; queue 16,384 spans by default) and the
 * resource `service.name` = `OTEL_SERVICE_NAME` or `baton`, `service.version` = baton's
 * version, plus `OTEL_RESOURCE_ATTRIBUTES`. An export request gives up after 5 s by default
 * (`OTEL_EXPORTER_OTLP_TIMEOUT`). `OTEL_LOG_LEVEL` (`error`, `warn`, `info`, `debug`…) prints
 * the SDK's diagnostics, export failures among them, on the console. Every run is traced (no
 * head sampling: a run's spans are emitted by several processes, possibly long after its
 * start; sample in the collector, which sees whole traces).
 */
export async function startRunTraces(o: RunTracesOptions = {}): Promise<RunTraces> {
  const [api, sdk, resources, semconv] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const env = process.env;
  const level = env.OTEL_LOG_LEVEL?.trim().toUpperCase() as keyof typeof api.DiagLogLevel | undefined;
  if (level && level in api.DiagLogLevel) api.diag.setLogger(new api.DiagConsoleLogger(), api.DiagLogLevel[level]);
  const exportTimeout = env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || env.OTEL_EXPORTER_OTLP_TIMEOUT ? {} : { timeoutMillis: EXPORT_TIMEOUT_MS };
  const exporter = o.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(exportTimeout);
  const resource = resources.defaultResource()
    .merge(resources.resourceFromAttributes({ [semconv.ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAME, [semconv.ATTR_SERVICE_VERSION]: BATON_VERSION }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const ids = new RecordIds();
  const queue = env.OTEL_BSP_MAX_QUEUE_SIZE === undefined ? { maxQueueSize: MAX_QUEUE } : {};
  const provider = new sdk.BasicTracerProvider({
    resource, idGenerator: ids, sampler: new sdk.AlwaysOnSampler(),
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, queue)],
  });
  const tracer = provider.getTracer('baton', BATON_VERSION);
  const { ROOT_CONTEXT, SpanStatusCode, TraceFlags, trace } = api;
  let stopped = false;

  /** Starts a span whose ids are `traceId`/`spanId`, under `parentSpanId` when given. */
  const start = (name: string, traceId: string, spanId: string, startMs: number, attributes: Attributes, parentSpanId?: string): Span => {
    ids.next(traceId, spanId);
    const parent = parentSpanId === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    return tracer.startSpan(name, { startTime: hrTime(startMs), attributes, ...(parentSpanId === undefined ? { root: true } : {}) }, parent);
  };

  // A run's attempts end in many commits: its two ids are hashed once, not once per attempt.
  const runIds = new Map<string, { traceId: string; rootSpanId: string }>();
  const idsOf = (runId: string): { traceId: string; rootSpanId: string } => {
    let known = runIds.get(runId);
    if (!known) {
      if (runIds.size >= 1_000) runIds.clear();
      known = { traceId: traceIdOf(runId), rootSpanId: runSpanIdOf(runId) };
      runIds.set(runId, known);
    }
    return known;
  };

  const emit = (ends: CommittedEnds): void => {
    const A = TRACE_ATTRIBUTES;
    for (const { run, attempt: a } of ends.attempts) {
      const { traceId, rootSpanId } = idsOf(run.id);
      const span = start(`step ${a.stepId}`, traceId, attemptSpanIdOf(a.id), a.startedAt, compact({
        [A.workflow]: run.workflow, [A.runId]: run.id, [A.stepId]: a.stepId, [A.attemptId]: a.id, [A.attempt]: a.number,
        [A.attemptState]: a.state, [A.worker]: a.worker, [A.exitCode]: a.exitCode, [A.failureType]: a.error?.type,
        [A.peakRssBytes]: a.peakRssBytes, [A.cpuMs]: a.cpuMs,
      }), rootSpanId);
      if (a.state === 'failed' || a.state === 'lost') span.setStatus({ code: SpanStatusCode.ERROR, ...(a.error ? { message: a.error.message } : {}) });
      span.end(hrTime(Math.max(a.endedAt, a.startedAt)));
    }
    for (const r of ends.runs) {
      const { traceId, rootSpanId } = idsOf(r.id);
      runIds.delete(r.id);
      const span = start(`run ${r.workflow}`, traceId, rootSpanId, r.startedAt, compact({
        [A.workflow]: r.workflow, [A.version]: r.version, [A.runId]: r.id, [A.trigger]: r.trigger, [A.runState]: r.state, [A.runReason]: r.reason,
      }));
      if (r.state === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, ...(r.reason ? { message: r.reason } : {}) });
      span.end(hrTime(Math.max(r.endedAt, r.startedAt)));
    }
  };

  return {
    onCommitted(ends) {
      if (stopped) return;
      try {
        emit(ends);
      } catch (e) {
        o.onError?.(`a span could not be built: ${errorMessage(e)}`);
      }
    },
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS).unref()));
      try {
        await Promise.race([provider.shutdown(), timeout]);
      } catch (e) {
        // A collector that is down or refuses costs the traces, never the process's own end.
        o.onError?.(`the last spans could not be exported: ${errorMessage(e)}`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Ids for the span being started, set just before each (synchronous) `startSpan`: the SDK
 * asks its generator for a new span's id, and for a root span's trace id, and baton's ids
 * come from the records, not from randomness.
 */
class RecordIds implements IdGenerator {
  private traceId = '';
  private spanId = '';

  next(traceId: string, spanId: string): void {
    this.traceId = traceId;
    this.spanId = spanId;
  }

  generateTraceId(): string {
    return this.traceId;
  }

  generateSpanId(): string {
    return this.spanId;
  }
}

/**
 * ms since the epoch as OpenTelemetry's `[seconds, nanoseconds]`: unambiguous, where a bare
 * number below `performance.now()` would be read as a time since the process started.
 */
function hrTime(ms: number): HrTime {
  const whole = Math.floor(ms);
  return [Math.floor(whole / 1000), (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000)];
}

/** The attributes that have a value. */
function compact(a: Record<string, string | number | undefined>): Attributes {
  for (const k in a) if (a[k] === undefined) delete a[k];
  return a;
}
