/**
 * @module runtime/batching
 * The engine's write batches: building them, merging a failed one back in front of newer
 * changes, and the event a step transition records.
 */
import type { StepTransition } from '../core/index.js';
import type { JsonObject } from '../shared/index.js';
import type { Batch, NewEvent } from '../store/index.js';

/** The event recording one step transition. */
export function stepEvent(runId: string, t: StepTransition, attemptId: string | undefined, attempt: number): NewEvent {
  const data: JsonObject = { attempt };
  if (t.reason) data.reason = t.reason;
  if (t.dueAt !== undefined) data.dueAt = t.dueAt;
  if (t.error) data.error = { ...t.error };
  return { runId, stepId: t.stepId, type: 'step', from: t.from, to: t.to, at: t.at, data, ...(attemptId ? { attemptId } : {}) };
}

/** `first` then `then`, as one batch (arrays concatenated in that order). */
export function mergeBatches(first: Batch, then: Batch): Batch {
  const pids = [...(first.attemptPids ?? []), ...(then.attemptPids ?? [])];
  const applied = [...(first.attemptsApplied ?? []), ...(then.attemptsApplied ?? [])];
  const published = [...(first.attemptsPublished ?? []), ...(then.attemptsPublished ?? [])];
  const created = [...(first.runsCreated ?? []), ...(then.runsCreated ?? [])];
  const added = [...(first.stepRunsAdded ?? []), ...(then.stepRunsAdded ?? [])];
  const calls = [...(first.breakerCalls ?? []), ...(then.breakerCalls ?? [])];
  return {
    ...(created.length ? { runsCreated: created } : {}),
    ...(added.length ? { stepRunsAdded: added } : {}),
    ...(published.length ? { attemptsPublished: published } : {}),
    ...(applied.length ? { attemptsApplied: applied } : {}),
    attemptsStarted: [...first.attemptsStarted, ...then.attemptsStarted],
    attemptsEnded: [...first.attemptsEnded, ...then.attemptsEnded],
    stepRuns: [],
    runs: [...first.runs, ...then.runs],
    events: [...first.events, ...then.events],
    ...(pids.length ? { attemptPids: pids } : {}),
    ...(calls.length ? { breakerCalls: calls } : {}),
  };
}

/** A batch with nothing in it. */
export function emptyBatch(): Batch {
  return { attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [] };
}

/** Whether a batch writes nothing. */
export function isEmpty(b: Batch): boolean {
  return !b.attemptsStarted.length && !b.attemptsEnded.length && !b.stepRuns.length && !b.runs.length && !b.events.length &&
    !b.attemptPids?.length && !b.attemptsApplied?.length && !b.attemptsPublished?.length && !b.runsCreated?.length && !b.stepRunsAdded?.length && !b.breakerCalls?.length;
}

/**
 * `b` without anything of the runs in `ids`: what a failed commit leaves to retry once the
 * runs it was creating are given up (their creators are told; nothing of them was written).
 */
export function withoutRuns(b: Batch, ids: ReadonlySet<string>): Batch {
  const keep = <T extends { runId: string }>(xs: T[]): T[] => xs.filter((x) => !ids.has(x.runId));
  const created = b.runsCreated?.filter((c) => !ids.has(c.record.id)) ?? [];
  const published = b.attemptsPublished ? keep(b.attemptsPublished) : [];
  const added = b.stepRunsAdded ? keep(b.stepRunsAdded) : [];
  // Pids, ends and applied marks come after an attempt started, which a run never committed cannot have.
  return {
    ...(created.length ? { runsCreated: created } : {}),
    ...(published.length ? { attemptsPublished: published } : {}),
    ...(added.length ? { stepRunsAdded: added } : {}),
    ...(b.attemptsApplied?.length ? { attemptsApplied: b.attemptsApplied } : {}),
    attemptsStarted: keep(b.attemptsStarted),
    attemptsEnded: b.attemptsEnded,
    stepRuns: keep(b.stepRuns),
    runs: b.runs.filter((r) => !ids.has(r.id)),
    events: keep(b.events),
    ...(b.attemptPids?.length ? { attemptPids: b.attemptPids } : {}),
    ...(b.breakerCalls?.length ? { breakerCalls: b.breakerCalls } : {}),
  };
}
