import { describe, expect, it } from 'vitest';
import type { EtaInput, EtaStep } from './estimate.js';
import { estimateEta } from './estimate.js';
import { durationModel, drawRemaining, hashSeed, quantileSorted, remainingQuantiles, seededRandom } from './sample.js';

const NOW = 1_000_000;
/** `n` durations spread evenly (±10 %) around `ms`, deterministic. */
const around = (ms: number, n = 30): number[] => Array.from({ length: n }, (_, i) => Math.round(ms * (0.9 + (0.2 * i) / (n - 1))));
const step = (id: string, needs: string[] = [], extra: Partial<EtaStep> = {}): EtaStep => ({ id, needs, state: 'pending', ...extra });
const input = (steps: EtaStep[], durations: Record<string, number[]>, extra: Partial<EtaInput> = {}): EtaInput => ({
  steps, stepDurations: new Map(Object.entries(durations)), runDurations: [], now: NOW, runStartedAt: NOW, parallelism: 16, seed: 'run-1', ...extra,
});

describe('estimateEta', () => {
  it('is unknown without any history, never a made-up number', () => {
    expect(estimateEta(input([step('a')], {}))).toStrictEqual({ p50: null, p90: null, basis: 'unknown' });
  });

  it('falls back to run durations when a remaining step has no history', () => {
    const eta = estimateEta(input([step('a'), step('b', ['a'])], { a: around(100) }, { runDurations: around(10_000), runStartedAt: NOW - 4_000 }));
    expect(eta.basis).toBe('runs');
    // Median of the runs is 10 s; 4 s have gone by.
    expect(eta.p50! - NOW).toBeGreaterThan(5_500);
    expect(eta.p50! - NOW).toBeLessThan(6_500);
    expect(eta.p90!).toBeGreaterThanOrEqual(eta.p50!);
  });

  it('a run past every recorded run duration is expected to end soon, not to have ended', () => {
    const eta = estimateEta(input([step('a')], {}, { runDurations: [1_000, 1_100], runStartedAt: NOW - 5_000 }));
    expect(eta.basis).toBe('runs');
    expect(eta.p50!).toBeGreaterThan(NOW);
    expect(eta.p50!).toBeLessThanOrEqual(NOW + 1_000);
  });

  it('sums a chain of steps from their history', () => {
    const eta = estimateEta(input([step('a'), step('b', ['a']), step('c', ['b'])], { a: around(1_000), b: around(2_000), c: around(3_000) }));
    expect(eta.basis).toBe('steps');
    expect(eta.p50! - NOW).toBeGreaterThan(5_700);
    expect(eta.p50! - NOW).toBeLessThan(6_300);
    expect(eta.p90!).toBeGreaterThanOrEqual(eta.p50!);
  });

  it('is robust to a slow outlier in the history (median, not mean)', () => {
    const hist = [...around(1_000, 49), 1_000_000];
    const eta = estimateEta(input([step('a')], { a: hist }));
    expect(eta.p50! - NOW).toBeLessThan(1_200);
    expect(eta.p90! - NOW).toBeLessThan(1_500);
  });

  it('runs parallel branches side by side, not summed', () => {
    const steps = [step('a'), step('b'), step('c'), step('d', ['a', 'b', 'c'])];
    const hist = { a: around(1_000), b: around(1_000), c: around(1_000), d: around(100) };
    const wide = estimateEta(input(steps, hist));
    expect(wide.p50! - NOW).toBeLessThan(1_300);
    const one = estimateEta(input(steps, hist, { parallelism: 1 }));
    expect(one.p50! - NOW).toBeGreaterThan(2_900);
    expect(one.p50! - NOW).toBeLessThan(3_400);
  });

  it('honours pool limits', () => {
    const steps = [step('a', [], { pool: 'db' }), step('b', [], { pool: 'db' })];
    const eta = estimateEta(input(steps, { a: around(1_000), b: around(1_000) }, { pools: { db: 1 } }));
    expect(eta.p50! - NOW).toBeGreaterThan(1_800);
  });

  it("counts a running step's elapsed time", () => {
    const hist = { a: around(10_000), b: around(1_000) };
    const fresh = estimateEta(input([step('a'), step('b', ['a'])], hist));
    const running = estimateEta(input([step('a', [], { state: 'running', startedAt: NOW - 6_000 }), step('b', ['a'])], hist));
    expect(fresh.p50! - NOW).toBeGreaterThan(10_500);
    expect(running.p50! - NOW).toBeGreaterThan(4_500);
    expect(running.p50! - NOW).toBeLessThan(5_700);
  });

  it('a step running past its whole history still has time to go', () => {
    const eta = estimateEta(input([step('a', [], { state: 'running', startedAt: NOW - 50_000 })], { a: around(1_000) }));
    expect(eta.p50!).toBeGreaterThan(NOW);
    expect(eta.p50! - NOW).toBeLessThanOrEqual(50_000 * 0.2);
  });

  it('leaves out finished steps and a pending onFailure hook', () => {
    const steps = [step('a', [], { state: 'succeeded' }), step('b', ['a']), step('alert', [], { onlyOnFailure: true })];
    const eta = estimateEta(input(steps, { b: around(1_000) }));
    expect(eta.basis).toBe('steps');
    expect(eta.p50! - NOW).toBeLessThan(1_200);
  });

  it('waits out a retry backoff', () => {
    const eta = estimateEta(input([step('a', [], { state: 'retrying', dueAt: NOW + 5_000 })], { a: around(1_000) }));
    expect(eta.p50! - NOW).toBeGreaterThan(5_800);
  });

  it('is deterministic per seed; p90 >= p50, wider than p50 and narrower than summed p90s', () => {
    const steps = Array.from({ length: 8 }, (_, i) => step(`s${i}`, i ? [`s${i - 1}`] : []));
    const rand = seededRandom(7);
    const hist = Object.fromEntries(steps.map((s) => [s.id, Array.from({ length: 50 }, () => 1_000 * Math.exp(0.5 * (rand() - 0.5) * 2))]));
    const a = estimateEta(input(steps, hist));
    expect(estimateEta(input(steps, hist))).toStrictEqual(a);
    expect(a.p90!).toBeGreaterThan(a.p50!);
    const summedP90 = steps.reduce((t, s) => t + quantileSorted([...hist[s.id]!].sort((x, y) => x - y), 0.9), 0);
    expect(a.p90! - NOW).toBeLessThan(summedP90);
  });

  it('all steps done: ends now', () => {
    expect(estimateEta(input([step('a', [], { state: 'succeeded' })], {}))).toStrictEqual({ p50: NOW, p90: NOW, basis: 'steps' });
  });
});

describe('sample', () => {
  it('hashes and seeds deterministically', () => {
    expect(hashSeed('abc')).toBe(hashSeed('abc'));
    expect(hashSeed('abc')).not.toBe(hashSeed('abd'));
    const r1 = seededRandom(1);
    const r2 = seededRandom(1);
    for (let i = 0; i < 10; i++) {
      const v = r1();
      expect(v).toBe(r2());
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('draws the remaining time from the history longer than the elapsed time', () => {
    const m = durationModel([100, 200, 300, 10_000])!;
    const rand = seededRandom(3);
    const draws = Array.from({ length: 200 }, () => drawRemaining(m, 5_000, rand)).sort((a, b) => a - b);
    expect(draws[0]!).toBeGreaterThanOrEqual(0);
    // Only the 10 s duration lasted longer than 5 s: about 5 s to go.
    expect(quantileSorted(draws, 0.5)).toBeGreaterThan(2_000);
    expect(remainingQuantiles([100, 200, 300], 1_000)).toStrictEqual({ p50: 100, p90: 300 });
    expect(remainingQuantiles([], 0)).toBeUndefined();
  });
});
