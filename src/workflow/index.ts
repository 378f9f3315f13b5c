/**
 * @module workflow
 * Workflow definitions: the YAML/JSON loader, the TypeScript SDK (`defineWorkflow`),
 * validation with file/line/field in every error, the `${{ }}` expression language,
 * params, handler loading, versions and diagrams. The layers above import only this file.
 */
export * from './model.js';
export type { WorkflowInput, StepInput, RetryInput } from './schema.js';
export type { WorkflowSchema, StepSchema, RetrySchema } from './schema.js';
export { workflowJsonSchema } from './schema.js';
export { defineWorkflow, compileWorkflow, compileSecret, DEFAULT_RETRY, DEFAULT_CONCURRENCY } from './compile.js';
export type { CompileOptions } from './compile.js';
export { loadWorkflowFile, validateWorkflowFile, validateWorkflowText, checkHandlers, isTemplateFileText } from './load.js';
export type { ValidationResult } from './load.js';
export { MAX_ALIAS_COUNT, MAX_SCALARS } from './source.js';
export type { SourceFormat } from './source.js';
export { WorkflowValidationError, ParamError, ExpressionError, HandlerLoadError, formatSpecError } from './errors.js';
export type { SpecError, SpecErrorCode, ExtendedBy, HandlerLoadFailure } from './errors.js';
export { parseDuration, checkDuration, MAX_DURATION_MS } from './duration.js';
export { parseByteSize } from './size.js';
export { httpUrlProblem } from './validate.js';
export type { DurationProblem } from './duration.js';
export { PROGRAM_CHANGING_ENV, PROGRAM_CHANGING_ENV_PREFIXES, RESERVED_ENV_PREFIX, isProgramChangingEnv, resolveStepCwd, StepCwdError } from './env.js';
export {
  MAX_WORKFLOW_BYTES, MAX_NESTING_DEPTH, MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_KEY_LENGTH, MAX_STRING_LENGTH, MAX_DESCRIPTION_LENGTH,
  MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH, MAX_EXPRESSION_LENGTH, MAX_EXPRESSION_DEPTH, MAX_EXPRESSIONS_PER_FIELD, MAX_COLLECTION_ITEMS, MAX_ISSUES,
} from './limits.js';
export { workflowVersion } from './version.js';
export { decodeDefinition, decodeAlerting, DefinitionDecodeError } from './decode.js';
export type { AlertingView } from './decode.js';
export { toMermaid } from './graph.js';
export { resolveParams } from './params.js';
export { interpolate, interpolateValue, evaluateCondition, evaluateExpression, expressionStepRefs, usesStatusFunction, STATUS_FUNCTIONS } from './expressions.js';
export type { ExpressionScope, StatusFunction } from './expressions.js';
export { loadHandler, parseHandlerRef } from './handlers.js';
export type { HandlerRef } from './handlers.js';
export { nextFireTimes, isValidTimeZone, MAX_CATCH_UP } from './schedule.js';
export type { ScheduleSpec, MisfirePolicy, OverlapPolicy } from './schedule.js';
export { deadlineAt, runDeadline, compileDeadline, DeadlineSchema } from './deadline.js';
export type { DeadlineSpec, DeadlineView, DeadlineRun } from './deadline.js';
export { webhookSecretName, DEFAULT_WEBHOOK_TOLERANCE_SEC } from './secrets.js';
export type { SecretSpec, WebhookSpec } from './secrets.js';
export { loadConfigFile, validateConfigText, validateAlertRule, validateAlertRuleText, findConfig, checkRules, CONFIG_FILE_NAME, BACKPRESSURE_DEFAULTS, backpressureLimits } from './config.js';
export type { BatonConfig, AlertRuleCheck, BackpressureLimits } from './config.js';
export { ALERT_KINDS, ConfigSchema, AlertRuleSchema } from './config-schema.js';
export type { EscalationSchema } from './config-schema.js';
export type { ParsedConfig, ParsedChannel, ParsedAlertRule, ParsedEscalation, ParsedBackpressure } from './config-schema.js';
