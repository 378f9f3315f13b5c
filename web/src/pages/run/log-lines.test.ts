import { describe, expect, it } from 'vitest';
import { countLines, LineSplitter, pageLines } from './log-lines.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('log pages as lines', () => {
  it('drops the line a page starts inside, keeps one it starts on, and returns the unfinished last line', () => {
    const log = 'first\nsecond\nthird\nfour';
    // From byte 7 ("econd…"): the byte before the wanted start is part of "second".
    expect(pageLines(bytes(log.slice(7)), 7)).toEqual({ start: 13, lines: ['third'], rest: 'four', restStart: 19 });
    // From byte 5 (the newline after "first"): the page starts on "second".
    expect(pageLines(bytes(log.slice(5)), 5)).toEqual({ start: 6, lines: ['second', 'third'], rest: 'four', restStart: 19 });
    expect(pageLines(bytes(log), 0)).toEqual({ start: 0, lines: ['first', 'second', 'third'], rest: 'four', restStart: 19 });
    expect(pageLines(bytes('a\r\nb\n'), 0)).toEqual({ start: 0, lines: ['a', 'b'], rest: '', restStart: 5 });
    // A page from a line start need not skip anything.
    expect(pageLines(bytes('third\nfour'), 13, false)).toEqual({ start: 13, lines: ['third'], rest: 'four', restStart: 19 });
  });

  it('counts newlines, and splits a stream whose chunks cut lines and characters', () => {
    expect(countLines(bytes('a\nb\nc'), 3)).toBe(1);
    expect(countLines(bytes('a\nb\nc'), 99)).toBe(2);
    const split = new LineSplitter();
    expect(split.push('ab')).toEqual([]);
    expect(split.push('c\nde')).toEqual(['abc']);
    expect(split.flush()).toEqual(['de']);
    const multi = pageLines(bytes('x\né\n'), 0);
    expect(multi.lines).toEqual(['x', 'é']);
  });
});
