/**
 * @module core/machine
 * The pure state machine of one run: `(state, event, now, random) -> transitions`. It knows
 * the DAG, readiness, skip propagation, retry and timeout decisions. It does no I/O and
 * reads no clock: the runtime persists the transitions it returns (write-ahead) and then
 * performs their effects.
 */
import type { StepSpec, WorkflowSpec, ExpressionScope } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import { evaluateCondition, usesStatusFunction } from '../workflow/index.js';
import { backoffDelay } from './backoff.js';
import type { Failure } from './failure.js';
import { failures } from './failure.js';
import { runEnd } from './outcome.js';
import { mapItemId, mapOutcome, parseMapItemId, stopsOnFailure } from './map.js';
import type { RunEndFacts } from './outcome.js';
import { errorMessage } from '../shared/index.js';
import type { EndReason, RunEndReason, RunState, StepRunState } from './states.js';
import type { MachineOptions, RunEvent, StepRunRecord, Transition } from './transitions.js';
export type { MachineOptions, MapTransition, RunEvent, RunTransition, StepRunRecord, StepTransition, Transition } from './transitions.js';
import { IllegalTransitionError, canMoveRun, canMoveStep, isStepActive, isStepDone } from './states.js';


interface Node {
  spec: StepSpec;
  index: number;
  dependents: number[];
  needs: number[];
  rec: StepRunRecord;
  /** Needs not yet done; readiness is decided when this reaches 0 (O(out-degree) per completion). */
  waiting: number;
  /** Its `if` calls always()/failure()/success(): an upstream failure does not skip it by itself. */
  statusAware: boolean;
  /** An item of a mapped step: that step's node, and the item's index. */
  parent?: Node;
  itemIndex?: number;
  /** A mapped step once expanded: its items' nodes in order, with counts kept by `moveStep`. */
  map?: MapState;
}

interface MapState {
  items: Node[];
  /** Items before this index were queued or ended already: where queueing goes on from. */
  next: number;
  /** Items queued, running or retrying. */
  active: number;
  /** Items ended. */
  done: number;
  /** A failed item stopped the rest (`fail-fast`). */
  stopped: boolean;
}

/** One run's DAG state. Mutated only through `apply`. */
export class RunMachine {
  readonly runId: string;
  private runState: RunState;
  private readonly nodes: Node[] = [];
  private readonly byId = new Map<string, Node>();
  private remaining = 0;
  /** Main (not hook) step runs not yet done; hooks wait for 0. */
  private mainRemaining = 0;
  /** onFailure step runs not yet done; finally steps wait for 0 too. */
  private failureRemaining = 0;
  /** A main step failed (not `continueOnError`): the run's outcome, whatever the hooks do. */
  private failedHard = false;
  private ending: 'cancelled' | 'run-timeout' | undefined;
  /** The hooks were stopped too (a forced or second cancel). */
  private hooksStopped = false;
  private readonly maxLost: number;
  /** Scope for expressions; `steps` grows as steps succeed. */
  readonly scope: ExpressionScope;

