import type { Failure } from '../core/index.js';
import type { SecretSpec, StepSpec } from '../workflow/index.js';
import type { Masker } from './mask.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import type { BatchGroupState } from '../store/index.js';
import type { AttemptLog } from './log.js';
import type { HandlerPool } from './handler-pool.js';

/**
 * One group of a batch step's items as the batch executor plans, runs and resumes it: the
 * plan is saved whole when the step starts, then each group as it ends
 * ({@link BatchHooks.saveGroups}), so a resumed step re-runs only the groups still `pending`.
 * The store persists it as `StoredBatchGroup`, the same fields.
 */
export interface BatchGroupRecord {
  /** From 0 in item order; -1 is the row of items that failed validation (`onInvalid: skip`). */
  index: number;
  /** The group's items, in item order. */
  items: JsonValue[];
  /** `pending` until it succeeds or fails; `invalid` only for the row at index -1. */
  state: BatchGroupState;
  /** Tries that ended (succeeded or failed) for this group; its retries follow the step's policy. */
  attempts: number;
  /** One output per item, in item order, once the group succeeded. */
  outputs?: JsonValue[];
  /** Why the group failed; for the invalid row, `details` lists `{ item, reason }` per item. */
  error?: Failure;
  /** When it last changed, ms since the epoch (the hooks' clock). */
  updatedAt: number;
}

/**
 * Why an attempt's signal was aborted: the runtime sets one of these as `signal.reason`.
 * `failed`: the runtime failed the attempt itself, for an I/O error of its own (its log
 * could not be written); that failure is recorded, not the step's result.
 */
export type AbortCause = 'cancelled' | 'timeout' | 'run-timeout' | 'failed';

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
  /** Workflow and step `env`, evaluated; the shell executor adds the process env (scrubbed, see ./env.ts) and `BATON_*`. */
  env: Record<string, string>;
  params: JsonObject;
  /** The step's `with`, evaluated. */
  inputs: JsonValue;
  /** Outputs of every upstream step; a function so that it is computed only when read. */
  outputs: () => Record<string, JsonValue>;
  /** An item of a mapped step: `item` and `map.index`, for what the executor evaluates (an http request). */
  map?: { item: JsonValue; index: number };
  /** Graceful stop: SIGTERM to the process group, or the handler's AbortSignal. */
  signal: AbortSignal;
  /** Forced stop: SIGKILL at once. */
  force: AbortSignal;
  log: AttemptLog;
  /** File the step may write its JSON output to (`$BATON_OUTPUT`). */
  outputPath: string;
  /** Called once a child process exists, so its pid can be recorded. */
  onSpawn?: (pid: number) => void;
  /** Set for a step with `batch:`: what the runtime resolved and how to keep group results. */
  batch?: BatchHooks;
  /**
   * Set for the steps the engine holding the run executes itself: how the runtime starts a
   * sub-workflow step's child run and waits for it, or waits for a `wait:`/`approval:` answer.
   */
  held?: HeldStepHooks;
  /**
   * The workflow's declared secrets. `execute` reads their values in this process (its env,
   * or files relative to `baseDir`), passes them on and masks them in what the attempt returns.
   */
  secrets?: readonly SecretSpec[];
  /** Secret values by name; set by `execute` for the step executors, never by callers. */
  secretValues?: Readonly<Record<string, string>>;
  /** Masks the secret values; set by `execute` along with `secretValues`. */
  masker?: Masker;
}

/** Items done so far in a batch step, as shown by progress displays. */
export interface BatchProgress {
  /** Items whose group succeeded. */
  done: number;
  /** Items whose group failed after its retries. */
  failed: number;
  /** Items that failed validation and were skipped (`onInvalid: skip`). */
  invalid: number;
  /** Every item of the batch, invalid ones included. */
  total: number;
}

/**
 * What the runtime hands the executor of a step only the engine holding the run can execute
 * (a sub-workflow step, a waiting step): starting the child or reading the answer is the
 * runtime's, since it holds the store and the runs; the executor only reports.
 */
export interface HeldStepHooks {
  /**
   * Runs the step to its end and resolves with its result: the child's declared outputs or
   * the answer, or why it failed. An abort of `signal` cancels the child, or stops waiting.
   * Never rejects.
   * @param note - called with lines for the attempt's log (which child, what it did; what it waits for).
   */
  run(signal: AbortSignal, note: (line: string) => void): Promise<AttemptResult>;
}

/**
 * What the runtime hands the batch executor besides the request: values it evaluated and
 * callbacks onto the store, so the executor itself never touches the store.
 */
export interface BatchHooks {
  /** The items: values of an expression, or a glob (relative to `baseDir`) to expand. */
  items: { values: JsonValue[] } | { glob: string };
  /** `validate.with`, evaluated (the executor adds `item`). */
  validateInputs: JsonObject;
  /** `consolidate.with`, evaluated (the executor adds `result`). */
  consolidateInputs: JsonObject;
  /** Groups saved by an earlier try of this step run (empty on the first). */
  loadGroups(): Promise<BatchGroupRecord[]>;
  /** Saves groups (the plan at the start, then each group as it ends); resolves once durable. */
  saveGroups(groups: BatchGroupRecord[]): Promise<void>;
  /** Called after each save with the counts so far. */
  progress(p: BatchProgress): void;
  /** ms since the epoch, for `updatedAt`. */
  clock(): number;
  /** Uniform [0,1), for the jitter of group retries. */
  random(): number;
}

/** How an attempt ended, as the executor saw it. */
export type AttemptResult =
  | { ok: true; output: JsonValue; exitCode?: number; peakRssBytes?: number; cpuMs?: number }
  | { ok: false; failure: Failure; exitCode?: number; peakRssBytes?: number; cpuMs?: number };

/** Limits every executor applies, and where handlers run. */
export interface ExecutorLimits {
  /**
   * Time between SIGTERM and SIGKILL when stopping a process group, and between a handler
   * thread's `ctx.signal` aborting and the thread being terminated, ms. @default 5000
   */
  graceMs: number;
  /** Largest output a step may return, bytes of JSON. @default 1048576 (1 MiB) */
  maxOutputBytes: number;
  /**
   * The worker threads `uses: ./module.ts#export` handlers run in (README "Handlers"). Absent:
   * every handler runs on the calling thread, as an `inline: true` step does.
   */
  handlerPool?: HandlerPool;
}
