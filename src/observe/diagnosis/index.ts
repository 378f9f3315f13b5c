/**
 * @module observe/diagnosis
 * `baton explain` and `GET /runs/{id}/diagnosis`: why a run's steps failed, from the run's
 * own records and those of its workflow's earlier runs (no model involved).
 */
export { classify, errorSignature, frameInside, missingOutputRefs, normaliseError, outputRefs, splitLogTail, topFrame, DIAGNOSIS_CLASSES, MAX_QUOTED_LINES } from './classify.js';
export type { AttemptFacts, Classification, DiagnosisClass, Evidence, LogLine, MissingOutputRef } from './classify.js';
export { diffParams, diffSteps, missingCommand, paramArg, p95, rankRecoveries, workerTagFor, MEMORY_HISTORY_RUNS } from './recover.js';
export type { Changes, Diagnosis, FailureEnd, ParamChange, Recovery, RecoveryInput, SimilarFailure, SimilarFailures, StepDiagnosis, WorkerTags } from './recover.js';
export { applyRecovery, pickRecovery, recoveryAction, RecoveryApplyError } from './apply.js';
export type { PickedRecovery, RecoveryAction, RecoveryRefusal } from './apply.js';
export { diagnoseRun, runSecretValues, DiagnosisStepError, MAX_SIMILAR_ATTEMPTS, SIMILAR_WINDOW_MS, TAIL_BYTES } from './read.js';
export type { DiagnoseOptions } from './read.js';
