import type { Failure } from '../core/index.js';
import type { JsonObject, JsonValue, StepSpec } from '../spec/index.js';
import type { AttemptLog } from './log.js';

/** Why an attempt's signal was aborted: the runtime sets one of these as `signal.reason`. */
export type AbortCause = 'cancelled' | 'timeout' | 'run-timeout';

/** Everything an executor needs to run one attempt. Values are already interpolated. */
export interface AttemptRequest {
  runId: string;
  workflow: string;
  stepId: string;
  attemptId: string;
  /** From 1. */
  attempt: number;
  step: StepSpec;
  baseDir: string;
  /** Absolute working directory. */
  cwd: string;
  /** Workflow and step `env`, evaluated; the shell executor adds the process env and `BATON_*`. */
  env: Record<string, string>;
  params: JsonObject;
  /** The step's `with`, evaluated. */
  inputs: JsonValue;
  /** Outputs of every upstream step; a function so that it is computed only when read. */
  outputs: () => Record<string, JsonValue>;
  /** Graceful stop: SIGTERM to the process group, or the handler's AbortSignal. */
  signal: AbortSignal;
  /** Forced stop: SIGKILL at once. */
  force: AbortSignal;
  log: AttemptLog;
  /** File the step may write its JSON output to (`$BATON_OUTPUT`). */
  outputPath: string;
  /** Called once a child process exists, so its pid can be recorded. */
  onSpawn?: (pid: number) => void;
}

/** How an attempt ended, as the executor saw it. */
export type AttemptResult =
  | { ok: true; output: JsonValue; exitCode?: number; peakRssBytes?: number; cpuMs?: number }
  | { ok: false; failure: Failure; exitCode?: number; peakRssBytes?: number; cpuMs?: number };

/** Limits every executor applies. */
export interface ExecutorLimits {
  /** Time between SIGTERM and SIGKILL when stopping a process group, ms. @default 5000 */
  graceMs: number;
  /** Largest output a step may return, bytes of JSON. @default 1048576 (1 MiB) */
  maxOutputBytes: number;
}
