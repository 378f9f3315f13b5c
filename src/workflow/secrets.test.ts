import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWorkflow, validateWorkflowFile, webhookSecretName, workflowVersion } from './index.js';
import type { SpecError } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));
const where = (e: SpecError) => ({ code: e.code, path: e.path, line: e.line, column: e.column });

describe('secrets and webhook in the spec', () => {
  it('secrets_valid.yaml: names become env sources, objects keep their source, webhook gets its default tolerance', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('secrets_valid.yaml'));
    expect(errors).toEqual([]);
    expect(spec?.secrets).toEqual([
      { name: 'API_TOKEN', env: 'API_TOKEN' },
      { name: 'DB_PASSWORD', env: 'PGPASSWORD' },
      { name: 'SIGNING_KEY', file: './keys/signing.txt' },
    ]);
    expect(spec?.webhook).toEqual({ secret: 'SIGNING_KEY', toleranceSec: 300 });
    expect(webhookSecretName(spec!)).toBe('SIGNING_KEY');
  });

  it('secrets_invalid.yaml: every problem at its position', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('secrets_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map(where)).toEqual([
      { code: 'invalid-value', path: 'env.API_TOKEN', line: 3, column: 3 },
      { code: 'invalid-value', path: 'secrets[1]', line: 6, column: 5 },
      { code: 'invalid-value', path: 'secrets[2].file', line: 7, column: 32 },
      { code: 'duplicate-secret', path: 'secrets[3].name', line: 8, column: 13 },
      { code: 'invalid-value', path: 'secrets[4]', line: 9, column: 5 },
      { code: 'unknown-field', path: 'secrets[5].fiel', line: 10, column: 22 },
      { code: 'unknown-secret', path: 'webhook.secret', line: 12, column: 11 },
      { code: 'out-of-range', path: 'webhook.toleranceSec', line: 13, column: 17 },
    ]);
    const byPath = new Map(errors.map((e) => [e.path, e]));
    expect(byPath.get('secrets[1]')?.message).toMatch(/env var names/);
    expect(byPath.get('secrets[3].name')?.message).toBe('duplicate secret "API_TOKEN" (first declared by secrets[0])');
    expect(byPath.get('secrets[4]')?.message).toMatch(/BATON_ are reserved/);
    expect(byPath.get('secrets[5].fiel')?.suggestion).toBe('file');
    expect(byPath.get('webhook.secret')?.suggestion).toBe('API_TOKEN');
    expect(byPath.get('env.API_TOKEN')?.message).toMatch(/name of a secret/);
  });

  it('webhook_without_secrets.yaml: the webhook secret must be declared', async () => {
    const { errors } = await validateWorkflowFile(fixture('webhook_without_secrets.yaml'));
    expect(errors.map(where)).toEqual([{ code: 'unknown-secret', path: 'webhook.secret', line: 2, column: 20 }]);
    expect(errors[0]?.message).toContain('declares no secrets');
  });

  it('a workflow without secrets keeps its version: the fields are absent, not empty', () => {
    const spec = compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'true' }] }, { baseDir: '/tmp' });
    expect('secrets' in spec).toBe(false);
    expect('webhook' in spec).toBe(false);
    expect(webhookSecretName(spec)).toBeUndefined();
    expect(workflowVersion(spec)).toBe(workflowVersion(compileWorkflow({ name: 'w', secrets: [], steps: [{ id: 'a', run: 'true' }] }, { baseDir: '/x' })));
  });
});
