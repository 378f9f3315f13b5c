/**
 * @module runtime/records
 * The rows a new run starts with, built in one place for every way a run is created:
 * `baton run` (executed here), a delayed run (`--at`/`--in`) and a schedule tick.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowSpec } from '../workflow/index.js';
import type { JsonObject } from '../shared/index.js';
import type { NewRunRows, RunRecord, Store, WorkflowVersionRecord } from '../store/index.js';
import type { StartRunOptions } from './engine-types.js';

/** Options for one new run: those of a run started now, and when or by which tick it is due. */
export interface NewRunOptions extends StartRunOptions {
  /** Makes the run `pending` until this time (ms since epoch); absent = `queued` now. */
  dueAt?: number;
  /** The schedule tick that creates it. */
  schedule?: { id: string; tickAt: number };
}

/** The records of a new run, ready for `Store.createRun`, `Store.fireTick` or `Batch.runsCreated`. */
export type NewRun = NewRunRows;

/**
 * Time-sortable, short, lowercase: 8 base-36 chars of ms time + 8 random hex chars (a
 * 100-tick catch-up creates its runs in the same millisecond; 32 random bits keep them apart).
 */
export function newRunId(now: number): string {
  return now.toString(36).padStart(8, '0') + randomBytes(4).toString('hex');
}

/** Builds a new run's records; nothing is written. */
export function newRun(spec: WorkflowSpec, version: string, opts: NewRunOptions, now: number): NewRun {
  const id = newRunId(now);
  const state = opts.dueAt !== undefined ? 'pending' : 'queued';
  const record: RunRecord = {
    id, workflow: spec.name, version, state, trigger: opts.trigger ?? 'manual', params: opts.params ?? {},
    priority: opts.priority ?? 0, stepCount: spec.steps.length, createdAt: now,
  };
  if (opts.concurrency !== undefined) record.concurrency = opts.concurrency;
  if (opts.dueAt !== undefined) record.dueAt = opts.dueAt;
  else record.queuedAt = now;
  if (opts.schedule) {
    record.scheduleId = opts.schedule.id;
    record.tickAt = opts.schedule.tickAt;
  }
  if (opts.parent) Object.assign(record, { parentRunId: opts.parent.runId, parentStepId: opts.parent.stepId, depth: opts.parent.depth });
  const data: JsonObject = { workflow: spec.name, version, trigger: record.trigger };
  if (opts.parent) Object.assign(data, { parentRunId: opts.parent.runId, parentStepId: opts.parent.stepId });
  if (opts.dueAt !== undefined) data.dueAt = opts.dueAt;
  return {
    record,
    steps: spec.steps.map((s, position) => ({ runId: id, stepId: s.id, position, state: 'pending', attempts: 0, lostAttempts: 0 })),
    events: [{ runId: id, type: 'run', to: state, at: now, data }],
  };
}

/** The spec as stored: JSON-able, inline handlers replaced by a marker. */
export function workflowRecord(spec: WorkflowSpec, version: string, now: number): WorkflowVersionRecord {
  const definition = JSON.parse(
    JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'function' ? `inline:${(v as { name?: string }).name || 'anonymous'}` : v)),
  ) as JsonObject;
  const w: WorkflowVersionRecord = { version, name: spec.name, definition, createdAt: now };
  if (spec.sourcePath) w.sourcePath = spec.sourcePath;
  return w;
}

/**
 * Records a run without executing it: `pending` until `dueAt`, else `queued` for whichever
 * process starts queued runs (`baton server`). Returns the run id.
 */
export async function submitRun(store: Store, spec: WorkflowSpec, version: string, opts: NewRunOptions, now: number): Promise<string> {
  await store.saveWorkflow(workflowRecord(spec, version, now));
  const run = newRun(spec, version, opts, now);
  await store.createRun(run.record, run.steps, run.events);
  return run.record.id;
}
