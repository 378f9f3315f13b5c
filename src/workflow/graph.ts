/**
 * @module workflow/graph
 * Graph algorithms over the steps' `needs`: cycles, ancestors and a Mermaid rendering.
 * They take plain `{ id, needs }` nodes so validation can run them on input that is not
 * (yet) a valid spec.
 */
import type { WorkflowSpec } from './model.js';

/** A node for graph checks: a step id and the ids it needs (unknown ids are ignored). */
export interface GraphNode {
  id: string;
  needs: readonly string[];
}

/**
 * Every dependency cycle, one per strongly connected component, as ids in run order
 * closed back to the start (`['a', 'b', 'c', 'a']`: b needs a, c needs b, a needs c).
 * Each cycle starts at its step that comes first in `nodes`, so reports are stable.
 */
export function findCycles(nodes: readonly GraphNode[]): string[][] {
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const needsOf = new Map(nodes.map((n) => [n.id, n.needs.filter((id) => order.has(id))]));
  // Tarjan's algorithm over "needs" edges; a component's members form the same cycles either way.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  // Iterative, with an explicit frame stack: a recursive walk overflows the call stack on a
  // long chain (a 5,000-step workflow written last step first).
  const frames: { id: string; next: number }[] = [];
  const open = (id: string): void => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    frames.push({ id, next: 0 });
  };
  for (const node of nodes) {
    if (index.has(node.id)) continue;
    open(node.id);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { id: string; next: number };
      const needs = needsOf.get(frame.id) ?? [];
      if (frame.next < needs.length) {
        const next = needs[frame.next++] as string;
        if (!index.has(next)) open(next);
        else if (onStack.has(next)) low.set(frame.id, Math.min(low.get(frame.id) ?? 0, index.get(next) ?? 0));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.id, Math.min(low.get(parent.id) ?? 0, low.get(frame.id) ?? 0));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component);
      }
    }
  }

  const cycles: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...members].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))[0];
    if (start === undefined) continue;
    if (members.size === 1 && !(needsOf.get(start) ?? []).includes(start)) continue;
    cycles.push(shortestCycle(start, members, needsOf));
  }
  return cycles.sort((a, b) => (order.get(a[0] ?? '') ?? 0) - (order.get(b[0] ?? '') ?? 0));
}

