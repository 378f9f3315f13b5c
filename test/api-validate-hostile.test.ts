/**
 * The API's `/workflows/validate` and `/workflows` answer hostile definitions with
 * positioned validation errors (200 / 400), not a 500, over a real socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const bomb = (): string => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
  return `name: bomb\n${levels.join('\n')}\nsteps: [{ id: a, run: echo }]\n`;
};

describe('hostile definitions through the HTTP API', () => {
  it.each([
    ['an alias bomb', bomb()],
    ['an undefined alias', 'name: u\nsteps:\n  - id: a\n    run: *nowhere\n'],
    ['3,000-level nesting', `name: deep\nsteps: ${'['.repeat(3000)}${']'.repeat(3000)}\n`],
    ['a 980 KB timezone', `name: tz\nschedule: { cron: "0 2 * * *", timezone: "${'A'.repeat(980_000)}" }\nsteps: [{ id: a, run: echo }]\n`],
  ])('%s: validate answers 200 with positioned errors, register answers 400', async (_name, text) => {
    const v = await api.call('POST', '/api/v1/workflows/validate', { raw: text, headers: { 'content-type': 'text/yaml' } });
    expect(v.status).toBe(200);
    const checked = v.body as { valid: boolean; errors: { file?: string; line?: number; column?: number }[] };
    expect(checked.valid).toBe(false);
    expect(checked.errors[0]?.file).toBe('request body');
    expect(checked.errors[0]?.line).toBeGreaterThanOrEqual(1);
    expect(checked.errors[0]?.column).toBeGreaterThanOrEqual(1);
    const r = await api.call('POST', '/api/v1/workflows', { raw: text, headers: { 'content-type': 'application/yaml' } });
    expect(r.status).toBe(400);
    expect((r.body as { error: { code: string } }).error.code).toBe('invalid-workflow');
  });

  it('a JSON body is read as strict JSON: a trailing comma or a duplicate key is refused with its position', async () => {
    for (const text of ['{"name": "j", "steps": [{"id": "a", "run": "echo"},]}', '{"name": "j", "name": "k", "steps": [{"id": "a", "run": "echo"}]}']) {
      const v = await api.call('POST', '/api/v1/workflows/validate', { raw: text, headers: { 'content-type': 'application/json' } });
      expect(v.status, v.text).toBe(200);
      const checked = v.body as { valid: boolean; errors: { line?: number; column?: number }[] };
      expect(checked.valid, text).toBe(false);
      expect(checked.errors[0]?.line).toBe(1);
      expect(checked.errors[0]?.column).toBeGreaterThanOrEqual(1);
    }
    // The same text as YAML is lenient about the comma (YAML flow style allows it).
    const yaml = await api.call('POST', '/api/v1/workflows/validate', { raw: '{"name": "j", "steps": [{"id": "a", "run": "echo"},]}', headers: { 'content-type': 'application/yaml' } });
    expect((yaml.body as { valid: boolean }).valid).toBe(true);
  });
});
