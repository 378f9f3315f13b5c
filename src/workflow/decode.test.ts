import { describe, expect, it } from 'vitest';
import { compileWorkflow } from './compile.js';
import { DefinitionDecodeError, decodeDefinition } from './decode.js';

const spec = compileWorkflow({
  name: 'nightly',
  params: { region: { type: 'string', default: 'eu' } },
  schedule: { cron: '0 2 * * *' },
  steps: [
    { id: 'extract', run: 'echo hi', timeout: '10m', retry: { attempts: 3 } },
    { id: 'score', needs: ['extract'], uses: './steps.ts#score', with: { n: 1 } },
  ],
}, { baseDir: '/tmp' });

describe('decodeDefinition', () => {
  it('reads back what the store keeps (the compiled workflow as JSON)', () => {
    const stored = JSON.parse(JSON.stringify(spec)) as unknown;
    expect(decodeDefinition({ definition: stored })).toEqual(stored);
  });

  it('keeps fields a newer baton added', () => {
    const stored = { ...(JSON.parse(JSON.stringify(spec)) as object), futureField: { a: 1 } };
    expect(decodeDefinition({ definition: stored })).toMatchObject({ futureField: { a: 1 } });
  });

  it('names every wrong field instead of failing later inside the engine', () => {
    const stored = JSON.parse(JSON.stringify(spec)) as { steps: { needs: unknown; retry: { attempts: unknown } }[] };
    stored.steps[1]!.needs = 'extract';
    stored.steps[0]!.retry.attempts = 0;
    let err: unknown;
    try {
      decodeDefinition({ definition: stored, version: 'abc123' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DefinitionDecodeError);
    const d = err as DefinitionDecodeError;
    expect(d.code).toBe('definition-invalid');
    expect(d.problems.join('\n')).toMatch(/steps\.1\.needs/);
    expect(d.problems.join('\n')).toMatch(/steps\.0\.retry\.attempts/);
    expect(d.message).toMatch(/abc123/);
  });

  it('refuses something that is not a workflow at all', () => {
    expect(() => decodeDefinition({ definition: 'hello' })).toThrow(DefinitionDecodeError);
    expect(() => decodeDefinition({ definition: null })).toThrow(/unreadable/);
  });
});
