import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client.js';
import type { ParamDecl } from '../../lib/definition.js';
import { initialText, parseField, problemsByParam } from './params.js';

const p = (type: ParamDecl['type'], extra: Partial<ParamDecl> = {}): ParamDecl => ({ name: 'x', type, required: false, ...extra });

describe('the start form fields', () => {
  it('fills a field with its default as text', () => {
    expect(initialText(p('string', { default: 'world' }))).toBe('world');
    expect(initialText(p('integer', { default: 3 }))).toBe('3');
    expect(initialText(p('boolean', { default: false }))).toBe('false');
    expect(initialText(p('array', { default: ['a', 1] }))).toBe('["a",1]');
    expect(initialText(p('object', { default: { k: 1 } }))).toBe('{"k":1}');
    expect(initialText(p('number'))).toBe('');
  });

  it('reads field text as the type the param declares, or says why not', () => {
    expect(parseField(p('integer'), ' 42 ')).toEqual({ value: 42 });
    expect(parseField(p('integer'), '4.2').error).toMatch(/must be an integer/);
    expect(parseField(p('integer'), '9007199254740993').error).toMatch(/must be an integer/);
    expect(parseField(p('number'), '-1.5e3')).toEqual({ value: -1500 });
    expect(parseField(p('number'), 'abc').error).toMatch(/must be a number/);
    expect(parseField(p('boolean'), 'true')).toEqual({ value: true });
    expect(parseField(p('array'), '["a"]')).toEqual({ value: ['a'] });
    expect(parseField(p('array'), '{"a":1}').error).toMatch(/JSON array/);
    expect(parseField(p('object'), '[1]').error).toMatch(/JSON object/);
    expect(parseField(p('object'), '{bad').error).toMatch(/is not JSON/);
  });

  it('leaves an empty field out (the server applies the default), but sends an empty string a string param chose', () => {
    expect(parseField(p('integer'), '')).toEqual({});
    expect(parseField(p('array'), '  ')).toEqual({});
    expect(parseField(p('string'), '')).toEqual({});
    expect(parseField(p('string', { default: 'd' }), '')).toEqual({ value: '' });
  });

  it("sorts the API's invalid-params problems by the param they name", () => {
    const e = new ApiError(400, 'invalid-params', 'invalid params', ['missing required param "count" (integer)', 'param "who" must be a string, got 1', 'unknown param "zz"', 'something else']);
    expect(problemsByParam(e)).toEqual({ count: ['missing required param "count" (integer)'], who: ['param "who" must be a string, got 1'], zz: ['unknown param "zz"'], '': ['something else'] });
    expect(problemsByParam(new ApiError(404, 'workflow-not-found', 'no'))).toEqual({});
  });
});
