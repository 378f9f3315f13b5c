/**
 * @module observe/eta
 * The ETA of queued and running runs (DESIGN.md glossary): the predicted end at p50 and
 * p90 from the duration history of the run's own steps along its remaining DAG, falling
 * back to the workflow's run durations, else `unknown`. `estimate.ts` is the pure core,
 * `history.ts` reads the history through the Store, `service.ts` caches per run.
 */
export { estimateEta, ETA_SAMPLES, UNKNOWN_ETA } from './estimate.js';
export type { EtaInput, EtaStep, RunEta } from './estimate.js';
export { DurationHistory, HISTORY_TTL_MS, RUN_SAMPLES, STEP_SAMPLES } from './history.js';
export type { DurationHistoryOptions, WorkflowDurations } from './history.js';
export { createEtaService, DEFAULT_ETA_SLOTS, ETA_MAX_AGE_MS, etaSteps } from './service.js';
export type { EtaService, EtaServiceOptions } from './service.js';