  constructor(
    readonly spec: WorkflowSpec,
    init: { runId: string; params: JsonObject; state?: RunState; steps?: readonly StepRunRecord[]; tickAt?: number },
    opts: MachineOptions = {},
  ) {
    this.runId = init.runId;
    this.runState = init.state ?? 'queued';
    this.maxLost = opts.maxLostAttempts ?? 3;
    this.scope = { params: init.params, steps: {}, run: { id: init.runId, attempt: 1, state: 'running', failedSteps: [] } };
    if (init.tickAt !== undefined) this.scope.run.tickAt = new Date(init.tickAt).toISOString();
    const given = new Map((init.steps ?? []).map((r) => [r.stepId, r]));
    spec.steps.forEach((s, index) => {
      const rec = given.get(s.id) ?? { stepId: s.id, state: 'pending', attempts: 0, lostAttempts: 0 };
      let statusAware = false;
      try {
        statusAware = s.if !== undefined && usesStatusFunction(s.if);
      } catch {
        // A bad `if` fails its step when decided (decide), with the reason.
      }
      const node: Node = { spec: s, index, dependents: [], needs: [], rec, waiting: 0, statusAware };
      this.nodes.push(node);
      this.byId.set(s.id, node);
    });
    for (const node of this.nodes) {
      for (const need of node.spec.needs) {
        const up = this.byId.get(need);
        if (!up) throw new Error(`step ${node.spec.id} needs unknown step ${need}`);
        node.needs.push(up.index);
        up.dependents.push(node.index);
        if (!isStepDone(up.rec.state)) node.waiting++;
      }
      if (!isStepDone(node.rec.state)) {
        this.remaining++;
        if (node.spec.hook === undefined) this.mainRemaining++;
        else if (node.spec.hook === 'onFailure') this.failureRemaining++;
      }
      if (node.rec.state === 'succeeded') this.scope.steps[node.spec.id] = { output: node.rec.output ?? null };
      if (node.rec.state === 'failed') {
        this.scope.run.failedSteps!.push(node.spec.id);
        if (!node.spec.continueOnError && node.spec.hook === undefined) this.failedHard = true;
      }
    }
    this.restoreItems(init.steps ?? []);
    // Restored while its hooks ran (a crash): how the main steps ended is read back from
    // their records, since `ending` lived in memory only.
    const hooksBegan = this.nodes.some((n) => n.spec.hook !== undefined && n.rec.state !== 'pending');
    if (this.runState === 'running' && hooksBegan && this.mainRemaining === 0) {
      const main = this.nodes.filter((n) => n.spec.hook === undefined);
      if (main.some((n) => n.rec.reason === 'run-timeout')) this.ending = 'run-timeout';
      else if (main.some((n) => n.rec.state === 'cancelled')) this.ending = 'cancelled';
    }
    if (this.mainRemaining === 0) this.scope.run.state = this.mainOutcome();
  }

  /**
   * How the main steps ended, which is the run's state (hooks do not change it, except that
   * a failed hook fails a run whose main steps succeeded). `running` while they run.
   */
  mainOutcome(): RunState {
    if (this.mainRemaining > 0) return 'running';
    if (this.ending === 'cancelled') return 'cancelled';
    return this.ending === 'run-timeout' || this.failedHard ? 'failed' : 'succeeded';
  }

  /**
   * Whether a step run must stop now because the run is ending: main steps once a cancel or
   * run timeout began; hook steps only once they were stopped too (forced or second cancel).
   */
  isStopping(stepId: string): boolean {
    if (this.hooksStopped) return true;
    if (this.ending === undefined) return false;
    return this.node(stepId).spec.hook === undefined;
  }

  /** The run's state. */
  get state(): RunState {
    return this.runState;
  }

  /**
   * True once cancellation or a run timeout began (or a cancel stopped the hooks): a cancel
   * request is then already in effect. Which steps still start is {@link isStopping}'s answer.
   */
  get isEnding(): boolean {
    return this.ending !== undefined || this.hooksStopped;
  }

  /** The record of one step run (read-only by contract). */
  step(stepId: string): StepRunRecord {
    return this.node(stepId).rec;
  }

  /** The compiled step; an item of a mapped step has the mapped step's. */
  stepSpec(stepId: string): StepSpec {
    return this.node(stepId).spec;
  }

  /**
   * The scope a step run's values are evaluated in: the run's, plus `item` and `map.index`
   * for an item of a mapped step.
   */
  scopeFor(stepId: string): ExpressionScope {
    const n = this.node(stepId);
    if (n.parent === undefined) return this.scope;
    return { ...this.scope, item: n.rec.item ?? null, map: { index: n.itemIndex! } };
  }

  /** Whether a step run is a mapped step itself (not one of its items): it runs no attempt. */
  isMapped(stepId: string): boolean {
    const n = this.node(stepId);
    return n.spec.map !== undefined && n.parent === undefined;
  }

  /** Whether a step run is a queued mapped step waiting for its items to be evaluated. */
  needsExpansion(stepId: string): boolean {
    const n = this.node(stepId);
    return n.spec.map !== undefined && n.parent === undefined && n.map === undefined && n.rec.state === 'queued';
  }

