import { describe, expect, it } from 'vitest';
import { compileProcessOptions, tracesRequested } from './options.js';

describe('tracesRequested', () => {
  it('asks for traces when an OTLP endpoint is set, unless the SDK is disabled or the traces exporter is none', () => {
    expect(tracesRequested({})).toBe(false);
    expect(tracesRequested({ OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'True' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });

  it('an explicit traces option wins over the environment', () => {
    const o = { mode: 'embedded' as const, store: { kind: 'sqlite' as const, path: '/tmp/x.db' } };
    expect(compileProcessOptions({ ...o, traces: true }).traces).toBe(true);
    expect(compileProcessOptions({ ...o, traces: false }).traces).toBe(false);
  });
});
