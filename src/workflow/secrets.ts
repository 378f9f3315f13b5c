/**
 * @module workflow/secrets
 * Workflow secrets as declared: where each value comes from, and the webhook's secret. A
 * spec holds only names and sources, never values, so a stored workflow, a fleet task or an
 * event can never carry one. Reading the values is execution-time I/O and lives in
 * `executors/secrets.ts`.
 */
import type { WorkflowSpec } from './model.js';

/**
 * One declared secret, compiled: its `name` (the env var a shell step sees, the key of
 * `ctx.secrets`) and exactly one source: `env`, a variable of the process that executes the
 * step, or `file`, a path relative to the workflow file's folder (or absolute).
 */
export type SecretSpec = { name: string; env: string } | { name: string; file: string };

/** The compiled `webhook:` of a workflow. */
export interface WebhookSpec {
  /** Name of one of the workflow's `secrets` whose value signs webhook requests. */
  secret: string;
  /** Largest accepted age of a signed request's timestamp, seconds. @default 300 */
  toleranceSec: number;
}

/** `webhook.toleranceSec` when not set: five minutes, as Stripe's signature check uses. */
export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;

/**
 * The name of the secret that signs webhook requests for this workflow, or undefined when it
 * declares no `webhook`. Validation guarantees the name is one of `spec.secrets`, so
 * `resolveSecrets(spec.secrets.filter((s) => s.name === name), spec.baseDir)` (executors) reads its value.
 * @example
 * const name = webhookSecretName(spec); // 'GITHUB_WEBHOOK_SECRET'
 */
export function webhookSecretName(spec: Pick<WorkflowSpec, 'webhook'>): string | undefined {
  return spec.webhook?.secret;
}
