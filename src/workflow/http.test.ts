import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseByteSize, validateWorkflowFile } from './index.js';
import type { SpecError } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));
const where = (e: SpecError) => ({ code: e.code, path: e.path, line: e.line, column: e.column });

describe('http steps in validation', () => {
  it('http_valid.yaml compiles with defaults and ms durations', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('http_valid.yaml'));
    expect(errors).toEqual([]);
    const [fetch, notify] = spec?.steps ?? [];
    expect(fetch?.action).toEqual({
      kind: 'http',
      request: { url: 'https://api.example.com/items/${{ params.id }}', method: 'GET', headers: {}, maxResponseBytes: 10 * 1024 * 1024, idempotencyKey: true },
    });
    expect(notify?.action).toEqual({
      kind: 'http',
      request: {
        url: 'https://api.example.com/items/${{ params.id }}', method: 'POST', headers: { Authorization: 'Bearer ${{ secrets.API_TOKEN }}' },
        body: { name: '${{ steps.fetch.output.name }}' }, timeoutMs: 30_000, expectStatus: [200, 201], maxResponseBytes: 2 * 1024 * 1024, idempotencyKey: false,
      },
    });
  });

  it('http_invalid.yaml reports every problem with its position', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('http_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map(where)).toEqual([
      { code: 'run-and-uses', path: 'steps[0].http', line: 6, column: 11 },
      { code: 'invalid-value', path: 'steps[1].http.url', line: 8, column: 18 },
      { code: 'invalid-value', path: 'steps[2].http.method', line: 10, column: 49 },
      { code: 'invalid-value', path: 'steps[3].http.body', line: 12, column: 47 },
      { code: 'unknown-secret', path: 'steps[4].http.headers.Authorization', line: 16, column: 33 },
      { code: 'bad-expression', path: 'steps[5].env.X', line: 19, column: 15 },
      { code: 'out-of-range', path: 'steps[6].http.expect.status[0]', line: 21, column: 60 },
      { code: 'invalid-value', path: 'steps[6].http.maxResponseBytes', line: 21, column: 85 },
      { code: 'unknown-field', path: 'steps[6].http.retries', line: 21, column: 91 },
      { code: 'invalid-value', path: 'steps[7].env', line: 24, column: 5 },
      { code: 'invalid-value', path: 'steps[7].shell', line: 25, column: 5 },
    ]);
    const text = errors.map((e) => e.message).join('\n');
    expect(text).toContain('must be http:// or https://, not ftp:');
    expect(text).toContain('method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    expect(text).toContain('a GET request has no body');
    expect(text).toContain('secret "API_TOKN", which is not declared');
    expect(text).toContain("secrets are readable only in an http step's url, headers and body");
    expect(text).toContain('shell applies to shell steps: an http step runs no process');
    expect(errors.find((e) => e.path === 'steps[4].http.headers.Authorization')?.suggestion).toBe('secrets.API_TOKEN');
  });
});

describe('parseByteSize', () => {
  it('reads bytes and binary and decimal units', () => {
    expect(['10MiB', '512KiB', '2MB', '1gib', '100', ' 3 KB ', 7].map(parseByteSize)).toEqual([10_485_760, 524_288, 2_000_000, 1_073_741_824, 100, 3_000, 7]);
    expect(['', 'MiB', '10XB', '-1', '1.5.2'].map(parseByteSize)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(parseByteSize(1.5)).toBeUndefined();
  });
});
