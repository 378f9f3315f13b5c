#!/usr/bin/env node
// Makespan of baton's ready order on seeded random layered DAGs, in simulated time (a
// discrete-event simulation: no real waiting). "baton" pops from baton's ReadyQueue (priority
// and aging levels, then the remaining path, as the engine ranks): "steps" ranks by the path
// counted in steps (a workflow with no history), "history" by the path weighted with each
// step's typical duration known only roughly (its true duration times log-normal noise,
// sigma 0.3, as a median of past attempts is); "FIFO" starts steps in the order they became ready. The bound is max(critical path, total work / slots): no order
// beats it. Figures are medians over the DAGs of each size.
// Usage: node bench/makespan.js [--dags 9] [--seed 1]   (or npm run bench -- --only makespan)
import { ReadyQueue } from '../dist/runtime/ready-queue.js';
import { remainingPaths } from '../dist/runtime/critical-path.js';
import { fmt, median, opt, rng } from './lib.js';

const DAGS = Number(opt('dags', 9));
const SEED = Number(opt('seed', 1));
const SIZES = [50, 200, 500, 2000];
const SLOTS = [2, 8, 32];
const AGING_MS = 10_000; // the engine's default

/** A layered DAG of n steps: ~sqrt(n) layers, 1–3 needs each from the layers above (mostly the one just above); log-normal durations (median 1 s, sigma 1). */
function randomDag(n, rand) {
  const layers = Math.max(2, Math.round(Math.sqrt(n)));
  const layerOf = Array.from({ length: n }, (_, i) => (i < layers ? i : Math.floor(rand() * layers))).sort((a, b) => a - b);
  const byLayer = Array.from({ length: layers }, () => []);
  const steps = layerOf.map((l, i) => (byLayer[l].push(i), { id: `s${i}`, layer: l, needs: [] }));
  for (const s of steps) {
    if (s.layer === 0) continue;
    const k = 1 + Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) {
      const from = rand() < 0.7 ? s.layer - 1 : Math.floor(rand() * s.layer);
      const pool = byLayer[from];
      const up = `s${pool[Math.floor(rand() * pool.length)]}`;
      if (!s.needs.includes(up)) s.needs.push(up);
    }
  }
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const dur = steps.map(() => 1000 * Math.exp(gauss()));
  return { steps, dur };
}

/** Simulates `slots` workers; `queue` is { push(i, t), pop() -> i | undefined }. Returns the makespan, ms. */
function simulate({ steps, dur }, slots, queue) {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const dependents = steps.map(() => []);
  const waiting = steps.map((s) => s.needs.length);
  steps.forEach((s, i) => s.needs.forEach((n) => dependents[index.get(n)].push(i)));
  const running = []; // [end, i], a small array: slots ≤ 32
  let t = 0;
  steps.forEach((_, i) => waiting[i] === 0 && queue.push(i, 0));
  for (;;) {
    for (let i; running.length < slots && (i = queue.pop()) !== undefined;) running.push([t + dur[i], i]);
    if (!running.length) return t;
    t = Math.min(...running.map((r) => r[0]));
    // Every step ending at t is reported before the next take, as one commit turn does.
    for (let k = running.length - 1; k >= 0; k--) {
      if (running[k][0] !== t) continue;
      const [, i] = running.splice(k, 1)[0];
      for (const d of dependents[i]) if (--waiting[d] === 0) queue.push(d, t);
    }
  }
}

function batonQueue(ranks) {
  const q = new ReadyQueue(AGING_MS);
  return { push: (i, t) => q.push({ value: i, priority: 0, queuedAt: t, rank: ranks[i] }), pop: () => q.pop()?.value };
}

function fifoQueue() {
  const q = [];
  let head = 0;
  return { push: (i) => q.push(i), pop: () => (head < q.length ? q[head++] : undefined) };
}

const rand = rng(SEED);
const noise = rng(SEED + 1);
const gaussNoise = () => Math.sqrt(-2 * Math.log(1 - noise())) * Math.cos(2 * Math.PI * noise());
const rows = [];
for (const n of SIZES) {
  const dags = Array.from({ length: DAGS }, () => randomDag(n, rand));
  for (const slots of SLOTS) {
    const r = dags.map((dag) => {
      const bySteps = remainingPaths(dag.steps);
      const estimate = dag.dur.map((d) => d * Math.exp(0.3 * gaussNoise()));
      const byHistory = remainingPaths(dag.steps, (id) => estimate[Number(id.slice(1))]);
      const cp = Math.max(...remainingPaths(dag.steps, (id) => dag.dur[Number(id.slice(1))]).values());
      const bound = Math.max(cp, dag.dur.reduce((a, b) => a + b, 0) / slots);
      const baton = simulate(dag, slots, batonQueue(dag.steps.map((s) => bySteps.get(s.id))));
      const hist = simulate(dag, slots, batonQueue(dag.steps.map((s) => byHistory.get(s.id))));
      const fifo = simulate(dag, slots, fifoQueue());
      return { baton, hist, fifo, bound, vsBound: baton / bound, vsFifo: baton / fifo, histVsBound: hist / bound, histVsFifo: hist / fifo };
    });
    const m = (k) => median(r.map((x) => x[k]));
    rows.push({ n, slots, fifo: m('fifo'), bound: m('bound'), vsBound: m('vsBound'), vsFifo: m('vsFifo'), worstVsFifo: Math.max(...r.map((x) => x.vsFifo)), histVsBound: m('histVsBound'), histWorstVsFifo: Math.max(...r.map((x) => x.histVsFifo)) });
  }
}

console.log(`\nmakespan, simulated: medians over ${DAGS} seeded layered DAGs (seed ${SEED}), log-normal durations (median 1 s, sigma 1)`);
console.log('| steps | slots | FIFO | bound | FIFO/bound | steps/bound | steps/FIFO | worst steps/FIFO | history/bound | worst history/FIFO |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const x of rows) {
  console.log(`| ${fmt(x.n)} | ${x.slots} | ${fmt(x.fifo / 1000, 1)} s | ${fmt(x.bound / 1000, 1)} s | ${fmt(x.fifo / x.bound, 3)}x | ${fmt(x.vsBound, 3)}x | ${fmt(x.vsFifo, 3)}x | ${fmt(x.worstVsFifo, 3)}x | ${fmt(x.histVsBound, 3)}x | ${fmt(x.histWorstVsFifo, 3)}x |`);
}
