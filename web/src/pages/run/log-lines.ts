/**
 * @module web/pages/run/log-lines
 * Log bytes as lines: streamed text split at newlines, and a page read from a byte offset
 * that may fall inside a line.
 */

/** Splits streamed text into complete lines, keeping the unfinished tail. */
export class LineSplitter {
  private tail = '';

  /** Complete lines in `chunk` (with the tail of earlier chunks). */
  push(chunk: string): string[] {
    const parts = (this.tail + chunk).split('\n');
    this.tail = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unfinished last line, if any. */
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t === '' ? [] : [t];
  }
}

/**
 * Lines of `bytes`, which start at byte `from` of the log. With `cut` (default: `from > 0`)
 * the bytes start one byte before a wanted line start, and what comes before the first
 * newline is the end of a line that is not shown. `rest` is an unfinished last line, which
 * starts at byte `restStart`.
 */
export function pageLines(bytes: Uint8Array, from: number, cut = from > 0, decoder = new TextDecoder()): { start: number; lines: string[]; rest: string; restStart: number } {
  let skip = 0;
  if (cut) {
    // Pages are read from one byte before the wanted start: a newline there means the page
    // starts on a line; anything else is the end of a line read on an earlier page.
    const nl = bytes.indexOf(10);
    skip = nl < 0 ? bytes.length : nl + 1;
  }
  const text = decoder.decode(bytes.subarray(skip));
  const split = new LineSplitter();
  const lines = split.push(text);
  const rest = split.flush()[0] ?? '';
  const lastNl = bytes.lastIndexOf(10);
  return { start: from + skip, lines, rest, restStart: lastNl < skip ? from + skip : from + lastNl + 1 };
}

/** Newlines in `bytes` before index `end`. */
export function countLines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < bytes.length; i++) if (bytes[i] === 10) n++;
  return n;
}

