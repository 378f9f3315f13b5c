import { describe, expect, it } from 'vitest';
import { evaluateCondition, evaluateExpression, ExpressionError, expressionStepRefs, interpolate, interpolateValue } from './index.js';
import type { ExpressionScope } from './index.js';
import { parseExpression } from './expressions.js';

const scope: ExpressionScope = {
  params: { n: 3, name: 'eu-west', flag: false, list: [1, 2, 3], obj: { a: { b: 'deep' } }, empty: '' },
  steps: { fetch: { output: { url: 'https://x', count: 0, items: ['p', 'q'] } }, plain: { output: 42 } },
  run: { id: 'run_1', attempt: 2 },
};
const cond = (source: string): boolean => evaluateCondition(source, scope);

describe('evaluateCondition', () => {
  it('compares with == != < <= > >=', () => {
    expect(cond('params.n == 3')).toBe(true);
    expect(cond('params.n != 3')).toBe(false);
    expect(cond('params.n < 4 && params.n <= 3 && params.n > 2 && params.n >= 3')).toBe(true);
    expect(cond("params.name == 'eu-west'")).toBe(true);
    expect(cond('"a" < "b"')).toBe(true);
    // Ordering across types is false rather than JavaScript's coercion.
    expect(cond("params.n < '10'")).toBe(false);
  });

  it('follows precedence: ! over comparison over && over ||', () => {
    expect(cond('true || false && false')).toBe(true);
    expect(cond('(true || false) && false')).toBe(false);
    expect(cond('!params.flag && params.n == 3')).toBe(true);
    expect(cond('!(params.n == 3)')).toBe(false);
    expect(cond('-params.n < -2')).toBe(true);
  });

  it('accepts the ${{ }} wrapper or a bare expression', () => {
    expect(cond('${{ run.attempt > 1 }}')).toBe(true);
    expect(cond('  run.attempt > 1 ')).toBe(true);
    expect(() => cond('x ${{ true }}')).toThrow(ExpressionError);
  });

  it('uses JavaScript truthiness', () => {
    expect(cond('params.empty')).toBe(false);
    expect(cond('steps.fetch.output.count')).toBe(false);
    expect(cond('params.obj')).toBe(true);
    expect(cond('params.missing')).toBe(false);
    expect(cond('null')).toBe(false);
  });

  it('treats missing values as null in equality and compares structures by value', () => {
    expect(cond('params.missing == null')).toBe(true);
    expect(cond('steps.nope.output.x == null')).toBe(true);
    expect(cond('params.list == params.list')).toBe(true);
  });
});

describe('member access', () => {
  it('reads .name, [string], [index] and ?.', () => {
    expect(evaluateExpression("params.obj['a'].b", scope)).toBe('deep');
    expect(evaluateExpression('params.list[1]', scope)).toBe(2);
    expect(evaluateExpression('steps.fetch.output.items[0]', scope)).toBe('p');
    expect(evaluateExpression('params.list.length', scope)).toBe(3);
    expect(evaluateExpression('params.missing?.x', scope)).toBeUndefined();
    expect(evaluateExpression('params.name.length', scope)).toBeUndefined();
  });

  it('does not reach inherited members', () => {
    expect(evaluateExpression('params.obj.toString', scope)).toBeUndefined();
    expect(evaluateExpression('params.obj.hasOwnProperty', scope)).toBeUndefined();
  });

  it.each([
    ['params.__proto__', '"__proto__" may not be accessed'],
    ["params['constructor']", '"constructor" may not be accessed'],
    ['params.obj.prototype', '"prototype" may not be accessed'],
    ['params.toString()', 'function calls are not allowed'],
    ['this.x', '"this"'],
    ['process.env', 'unknown name "process"'],
    ['params[params.name]', 'only a literal'],
    ['params.n + 1', 'operator "+" is not supported'],
    ['params.n ? 1 : 2', 'the ?: operator'],
    ['[1, 2]', 'an array literal'],
    ['params.n; run.id', 'more than one expression'],
    ['params.n ==', 'syntax error'],
    ['', 'empty expression'],
  ])('rejects %s', (source, message) => {
    expect(() => evaluateExpression(source, scope)).toThrow(ExpressionError);
    expect(() => evaluateExpression(source, scope)).toThrow(message);
  });

  it('rejects unary minus on a non-number at evaluation', () => {
    expect(() => evaluateExpression('-params.name', scope)).toThrow('unary "-" needs a number');
  });
});

describe('interpolate', () => {
  it('replaces each ${{ }} as text', () => {
    expect(interpolate('n=${{ params.n }} url=${{steps.fetch.output.url}} run=${{ run.id }}', scope)).toBe('n=3 url=https://x run=run_1');
    expect(interpolate('${{ params.list }}|${{ params.obj }}', scope)).toBe('[1,2,3]|{"a":{"b":"deep"}}');
    expect(interpolate('[${{ params.missing }}][${{ null }}][${{ params.flag }}]', scope)).toBe('[][][false]');
    expect(interpolate('no expressions', scope)).toBe('no expressions');
  });

  it('does not close on }} inside a string literal', () => {
    expect(interpolate("${{ params.name == '}}' }}!", scope)).toBe('false!');
  });

  it('rejects an unclosed ${{', () => {
    expect(() => interpolate('x ${{ params.n', scope)).toThrow('not closed');
  });
});

describe('interpolateValue', () => {
  it('keeps the type of a whole-string expression and recurses', () => {
    expect(interpolateValue({
      n: '${{ params.n }}',
      obj: ' ${{ params.obj }} ',
      text: 'n=${{ params.n }}',
      list: ['${{ params.list }}', '${{ steps.plain.output }}', 7, true, null],
      missing: '${{ params.missing }}',
      flag: '${{ params.flag }}',
    }, scope)).toEqual({
      n: 3,
      obj: { a: { b: 'deep' } },
      text: 'n=3',
      list: [[1, 2, 3], 42, 7, true, null],
      missing: null,
      flag: false,
    });
  });
});

describe('expressionStepRefs', () => {
  it('lists step ids read, once each, in order', () => {
    expect(expressionStepRefs("steps.b.output.x && steps['a'].output == steps.b.output")).toEqual(['b', 'a']);
    expect(expressionStepRefs('${{ steps.x.output }} and ${{ params.n }} ${{ steps.y.output.z }}')).toEqual(['x', 'y']);
    expect(expressionStepRefs('params.n > 1')).toEqual([]);
  });
});

describe('expression bounds', () => {
  it('refuses nesting deeper than MAX_EXPRESSION_DEPTH before parsing, without overflowing the stack', () => {
    expect(() => parseExpression(`${'('.repeat(40)}true${')'.repeat(40)}`)).toThrow(/nested too deeply/);
    expect(() => parseExpression(`${'!'.repeat(40)}true`)).toThrow(/nested too deeply/);
    expect(() => parseExpression(`${'('.repeat(30)}true${')'.repeat(30)}`)).not.toThrow();
    // Brackets inside string literals do not count.
    expect(() => parseExpression(`params.a == '${'('.repeat(100)}'`)).not.toThrow();
  });

  it('refuses expressions longer than MAX_EXPRESSION_LENGTH', () => {
    expect(() => parseExpression(`params.a == '${'x'.repeat(1_000)}'`)).toThrow(/too long/);
  });

  it('a long chain of binary operators within the length bound parses', () => {
    expect(() => parseExpression(Array(80).fill('params.a').join(' || '))).not.toThrow();
  });
});
