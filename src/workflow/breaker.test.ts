import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, validateWorkflowFile } from './index.js';
import type { SpecError } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));
const where = (e: SpecError) => ({ path: e.path, line: e.line });

describe('breaker: in validation', () => {
  it('breaker_valid.yaml: the workflow default, default keys by pool, host and step, a step of its own, false', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('breaker_valid.yaml'));
    expect(errors).toEqual([]);
    const by = Object.fromEntries((spec?.steps ?? []).map((s) => [s.id, s.breaker]));
    const dflt = { failures: 3, windowMs: 300_000, minCalls: 10, cooldownMs: 30_000 };
    expect(by.fetch).toEqual({ key: 'http:api.example.com:8443', ...dflt });
    expect(by.load).toEqual({ key: 'pool:db', ...dflt });
    expect(by.own).toEqual({ key: 'payments', failures: 5, rate: 0.5, windowMs: 600_000, minCalls: 20, cooldownMs: 120_000 });
    // A host that is an expression is not known before the run: the step's own key.
    expect(by.templated).toEqual({ key: 'step:breaker-valid/templated', ...dflt });
    expect(by.off).toBeUndefined();
    expect(by.gate).toBeUndefined(); // a held step calls nothing
    // As stored and read back (resume, the fleet): the breakers travel with their steps.
    const back = decodeDefinition({ definition: JSON.parse(JSON.stringify(spec)) as unknown });
    expect(back.steps.map((s) => s.breaker)).toEqual(spec?.steps.map((s) => s.breaker));
    expect(() => decodeDefinition({ definition: { ...JSON.parse(JSON.stringify(spec)) as object, steps: [{ ...JSON.parse(JSON.stringify(spec!.steps[0])) as object, breaker: { key: 1 } }] } })).toThrow(/breaker/);
  });

  it('breaker_invalid.yaml names the field and line of every problem', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('breaker_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map(where)).toEqual(expect.arrayContaining([
      { path: 'steps[0].breaker.failures', line: 5 },
      { path: 'steps[1].breaker.rate', line: 8 },
      { path: 'steps[1].breaker.cooldown', line: 8 },
      { path: 'steps[2].breaker', line: 11 },
      { path: 'steps[3].breaker.failure', line: 14 },
      { path: 'steps[4].breaker', line: 17 },
    ]));
    expect(errors.find((e) => e.path === 'steps[2].breaker')).toMatchObject({ code: 'invalid-value', message: expect.stringMatching(/does not apply to a wait step/) as string });
    expect(errors.find((e) => e.path === 'steps[3].breaker.failure')).toMatchObject({ code: 'unknown-field', suggestion: 'failures' });
  });
});
