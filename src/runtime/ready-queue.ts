/**
 * @module runtime/ready-queue
 * The queue of ready step runs: highest effective priority first, FIFO among equals.
 *
 * Aging: an item gains one priority level per `agingMs` spent waiting, so a low priority
 * step is never starved. Because every waiting item ages at the same rate, comparing
 * `priority + (now - queuedAt) / agingMs` between two items does not depend on `now`; the
 * order is fixed at insertion by the key `priority * agingMs - queuedAt`, and a plain
 * binary heap keeps it exactly, with O(log n) insert and pop.
 *
 * Among items of equal key (same priority, ready at the same instant: the dependents one
 * completion released) the larger `rank` goes first — the run's remaining critical path
 * (./critical-path.ts). It is a second comparison, not part of the key, so aging keeps its
 * meaning in ms whatever unit the rank is in.
 */
import { agedPriorityKey } from '../core/index.js';

/** One queued item. */
export interface ReadyItem<T> {
  value: T;
  priority: number;
  queuedAt: number;
  /** Tie-breaker among equal keys, larger first: the step's remaining path. @default 0 */
  rank?: number;
}

interface Entry<T> {
  item: ReadyItem<T>;
  key: number;
  rank: number;
  seq: number;
}

/** A max-heap on aged priority. */
export class ReadyQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  /** @param agingMs - waiting time worth one priority level, ms: the engine's compiled `agingMs` (core/aging.ts). */
  constructor(private readonly agingMs: number) {}

  get size(): number {
    return this.heap.length;
  }

  /** Effective priority of an item at `now` (for display: "aged to +3"). */
  effectivePriority(item: ReadyItem<T>, now: number): number {
    return item.priority + Math.max(0, now - item.queuedAt) / this.agingMs;
  }

  push(item: ReadyItem<T>): void {
    const e: Entry<T> = { item, key: agedPriorityKey(item.priority, this.agingMs, item.queuedAt), rank: item.rank ?? 0, seq: this.seq++ };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  pop(): ReadyItem<T> | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop()!;
    if (h.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let best = last;
        if (l < h.length && this.before(h[l]!, best)) {
          m = l;
          best = h[l]!;
        }
        if (r < h.length && this.before(h[r]!, best)) {
          m = r;
          best = h[r]!;
        }
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top.item;
  }

  private before(a: Entry<T>, b: Entry<T>): boolean {
    return a.key > b.key || (a.key === b.key && (a.rank > b.rank || (a.rank === b.rank && a.seq < b.seq)));
  }
}
