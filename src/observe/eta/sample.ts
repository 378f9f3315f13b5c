/**
 * @module observe/eta/sample
 * The statistics the ETA draws on, pure and seeded: a deterministic random source per run
 * (so the same state gives the same ETA on every node and every request), quantiles, and a
 * step's duration history as a smoothed bootstrap in log space — a draw is one of the
 * recorded durations times `exp(h·z)`, `h` a robust (MAD-based) Silverman bandwidth of the
 * log-durations. Drawing recorded values keeps the shape of the history (two modes stay
 * two); the small log-normal kernel keeps three samples from looking like certainty; the
 * median/MAD scale keeps one slow outlier from widening every draw.
 */

/** A uniform [0, 1) source. */
export type Random = () => number;

/** 32-bit FNV-1a of a string: the seed of a run's random source. */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * mulberry32: a small, fast, well-mixed 32-bit generator; the same seed gives the same
 * sequence everywhere (Math.random cannot be seeded).
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Size of a model's table of kernel factors. */
const KERNEL_TABLE = 256;
/**
 * Standard normal quantiles at the midpoints of {@link KERNEL_TABLE} equal strata: the
 * kernel's noise is read from a model's table of `exp(h·z)` made of them (a table read
 * instead of a log, a root, a cosine and an exp per draw), evenly spread, no sampling noise.
 */
const NORMALS = Float64Array.from({ length: KERNEL_TABLE }, (_, k) => normalQuantile((k + 0.5) / KERNEL_TABLE));

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const v = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < lo ? v : -v;
  }
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A kernel factor `exp(h·z)` of a model, z standard normal. */
function kernel(m: DurationModel, rand: Random): number {
  return m.factors[(rand() * KERNEL_TABLE) | 0]!;
}

/** The continuous `p` quantile (linear between ranks, as `percentile_cont`) of ascending `sorted`; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = p * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  return lo === hi ? a : a + (sorted[hi]! - a) * (pos - lo);
}

/** Log-scale spread assumed for a step with fewer than three recorded durations (about ±15 %). */
export const PRIOR_LOG_SIGMA = 0.15;
/** Smallest kernel width, log scale: identical histories still get ±2 % of spread. */
const MIN_BANDWIDTH = 0.02;
/**
 * Remaining time of a step (or run) that has already run longer than every recorded
 * duration, as a share of its elapsed time: it is late, so it is expected to end soon, but
 * never to have ended already.
 */
export const BEYOND_HISTORY_FACTOR = 0.1;

/** One step's recorded durations, ready to draw from. */
export interface DurationModel {
  /** The durations, ms, ascending (at least one). */
  sorted: number[];
  /** Kernel width on the log scale. */
  bandwidth: number;
  /** `exp(bandwidth · z)` for z at the strata of a standard normal: what a draw multiplies by. */
  factors: Float64Array;
}

/**
 * Models already made, by the history array they were made of: a workflow's history is
 * read once per TTL and estimated from many times, and making a model sorts it. The arrays
 * are taken as immutable (the history cache hands out new ones on every read).
 */
const MODELS = new WeakMap<readonly number[], DurationModel | null>();

/** The model of a history of durations (ms); undefined when it holds no positive duration. Memoized by array (see MODELS). */
export function durationModel(durations: readonly number[]): DurationModel | undefined {
  const known = MODELS.get(durations);
  if (known !== undefined) return known ?? undefined;
  const m = makeModel(durations);
  MODELS.set(durations, m ?? null);
  return m;
}

function makeModel(durations: readonly number[]): DurationModel | undefined {
  // A zero-length step (a no-op handler on a coarse clock) still took a moment: 1 ms.
  const sorted = durations.filter((d) => Number.isFinite(d) && d >= 0).map((d) => Math.max(1, d)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const logs = sorted.map(Math.log);
  let sigma = PRIOR_LOG_SIGMA;
  if (logs.length >= 3) {
    const med = quantileSorted(logs, 0.5);
    const dev = logs.map((l) => Math.abs(l - med)).sort((a, b) => a - b);
    sigma = 1.4826 * quantileSorted(dev, 0.5);
  }
  const bandwidth = Math.max(MIN_BANDWIDTH, 0.9 * sigma * sorted.length ** -0.2);
  return { sorted, bandwidth, factors: NORMALS.map((z) => Math.exp(bandwidth * z)) };
}

/** A draw of a step's whole duration, ms. */
export function drawDuration(m: DurationModel, rand: Random): number {
  // One uniform picks both: its integer part the recorded duration, its fraction the kernel
  // factor (the fraction of a uniform scaled by n is uniform and independent of the index).
  const u = rand() * m.sorted.length;
  const i = Math.floor(u);
  return m.sorted[i]! * m.factors[((u - i) * KERNEL_TABLE) | 0]!;
}

/** Index of the first value of ascending `sorted` greater than `x`. */
function firstAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A draw of the time still to go, ms, of a step that has run `elapsed` ms: from the
 * recorded durations longer than `elapsed` (the history conditional on lasting that long),
 * or, beyond all of them, a small share of `elapsed` ({@link BEYOND_HISTORY_FACTOR}, with
 * some spread). Never negative.
 */
export function drawRemaining(m: DurationModel, elapsed: number, rand: Random): number {
  const from = firstAbove(m.sorted, elapsed);
  if (from >= m.sorted.length) return Math.max(1, elapsed * BEYOND_HISTORY_FACTOR * (0.5 + rand()));
  const s = m.sorted[from + Math.floor(rand() * (m.sorted.length - from))]!;
  const smoothed = s * kernel(m, rand);
  return Math.max(0, (smoothed > elapsed ? smoothed : s) - elapsed);
}

/**
 * The p50 and p90 of the remaining time, ms, of something that has run `elapsed` ms, from
 * its recorded total durations: their quantiles over those longer than `elapsed`, less
 * `elapsed`; beyond them all, small shares of `elapsed`. Undefined without durations.
 */
export function remainingQuantiles(durations: readonly number[], elapsed: number): { p50: number; p90: number } | undefined {
  const m = durationModel(durations);
  if (!m) return undefined;
  const from = firstAbove(m.sorted, elapsed);
  if (from >= m.sorted.length) return { p50: elapsed * BEYOND_HISTORY_FACTOR, p90: elapsed * BEYOND_HISTORY_FACTOR * 3 };
  const tail = m.sorted.slice(from);
  return { p50: quantileSorted(tail, 0.5) - elapsed, p90: quantileSorted(tail, 0.9) - elapsed };
}