/** Breadth-first along "runs before" edges inside one component, back to `start`. */
function shortestCycle(start: string, members: Set<string>, needsOf: Map<string, string[]>): string[] {
  const dependents = new Map<string, string[]>();
  for (const id of members) {
    for (const need of needsOf.get(id) ?? []) {
      if (!members.has(need)) continue;
      const list = dependents.get(need);
      if (list === undefined) dependents.set(need, [id]);
      else list.push(id);
    }
  }
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const current = queue[head] as string;
    for (const next of dependents.get(current) ?? []) {
      if (next === start) {
        const back: string[] = [];
        for (let at: string | undefined = current; at !== undefined && at !== start; at = previous.get(at)) back.push(at);
        return [start, ...back.reverse(), start];
      }
      if (!previous.has(next)) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Every step a step transitively needs (its upstream). Safe on cyclic input. */
export function ancestorsOf(id: string, needsOf: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set<string>();
  const pending = [...(needsOf.get(id) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const need of needsOf.get(next) ?? []) pending.push(need);
  }
  return seen;
}

/**
 * Answers "is `candidate` upstream of `step`?" for many pairs in near-constant time each.
 * On the first question it computes every step's upstream as a bitset, in topological order
 * (each step's set is the union of its needs' sets): O(n²/32) word operations and n²/8 bytes
 * (12.5 MB at 10,000 steps), where one {@link ancestorsOf} walk per step would be O(n²) set
 * insertions, seconds for a long chain whose steps each read a distant output. Steps on or
 * after a cycle have no topological position and fall back to {@link ancestorsOf}.
 */
export function upstreamOracle(needsOf: ReadonlyMap<string, readonly string[]>): (step: string, candidate: string) => boolean {
  let built: { position: Map<string, number>; words: number; bits: Uint32Array; done: Uint8Array } | undefined;
  const fallback = new Map<string, Set<string>>();
  const build = (): NonNullable<typeof built> => {
    const ids = [...needsOf.keys()];
    const position = new Map(ids.map((id, i) => [id, i]));
    const words = Math.ceil(ids.length / 32);
    const bits = new Uint32Array(ids.length * words);
    const done = new Uint8Array(ids.length);
    const waiting = new Uint32Array(ids.length);
    const dependents: number[][] = ids.map(() => []);
    ids.forEach((id, i) => {
      for (const need of needsOf.get(id) ?? []) {
        const k = position.get(need);
        if (k === undefined) continue;
        waiting[i] = (waiting[i] ?? 0) + 1;
        dependents[k]?.push(i);
      }
    });
    const ready: number[] = [];
    waiting.forEach((count, i) => {
      if (count === 0) ready.push(i);
    });
    for (let head = 0; head < ready.length; head++) {
      const i = ready[head] as number;
      done[i] = 1;
      for (const need of needsOf.get(ids[i] as string) ?? []) {
        const k = position.get(need);
        if (k === undefined) continue;
        for (let w = 0; w < words; w++) bits[i * words + w] = (bits[i * words + w] ?? 0) | (bits[k * words + w] ?? 0);
        bits[i * words + (k >>> 5)] = (bits[i * words + (k >>> 5)] ?? 0) | (1 << (k & 31));
      }
      for (const d of dependents[i] ?? []) {
        const left = (waiting[d] ?? 0) - 1;
        waiting[d] = left;
        if (left === 0) ready.push(d);
      }
    }
    return { position, words, bits, done };
  };
  return (step, candidate) => {
    built ??= build();
    const i = built.position.get(step);
    const k = built.position.get(candidate);
    if (i === undefined || k === undefined) return false;
    if (built.done[i] === 1) return ((built.bits[i * built.words + (k >>> 5)] ?? 0) & (1 << (k & 31))) !== 0;
    let upstream = fallback.get(step);
    if (upstream === undefined) fallback.set(step, (upstream = ancestorsOf(step, needsOf)));
    return upstream.has(candidate);
  };
}

/**
 * Renders the step graph as Mermaid `flowchart TD` text: one node per step labelled
 * `id (kind)` with `kind` `run` or `uses`, and an edge from each need to its dependent.
 * Node names are `s0`, `s1`… (file order) because a step id such as `end` is a Mermaid
 * keyword.
 * @see https://mermaid.js.org/syntax/flowchart.html
 * @example
 * flowchart TD
 *   s0["fetch (run)"]
 *   s1["report (uses)"]
 *   s0 --> s1
 */
export function toMermaid(spec: WorkflowSpec): string {
  const name = new Map(spec.steps.map((step, i) => [step.id, `s${i}`]));
  const lines = ['flowchart TD'];
  for (const step of spec.steps) lines.push(`  ${name.get(step.id)}["${step.id} (${step.hook === undefined ? step.action.kind : `${step.action.kind}, ${step.hook}`})"]`);
  for (const step of spec.steps) {
    for (const need of step.needs) lines.push(`  ${name.get(need)} --> ${name.get(step.id)}`);
  }
  // A hook without needs of its own waits for the last steps of the list before it: dashed.
  const sinks = (steps: WorkflowSpec['steps']): string[] => {
    const needed = new Set(steps.flatMap((st) => st.needs));
    return steps.filter((st) => !needed.has(st.id)).map((st) => st.id);
  };
  const main = sinks(spec.steps.filter((st) => st.hook === undefined));
  const onFailure = spec.steps.filter((st) => st.hook === 'onFailure');
  const beforeFinally = onFailure.length ? sinks(onFailure) : main;
  for (const step of spec.steps) {
    if (step.hook === undefined || step.needs.length > 0) continue;
    for (const from of step.hook === 'finally' ? beforeFinally : main) lines.push(`  ${name.get(from)} -.->|${step.hook}| ${name.get(step.id)}`);
  }
  return `${lines.join('\n')}\n`;
}