  /** The item step run ids of an expanded mapped step, in order (empty before expansion). */
  mapItems(stepId: string): string[] {
    return this.node(stepId).map?.items.map((c) => c.rec.stepId) ?? [];
  }

  /** A step run's mapped step (itself for any other step run): what it counts against. */
  mappedStepOf(stepId: string): string {
    return this.node(stepId).parent?.rec.stepId ?? stepId;
  }

  /** All step run records, in definition order. */
  steps(): StepRunRecord[] {
    return this.nodes.map((n) => n.rec);
  }

  /**
   * Outputs of every upstream step (its needs, their needs, ...) that succeeded, by step id.
   * O(ancestors): callers compute it only when a handler reads `ctx.outputs`.
   */
  upstreamOutputs(stepId: string): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    const seen = new Set<number>();
    const n = this.node(stepId);
    // An item reads what its mapped step reads.
    const stack = [...(n.parent ?? n).needs];
    while (stack.length) {
      const i = stack.pop()!;
      if (seen.has(i)) continue;
      seen.add(i);
      const up = this.nodes[i]!;
      if (up.rec.state === 'succeeded') out[up.spec.id] = up.rec.output ?? null;
      stack.push(...up.needs);
    }
    return out;
  }

  /**
   * Applies one event. `now` is ms since epoch; `random` is uniform in [0,1) and feeds
   * backoff jitter. Returns the transitions in the order they happened.
   * @throws IllegalTransitionError when the event does not fit the current state (an engine bug).
   */
  apply(event: RunEvent, now: number, random = 0): Transition[] {
    const out: Transition[] = [];
    switch (event.type) {
      case 'start':
        this.moveRun(out, 'running', now);
        this.resolveWaiting(out, now);
        break;
      case 'resume':
        this.reopen(out, now);
        break;
      case 'attempt-started': {
        const n = this.node(event.stepId);
        n.rec.attempts++;
        n.rec.startedAt = now;
        this.scope.run.attempt = n.rec.attempts;
        this.moveStep(out, n, 'running', now);
        break;
      }
      case 'attempt-succeeded': {
        this.succeed(out, this.node(event.stepId), event.output, now);
        break;
      }
      case 'attempt-failed': {
        const n = this.node(event.stepId);
        const spent = n.rec.attempts - n.rec.lostAttempts - (n.rec.retryBase ?? 0);
        if (!this.isStopping(n.spec.id) && event.failure.retryable && spent < n.spec.retry.attempts) {
          const dueAt = now + backoffDelay(n.spec.retry, spent, random, event.failure.retryAfterMs);
          n.rec.dueAt = dueAt;
          n.rec.error = event.failure;
          this.moveStep(out, n, 'retrying', now, { reason: event.reason, error: event.failure, dueAt });
        } else {
          this.fail(out, n, now, event.reason, event.failure);
        }
        break;
      }
      case 'attempt-lost': {
        const n = this.node(event.stepId);
        n.rec.lostAttempts++;
        if (this.isStopping(n.spec.id)) {
          this.endByCancel(out, n, now);
        } else if (n.rec.lostAttempts > this.maxLost) {
          this.fail(out, n, now, 'lost', {
            ...failures.lost(`lost ${n.rec.lostAttempts} times: the process running it died each time`),
            retryable: false,
          });
        } else {
          n.rec.queuedAt = now;
          this.moveStep(out, n, 'queued', now, { reason: 'lost' });
        }
        break;
      }
      case 'attempt-ended-by-cancel':
        this.endByCancel(out, this.node(event.stepId), now);
        break;
      case 'backoff-elapsed': {
        const n = this.node(event.stepId);
        if (n.rec.state !== 'retrying') break; // a stale timer after cancellation
        delete n.rec.dueAt;
        n.rec.queuedAt = now;
        this.moveStep(out, n, 'queued', now);
        break;
      }
      case 'map-expanded': {
        const n = this.node(event.stepId);
        // Late: a cancel ended the step while its items were being evaluated.
        if (!this.needsExpansion(event.stepId)) break;
        this.expand(out, n, event.items, now);
        break;
      }
      case 'map-failed': {
        const n = this.node(event.stepId);
        if (!this.needsExpansion(event.stepId)) break;
        this.fail(out, n, now, 'error', event.failure);
        break;
      }
      case 'cancel': {
        if (this.runState !== 'running' || this.hooksStopped) break;
        const mainDone = this.mainRemaining === 0;
        // A run timeout bounds the main steps only: hooks keep their own timeouts.
        if (event.reason === 'run-timeout' && (mainDone || this.ending !== undefined)) break;
        // A second cancel, a forced one, or one that comes while only hooks run stops the hooks.
        if (this.ending !== undefined || event.force === true || mainDone) this.hooksStopped = true;
        // Once the main steps have ended, their outcome stands: a cancel then stops hooks only.
        if (!mainDone) this.ending ??= event.reason;
        for (const n of this.nodes) {
          const s = n.rec.state;
          if ((s === 'pending' || s === 'queued' || s === 'retrying') && this.isStopping(n.spec.id)) this.endByCancel(out, n, now);
        }
        break;
      }
    }
    this.maybeEndRun(out, now);
    return out;
  }

  /** Steps that are `running` (the runtime must end their attempts when cancelling). */
  runningSteps(): string[] {
    return this.nodes.filter((n) => n.rec.state === 'running').map((n) => n.spec.id);
  }

  /** Steps that are `queued` right now, in definition order. */
  queuedSteps(): string[] {
    return this.nodes.filter((n) => n.rec.state === 'queued').map((n) => n.spec.id);
  }

  /** Steps waiting out a backoff, with their due times. */
  retryingSteps(): { stepId: string; dueAt: number }[] {
    return this.nodes
      .filter((n) => n.rec.state === 'retrying')
      .map((n) => ({ stepId: n.spec.id, dueAt: n.rec.dueAt ?? 0 }));
  }

  private node(stepId: string): Node {
    const n = this.byId.get(stepId);
    if (!n) throw new Error(`unknown step ${stepId} in run ${this.runId}`);
    return n;
  }

  private moveStep(
    out: Transition[],
    n: Node,
    to: StepRunState,
    at: number,
    extra: { reason?: EndReason; dueAt?: number; output?: JsonValue; error?: Failure } = {},
  ): void {
    const from = n.rec.state;
    if (!canMoveStep(from, to)) throw new IllegalTransitionError(`step ${n.rec.stepId}`, from, to);
    n.rec.state = to;
    const m = n.parent?.map;
    if (m) {
      m.active += Number(isStepActive(to)) - Number(isStepActive(from));
      m.done += Number(isStepDone(to)) - Number(isStepDone(from));
    }
    if (isStepDone(to)) {
      n.rec.endedAt = at;
      if (extra.reason !== undefined) n.rec.reason = extra.reason;
      if (extra.error !== undefined) n.rec.error = extra.error;
    }
    out.push({ kind: 'step', stepId: n.rec.stepId, from, to, at, ...extra });
  }

  private moveRun(out: Transition[], to: RunState, at: number, reason?: RunEndReason): void {
    const from = this.runState;
    if (!canMoveRun(from, to)) throw new IllegalTransitionError(`run ${this.runId}`, from, to);
    this.runState = to;
    out.push(reason === undefined ? { kind: 'run', from, to, at } : { kind: 'run', from, to, at, reason });
  }

  private fail(out: Transition[], n: Node, now: number, reason: EndReason, failure: Failure): void {
    // An item's failure counts through its mapped step's outcome.
    if (!n.spec.continueOnError && n.spec.hook === undefined && n.parent === undefined) this.failedHard = true;
    this.scope.run.failedSteps!.push(n.rec.stepId);
    this.moveStep(out, n, 'failed', now, { reason, error: failure });
    this.finish(out, n, now);
  }

  private endByCancel(out: Transition[], n: Node, now: number): void {
    if (this.ending === 'run-timeout' && n.rec.state === 'running' && n.spec.hook === undefined && n.map === undefined) {
      if (n.parent === undefined) this.failedHard = true;
      this.scope.run.failedSteps!.push(n.rec.stepId);
      this.moveStep(out, n, 'failed', now, {
        reason: 'run-timeout',
        error: failures.runTimeout(),
      });
    } else {
      this.moveStep(out, n, 'cancelled', now, { reason: 'cancelled' });
    }
    this.finish(out, n, now);
  }

  /** A step reached a final state: count down its dependents and decide those now ready. */
  private finish(out: Transition[], n: Node, now: number): void {
    if (n.parent !== undefined) {
      this.itemEnded(out, n, now);
      return;
    }
    this.remaining--;
    const ready: Node[] = [];
    for (const i of n.dependents) {
      const d = this.nodes[i]!;
      d.waiting--;
      if (d.waiting === 0 && d.rec.state === 'pending' && this.gateOpen(d)) ready.push(d);
    }
    for (const d of ready) this.decide(out, d, now);
    if (n.spec.hook === undefined) {
      if (--this.mainRemaining === 0) {
        this.scope.run.state = this.mainOutcome();
        this.openHooks(out, now);
      }
    } else if (n.spec.hook === 'onFailure' && --this.failureRemaining === 0) {
      this.openHooks(out, now);
    }
  }

  /** Whether the implied wait of a hook step (all main steps, then all onFailure steps) is over. */
  private gateOpen(n: Node): boolean {
    if (n.spec.hook === undefined) return true;
    if (this.mainRemaining > 0) return false;
    return n.spec.hook === 'onFailure' || this.failureRemaining === 0;
  }

  /** The main steps (or the onFailure steps) have ended: hooks whose own needs are done are decided. */
  private openHooks(out: Transition[], now: number): void {
    for (const n of this.nodes) {
      if (n.spec.hook !== undefined && n.parent === undefined && n.rec.state === 'pending' && n.waiting === 0 && this.gateOpen(n)) this.decide(out, n, now);
    }
  }

  /** Resuming: cancelled step runs wait again, and the run goes on from what is recorded. */
  private reopen(out: Transition[], now: number): void {
    // A run that crashed while its hooks ran goes on with them: its main steps have ended,
    // and a cancel or run timeout they ended by still holds.
    const midHooks = this.runState === 'running' && this.mainRemaining === 0 && this.nodes.some((n) => n.spec.hook !== undefined && n.rec.state !== 'pending');
    if (!midHooks) {
      this.ending = undefined;
      this.hooksStopped = false;
    }
    for (const n of this.nodes) {
      if (n.rec.state !== 'cancelled' || (midHooks && n.spec.hook === undefined)) continue;
      this.moveStep(out, n, 'pending', now);
      delete n.rec.reason;
      delete n.rec.endedAt;
      if (n.parent !== undefined) {
        // Queued again from the first item that waits, once its mapped step goes on.
        n.parent.map!.next = 0;
        continue;
      }
      this.remaining++;
      if (n.spec.hook === undefined) this.mainRemaining++;
      else if (n.spec.hook === 'onFailure') this.failureRemaining++;
    }
    if (this.mainRemaining > 0) {
      this.scope.run.state = 'running';
      // Failures of main steps that are re-opened are history; those still failed stay.
      this.scope.run.failedSteps = this.nodes.filter((n) => n.rec.state === 'failed').map((n) => n.spec.id);
    }
    for (const n of this.nodes) {
      n.waiting = n.needs.filter((i) => !isStepDone(this.nodes[i]!.rec.state)).length;
    }
    this.moveRun(out, 'running', now);
    this.resolveWaiting(out, now);
  }

  /** Decides every pending step whose needs are all done (start and resume). */
  private resolveWaiting(out: Transition[], now: number): void {
    for (const n of this.nodes) {
      if (n.parent !== undefined) continue;
      if (n.rec.state === 'pending' && n.waiting === 0 && this.gateOpen(n)) this.decide(out, n, now);
      // An expanded step interrupted while its items ran goes on queueing them.
      else if (n.map !== undefined && n.rec.state === 'running') this.pumpItems(out, n, now);
    }
  }

  /** A pending step whose needs are all done becomes queued, skipped or cancelled. */
  private decide(out: Transition[], n: Node, now: number): void {
    if (n.rec.state !== 'pending') return;
    if (this.isStopping(n.spec.id)) {
      this.moveStep(out, n, 'cancelled', now, { reason: 'cancelled' });
      this.finish(out, n, now);
      return;
    }
    let skip: EndReason | undefined;
    // onFailure hooks answer a failure of the main steps (a run timeout is one), not a cancel.
    if (n.spec.hook === 'onFailure' && this.mainOutcome() !== 'failed') skip = 'condition-false';
    const status = { failure: false, success: true };
    for (const i of n.needs) {
      const up = this.nodes[i]!;
      if (up.rec.state === 'failed') status.failure = true;
      if (up.rec.state !== 'succeeded' && !(up.rec.state === 'failed' && up.spec.continueOnError)) status.success = false;
      // A trigger rule (always(), failure()) decides for itself; the default is success().
      if (n.statusAware) continue;
      if (up.rec.state === 'failed' && !up.spec.continueOnError) skip = 'upstream-failed';
      else if ((up.rec.state === 'skipped' || up.rec.state === 'cancelled') && skip === undefined) skip = 'upstream-skipped';
    }
    if (skip === undefined && n.spec.if !== undefined) {
      let ok: boolean;
      try {
        ok = evaluateCondition(n.spec.if, n.statusAware ? { ...this.scope, status } : this.scope);
      } catch (e) {
        this.fail(out, n, now, 'error', failures.expression(`if: ${errorMessage(e)}`));
        return;
      }
      if (!ok) skip = 'condition-false';
    }
    if (skip !== undefined) {
      this.moveStep(out, n, 'skipped', now, { reason: skip });
      this.finish(out, n, now);
      return;
    }
    n.rec.queuedAt = now;
    this.moveStep(out, n, 'queued', now);
    // Expanded before (a resumed cancel, an operator's re-run): its recorded items go on.
    if (n.map !== undefined) this.startItems(out, n, now);
  }

  /** Expands a queued mapped step into one pending step run per item, and queues the first ones. */
  private expand(out: Transition[], n: Node, items: JsonValue[], now: number): void {
    const spec = n.spec.map!;
    if (items.length > spec.maxItems) {
      this.fail(out, n, now, 'error', failures.mapInvalid(
        `map items gave ${items.length.toLocaleString('en-US')} items: at most ${spec.maxItems.toLocaleString('en-US')} (map.maxItems)`,
      ));
      return;
    }
    n.map = { items: [], next: 0, active: 0, done: 0, stopped: false };
    items.forEach((item, i) => this.addItem(n, { stepId: mapItemId(n.rec.stepId, i), state: 'pending', attempts: 0, lostAttempts: 0, item }, i));
    out.push({ kind: 'map', stepId: n.rec.stepId, at: now, itemIds: n.map.items.map((c) => c.rec.stepId) });
    this.startItems(out, n, now);
  }

  /** A queued expanded step starts: it runs while its items do (an empty map succeeds at once). */
  private startItems(out: Transition[], n: Node, now: number): void {
    n.rec.startedAt = now;
    this.moveStep(out, n, 'running', now);
    this.pumpItems(out, n, now);
    if (n.map!.done === n.map!.items.length) this.endMapped(out, n, now);
  }

  private addItem(parent: Node, rec: StepRunRecord, index: number): Node {
    const node: Node = { spec: parent.spec, index: this.nodes.length, dependents: [], needs: [], rec, waiting: 0, statusAware: false, parent, itemIndex: index };
    this.nodes.push(node);
    this.byId.set(rec.stepId, node);
    parent.map!.items.push(node);
    return node;
  }

  /** Rebuilds expanded steps from stored item records (a resume, a re-run). */
  private restoreItems(records: readonly StepRunRecord[]): void {
    const found: { parent: Node; index: number; rec: StepRunRecord }[] = [];
    for (const rec of records) {
      const id = parseMapItemId(rec.stepId);
      const parent = id && this.byId.get(id.stepId);
      if (!id || !parent || parent.spec.map === undefined || parent.parent !== undefined) continue;
      found.push({ parent, index: id.index, rec });
    }
    found.sort((a, b) => a.parent.index - b.parent.index || a.index - b.index);
    for (const { parent, index, rec } of found) {
      parent.map ??= { items: [], next: 0, active: 0, done: 0, stopped: false };
      const m = parent.map;
      const node = this.addItem(parent, rec, index);
      m.active += Number(isStepActive(rec.state));
      m.done += Number(isStepDone(rec.state));
      if (rec.state === 'skipped' && rec.reason === 'upstream-failed') m.stopped = true;
      if (rec.state === 'failed') this.scope.run.failedSteps!.push(rec.stepId);
      node.needs = parent.needs;
    }
  }

  /** Queues pending items of an expanded step while its `concurrency` allows, in order. */
  private pumpItems(out: Transition[], n: Node, now: number): void {
    const m = n.map!;
    const limit = n.spec.map!.concurrency ?? Number.POSITIVE_INFINITY;
    while (m.active < limit && m.next < m.items.length) {
      const c = m.items[m.next++]!;
      if (c.rec.state !== 'pending') continue;
      if (m.stopped) {
        this.moveStep(out, c, 'skipped', now, { reason: 'upstream-failed' });
      } else if (this.isStopping(c.rec.stepId)) {
        this.moveStep(out, c, 'cancelled', now, { reason: 'cancelled' });
      } else {
        c.rec.queuedAt = now;
        this.moveStep(out, c, 'queued', now);
      }
    }
  }

  /** An item ended: a failure may stop the rest; the next items queue; the last one ends its step. */
  private itemEnded(out: Transition[], c: Node, now: number): void {
    const p = c.parent!;
    const m = p.map!;
    if (c.rec.state === 'failed' && !m.stopped && stopsOnFailure(p.spec.map!)) {
      m.stopped = true;
      for (const other of m.items) {
        const s = other.rec.state;
        if (s === 'pending' || s === 'queued') this.moveStep(out, other, 'skipped', now, { reason: 'upstream-failed' });
      }
    }
    this.pumpItems(out, p, now);
    // Ended from `running` only: a cancel may end every item before the step started.
    if (m.done === m.items.length && p.rec.state === 'running') this.endMapped(out, p, now);
  }

  /** A step run succeeded with `output`; an earlier attempt's failure is history (its attempt keeps it), not the step's state. */
  private succeed(out: Transition[], n: Node, output: JsonValue, now: number): void {
    n.rec.output = output;
    delete n.rec.error;
    delete n.rec.reason;
    this.scope.steps[n.rec.stepId] = { output };
    this.moveStep(out, n, 'succeeded', now, { output });
    this.finish(out, n, now);
  }

  /** Every item of an expanded step ended: the step ends with their outcome. */
  private endMapped(out: Transition[], n: Node, now: number): void {
    const outcome = mapOutcome(n.spec.map!, n.map!.items.map((c) => c.rec), this.ending);
    if (outcome.state === 'succeeded') {
      this.succeed(out, n, outcome.output, now);
    } else if (outcome.state === 'cancelled') {
      this.moveStep(out, n, 'cancelled', now, { reason: 'cancelled' });
      this.finish(out, n, now);
    } else {
      this.fail(out, n, now, outcome.runTimeout ? 'run-timeout' : 'error', outcome.failure);
    }
  }

  private maybeEndRun(out: Transition[], now: number): void {
    if (this.remaining > 0 || this.runState !== 'running') return;
    const ids = (hook: boolean, state: StepRunState): string[] =>
      this.nodes.filter((n) => n.parent === undefined && (n.spec.hook !== undefined) === hook && n.rec.state === state && !(state === 'failed' && n.spec.continueOnError)).map((n) => n.spec.id);
    const end = runEnd({
      // Every step run has ended, so the main steps have: their outcome is not `running`.
      main: this.mainOutcome() as RunEndFacts['main'],
      ...(this.ending ? { ending: this.ending } : {}),
      hasHooks: this.spec.steps.some((s) => s.hook !== undefined),
      mainFailed: ids(false, 'failed'),
      hooksFailed: ids(true, 'failed'),
      hooksCancelled: ids(true, 'cancelled'),
    });
    this.moveRun(out, end.state, now, end.reason);
  }
}
