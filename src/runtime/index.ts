/**
 * @module runtime
 * The engine loop and what it needs: ready queue with aging, attempts, resume, cancel.
 */
export * from './engine.js';
export * from './options.js';
export { clockFrom, every, realClock, sleepOn } from './clock.js';
export type { CancelTimer, Clock, TimerOptions } from './clock.js';
export { VirtualClock } from './virtual-clock.js';
export { StoreDiskFullError, isDiskFull } from './store-failure.js';
export { ResumeError, cancelStoredRun, runDefinition } from './restore.js';
export { runOutputs } from './child-runs.js';
export { PriorityRangeError, RerunSelectionError, RunStateError, pauseRun, queuedForMs, rerunRun, retryAsNewRun, setRunPriority, unpauseRun } from './control.js';
export type { ControlOptions, RerunProblem, RerunResult, RerunSelection, RunAction, RunControlResult } from './control.js';
export { answerApproval, MAX_APPROVAL_NOTE, sendSignal, SIGNAL_POLL_MS, SignalError, waitingFor } from './signals.js';
export { ReadyQueue } from './ready-queue.js';
export type { ReadyItem } from './ready-queue.js';
export { formatMs } from './attempts.js';
export type { BatchItemResult, BatchItemStatus, BatchProgress, BatchResult } from '../executors/index.js';
export { progressOf } from '../executors/index.js';
export { holderAlive, isOwnerDead, pidAlive } from './liveness.js';
export { newRun, newRunId, submitRun, workflowRecord } from './records.js';
export type { NewRun, NewRunOptions } from './records.js';
export { createWorker, isTransientDbError } from './worker.js';
export type { LoadSample, Worker, WorkerEvent, WorkerOptions } from './worker.js';
export { compileWorkerOptions, WorkerOptionsError } from './worker-options.js';
export type { CompiledWorkerOptions } from './worker-options.js';
export { DETECTED_TOOLS, GPU_PROBE_TIMEOUT_MS, GPU_TAG, detectCapabilities, findOnPath, gpuListed, machineFacts } from './worker-detect.js';
export type { DetectOptions, DetectedCapabilities } from './worker-detect.js';
export { taskFromJson, taskToJson } from './fleet-task.js';
export type { FleetTask } from './fleet-task.js';
export { remainingPaths } from './critical-path.js';
export type { PathNode } from './critical-path.js';
export { AdaptiveLimit, ThrottleOptionsError, compileThrottle } from './throttle.js';
export type { CompiledThrottle, ThrottleEvent, ThrottleOptions, ThrottleStatus } from './throttle.js';
export { hostSampler, readProcCpu, readProcMem } from './host-sampler.js';
export type { HostReading, HostSampler } from './host-sampler.js';
export { kindLimits } from './slots.js';
