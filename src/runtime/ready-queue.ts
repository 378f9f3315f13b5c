/**
 * @module runtime/ready-queue
 * The queue of ready step runs: highest effective priority first, FIFO among equals.
 *
 * Aging: an item gains one priority level per `agingMs` spent waiting, so a low priority
 * step is never starved. Because every waiting item ages at the same rate, comparing
 * `priority + (now - queuedAt) / agingMs` between two items does not depend on `now`; the
 * order is fixed at insertion by the key `priority * agingMs - queuedAt`, and a plain
 * binary heap keeps it exactly, with O(log n) insert and pop.
 */
import { agedPriorityKey } from '../core/index.js';

/** One queued item. */
export interface ReadyItem<T> {
  value: T;
  priority: number;
  queuedAt: number;
}

interface Entry<T> {
  item: ReadyItem<T>;
  key: number;
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
    const e: Entry<T> = { item, key: agedPriorityKey(item.priority, this.agingMs, item.queuedAt), seq: this.seq++ };
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
    return a.key > b.key || (a.key === b.key && a.seq < b.seq);
  }
}
