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
 * The order compares whole aging levels first: `priority - floor(queuedAt / agingMs)`, the priority
 * less the number of whole `agingMs` windows (counted from the epoch) before the item became
 * ready. Among items of the same level the larger `rank` goes first — the run's remaining
 * critical path (./critical-path.ts) — and then the earlier one. So priorities and aging stay
 * above the critical path (an item that has waited a whole `agingMs` longer goes first, as a
 * higher priority does), while steps that became ready within the same window start
 * longest-path-first instead of in arrival order: ranking only exact ties left the order of a
 * continuously running DAG close to FIFO (bench/makespan.js measures both). Still a total
 * order fixed at insertion, so the heap stays exact.
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
  /** Aging level: `priority - floor(queuedAt / agingMs)`. */
  level: number;
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
    const key = agedPriorityKey(item.priority, this.agingMs, item.queuedAt);
    const e: Entry<T> = { item, level: item.priority - Math.floor(item.queuedAt / this.agingMs), key, rank: item.rank ?? 0, seq: this.seq++ };
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
    if (a.level !== b.level) return a.level > b.level;
    if (a.rank !== b.rank) return a.rank > b.rank;
    return a.key > b.key || (a.key === b.key && a.seq < b.seq);
  }
}
