/**
 * @module web/pages/workflows/diff
 * A line diff of two texts: the common head and tail are trimmed, the middle compared by
 * longest common subsequence (dynamic programming, O(n·m) cells). A middle over
 * {@link MAX_CELLS} cells is shown as removed then added instead, which keeps the page
 * responsive for two very different large definitions.
 */

/** One line of a diff: kept (` `), removed (`-`, only in the old text) or added (`+`). */
export interface DiffLine {
  kind: ' ' | '-' | '+';
  text: string;
  /** Line number in the old text (kept and removed lines). */
  a?: number;
  /** Line number in the new text (kept and added lines). */
  b?: number;
}

/** The largest middle compared line by line. */
export const MAX_CELLS = 4_000_000;

/** The lines that turn `oldText` into `newText`, in order. */
export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: ' ', text: a[i]!, a: i + 1, b: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((text, i) => out.push({ kind: '-', text, a: head + i + 1 }));
    bm.forEach((text, j) => out.push({ kind: '+', text, b: head + j + 1 }));
  } else {
    // lcs[i][j]: the longest common subsequence of am[i..] and bm[j..], in one flat array.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ kind: ' ', text: am[i]!, a: head + i + 1, b: head + j + 1 });
        i++;
        j++;
      } else if (i < n && (j === m || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) {
        out.push({ kind: '-', text: am[i]!, a: head + i + 1 });
        i++;
      } else {
        out.push({ kind: '+', text: bm[j]!, b: head + j + 1 });
        j++;
      }
    }
  }
  for (let k = tail; k > 0; k--) out.push({ kind: ' ', text: a[a.length - k]!, a: a.length - k + 1, b: b.length - k + 1 });
  return out;
}
