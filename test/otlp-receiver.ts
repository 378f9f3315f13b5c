/**
 * A real OTLP/HTTP trace receiver on loopback for tests: a `node:http` server that accepts
 * `POST /v1/traces` in the JSON encoding (what `@opentelemetry/exporter-trace-otlp-http`
 * sends, `Content-Type: application/json`), answers `{}` (an ExportTraceServiceResponse
 * with nothing rejected) and keeps every span with its resource, flattened.
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp (JSON: ids as hex, int64 as decimal strings)
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An attribute value of OTLP/JSON (`AnyValue`), as far as baton's spans use it. */
type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

/** A received span, its attributes and its resource's as plain objects. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** ns since the epoch, as a bigint (OTLP's fixed64). */
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  resource: Record<string, string | number | boolean>;
  scope: string;
}

/** A started receiver. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: what `OTEL_EXPORTER_OTLP_ENDPOINT` is set to. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Headers of every export request, in order. */
  requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

function plain(attrs: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of attrs ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

/** Starts a receiver on a free loopback port. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !req.headers['content-type']?.startsWith('application/json')) {
        res.writeHead(415, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `only POST /v1/traces as JSON, got ${req.method} ${req.url} ${req.headers['content-type']}` }));
        return;
      }
      requests.push(req.headers);
      type Body = { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: (Record<string, unknown> & { status?: ReceivedSpan['status'] })[] }[] }[] };
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
      for (const rs of body.resourceSpans ?? []) {
        const resource = plain(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: s.traceId as string, spanId: s.spanId as string, name: s.name as string,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId as string } : {}),
              startNs: BigInt(s.startTimeUnixNano as string), endNs: BigInt(s.endTimeUnixNano as string),
              attributes: plain(s.attributes as KeyValue[]), status: s.status ?? {}, resource, scope: ss.scope?.name ?? '',
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`, spans, requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** ms since the epoch as the ns a span carries. */
export const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
