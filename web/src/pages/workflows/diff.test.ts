import { describe, expect, it } from 'vitest';
import { MAX_CELLS, foldUnchanged, lineDiff } from './diff.js';

const text = (lines: ReturnType<typeof lineDiff>): string[] => lines.map((l) => `${l.kind}${l.text}`);

describe('line diff of two definitions', () => {
  it('keeps common lines, removes then adds changed ones, numbering each side', () => {
    const d = lineDiff('a\nb\nc\nd\ne', 'a\nx\nc\nd\ny\ne');
    expect(text(d)).toEqual([' a', '-b', '+x', ' c', ' d', '+y', ' e']);
    expect(d[1]).toEqual({ kind: '-', text: 'b', a: 2 });
    expect(d[2]).toEqual({ kind: '+', text: 'x', b: 2 });
    expect(d[6]).toEqual({ kind: ' ', text: 'e', a: 5, b: 6 });
  });

  it('says nothing changed for equal texts and handles empty ones', () => {
    expect(text(lineDiff('same\ntext', 'same\ntext'))).toEqual([' same', ' text']);
    expect(text(lineDiff('', 'x'))).toEqual(['-', '+x']);
    expect(text(lineDiff('x\n', 'x\ny\n'))).toEqual([' x', '+y', ' ']);
  });

  it('shows a middle too large to compare as removed then added', () => {
    const n = Math.ceil(Math.sqrt(MAX_CELLS)) + 1;
    const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail'].join('\n');
    const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail'].join('\n');
    const d = lineDiff(a, b);
    expect(d).toHaveLength(2 * n + 2);
    expect(d[0]!.kind).toBe(' ');
    expect(d[1]).toEqual({ kind: '-', text: 'a0', a: 2 });
    expect(d[n + 1]).toEqual({ kind: '+', text: 'b0', b: 2 });
    expect(d.at(-1)).toEqual({ kind: ' ', text: 'tail', a: n + 2, b: n + 2 });
  });

  it('folds unchanged lines far from any change', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = a.map((l, i) => (i === 10 ? 'changed' : l));
    const shown = foldUnchanged(lineDiff(a.join('\n'), b.join('\n')), 2);
    expect(shown.map((l) => (l.kind === 'fold' ? `…${l.count}` : `${l.kind}${l.text}`))).toEqual(['…8', ' l8', ' l9', '-l10', '+changed', ' l11', ' l12', '…7']);
    expect(foldUnchanged(lineDiff('same', 'same'))).toEqual([{ kind: 'fold', count: 1 }]);
  });
});
