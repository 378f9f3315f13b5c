import { describe, expect, it } from 'vitest';
import { compileWorkflow, ParamError, resolveParams } from './index.js';

const spec = compileWorkflow({
  name: 'p',
  params: {
    region: { type: 'string', required: true },
    count: { type: 'integer', default: 2 },
    ratio: { type: 'number' },
    dry: { type: 'boolean', default: false },
    tags: { type: 'array' },
    extra: { type: 'object', default: { a: 1 } },
  },
  steps: [{ id: 'a', run: 'true' }],
}, { baseDir: '.' });

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParamError);
    return (e as ParamError).problems;
  }
  throw new Error('expected a ParamError');
};

describe('resolveParams', () => {
  it('applies defaults and leaves out optional params without one', () => {
    expect(resolveParams(spec, { region: 'eu' })).toEqual({ region: 'eu', count: 2, dry: false, extra: { a: 1 } });
  });

  it('does not share default objects between runs', () => {
    const first = resolveParams(spec, { region: 'eu' });
    (first.extra as { a: number }).a = 99;
    expect(resolveParams(spec, { region: 'eu' }).extra).toEqual({ a: 1 });
  });

  it('coerces CLI strings when fromStrings is set', () => {
    expect(resolveParams(spec, { region: 'eu', count: '3', ratio: '0.5', dry: 'true', tags: '["x","y"]', extra: '{"b":2}' }, { fromStrings: true }))
      .toEqual({ region: 'eu', count: 3, ratio: 0.5, dry: true, tags: ['x', 'y'], extra: { b: 2 } });
  });

  it('does not coerce without fromStrings', () => {
    expect(problemsOf(() => resolveParams(spec, { region: 'eu', count: '3' }))).toEqual(['param "count" must be an integer, got "3"']);
  });

  it('lists every problem: missing, unknown (with suggestion), wrong type, bad coercion', () => {
    expect(problemsOf(() => resolveParams(spec, { cuont: 1, count: '1.5', dry: 'yes', tags: '{"not":"array"}' }, { fromStrings: true }))).toEqual([
      'unknown param "cuont" (did you mean "count"?); known: region, count, ratio, dry, tags, extra',
      'missing required param "region" (string)',
      'param "count" must be an integer, got "1.5"',
      'param "dry" must be a boolean, got "yes"',
      'param "tags" must be an array, got {"not":"array"}',
    ]);
  });

  it('rejects non-integers for integer and non-finite numbers', () => {
    expect(problemsOf(() => resolveParams(spec, { region: 'eu', count: 1.5, ratio: 'abc' }, { fromStrings: true }))).toEqual([
      'param "count" must be an integer, got 1.5',
      'param "ratio" must be a number, got "abc"',
    ]);
  });
});
