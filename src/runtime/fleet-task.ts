/**
 * @module runtime/fleet-task
 * The task a coordinator publishes with a fleet attempt: everything a worker on another
 * machine needs to run it, computed when the attempt is dispatched. Values are already
 * evaluated (env, inputs, cwd), so a worker needs no access to the run's state.
 */
import type { SecretSpec, StepSpec } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';

/** A fleet attempt's task payload (stored as JSON in `attempts.task`). */
export interface FleetTask {
  workflow: string;
  version: string;
  /** Folder relative `uses` modules resolve against: the same checkout must exist on the worker. */
  baseDir: string;
  /** The compiled step; `uses` is a module reference (inline functions cannot travel). */
  step: StepSpec;
  runId: string;
  stepId: string;
  attemptId: string;
  /** From 1. */
  attempt: number;
  cwd: string;
  env: Record<string, string>;
  params: JsonObject;
  inputs: JsonValue;
  outputs: Record<string, JsonValue>;
  /** An item of a mapped step: its item and index, which an http request may read. */
  map?: { item: JsonValue; index: number };
  /** The step's timeout, enforced by the worker, ms. */
  timeoutMs?: number;
  /** Where the worker writes the attempt's log (on its own machine). */
  logPath: string;
  /**
   * The workflow's declared secrets: names and sources, never values. The worker reads the
   * values from its own environment (and files relative to `baseDir`) when it runs the step.
   */
  secrets?: SecretSpec[];
}

/**
 * The task as JSON-able data. No copy: the fields are plain data already (a task never holds
 * an inline function: such steps run on the coordinator), and the store serializes it once.
 */
export function taskToJson(t: FleetTask): JsonObject {
  return t as unknown as JsonObject;
}

/** Reads a stored task back. @throws Error when a field a worker needs is missing. */
export function taskFromJson(j: JsonObject): FleetTask {
  const t = j as unknown as FleetTask;
  for (const k of ['workflow', 'baseDir', 'step', 'runId', 'stepId', 'attemptId', 'attempt', 'cwd', 'logPath'] as const) {
    if (t[k] === undefined) throw new Error(`fleet task of attempt ${String(t.attemptId)} lacks '${k}'`);
  }
  return t;
}
