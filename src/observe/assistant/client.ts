/**
 * @module observe/assistant/client
 * The optional language model: any OpenAI-compatible chat-completions endpoint, used only
 * when configured (`BATON_LLM_URL` and `BATON_LLM_MODEL`) and not turned off (`BATON_LLM=off`
 * or `--no-llm`). Everything sent goes through the masker it is given (the run's secrets and
 * the key), is bounded in bytes, and every exchange is logged: JSON lines appended to a file
 * (`.baton/assistant.log` beside the database) and, verbose, one line on stderr.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type OpenAI from 'openai';
import type { Masker } from '../../executors/index.js';
import { createMasker, resolveSecrets } from '../../executors/index.js';
import { BatonError, errorMessage } from '../../shared/index.js';

/** How long one exchange may take before it counts as failed, ms. @default 30000 (env BATON_LLM_TIMEOUT_MS) */
export const DEFAULT_LLM_TIMEOUT_MS = 30_000;

/** A misconfiguration of the language model (a URL without a model, an unreadable key file). Code `llm-config`. */
export class AssistantConfigError extends BatonError {
  constructor(message: string) {
    super('llm-config', message);
  }
}

/** Why an exchange with the model failed. Code `llm-failed`; `reason` `timeout`, `error` (HTTP or network) or `too-large` (the prompt's bound). */
export class AssistantError extends BatonError {
  constructor(
    readonly reason: 'timeout' | 'error' | 'too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('llm-failed', message, options);
  }
}

/** The model's settings, compiled from the environment by {@link assistantConfig}. */
export interface AssistantConfig {
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:8080/v1` (env BATON_LLM_URL). */
  url: string;
  /** Model name sent with each request (env BATON_LLM_MODEL). */
  model: string;
  /** Bearer key (env BATON_LLM_KEY, or the file named by BATON_LLM_KEY_FILE, read as a baton file secret). */
  apiKey?: string;
  /** Per exchange, ms. */
  timeoutMs: number;
  /** Where exchanges are appended as JSON lines; absent: not written. */
  logFile?: string;
  /** Also one line per exchange on stderr. */
  verbose: boolean;
}

/**
 * The model's settings from `env`, or undefined when it is not configured (no BATON_LLM_URL)
 * or turned off (`off`, or BATON_LLM=off / 0 / false). The key comes from BATON_LLM_KEY or
 * from the file BATON_LLM_KEY_FILE names (trailing newlines trimmed, as a workflow's `file`
 * secret), relative paths from `baseDir`.
 * @throws AssistantConfigError for a URL without BATON_LLM_MODEL, a bad BATON_LLM_TIMEOUT_MS or an unreadable key file.
 */
export function assistantConfig(
  env: Readonly<Record<string, string | undefined>>,
  o: { off?: boolean; logFile?: string; verbose?: boolean; baseDir?: string } = {},
): AssistantConfig | undefined {
  if (o.off || /^(off|0|false|no)$/i.test(env.BATON_LLM ?? '')) return undefined;
  const url = env.BATON_LLM_URL?.trim();
  if (!url) return undefined;
  const model = env.BATON_LLM_MODEL?.trim();
  if (!model) throw new AssistantConfigError('BATON_LLM_URL is set but BATON_LLM_MODEL is not: name the model to use (or set BATON_LLM=off)');
  const t = env.BATON_LLM_TIMEOUT_MS;
  const timeoutMs = t === undefined || t === '' ? DEFAULT_LLM_TIMEOUT_MS : Number(t);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new AssistantConfigError(`BATON_LLM_TIMEOUT_MS must be a positive integer of milliseconds, got '${t ?? ''}'`);
  let apiKey = env.BATON_LLM_KEY || undefined;
  if (!apiKey && env.BATON_LLM_KEY_FILE) {
    const r = resolveSecrets([{ name: 'BATON_LLM_KEY', file: env.BATON_LLM_KEY_FILE }], o.baseDir ?? process.cwd(), env);
    if (!r.ok) throw new AssistantConfigError(r.missing.map((m) => m.message).join('; '));
    apiKey = r.values.BATON_LLM_KEY;
  }
  return { url, model, timeoutMs, verbose: o.verbose === true, ...(apiKey ? { apiKey } : {}), ...(o.logFile ? { logFile: o.logFile } : {}) };
}

/** One message of a chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What is logged of one exchange (never its text). */
export interface Exchange {
  /** What it was for: `explain`, `draft`, `draft-repair`, `adapt`. */
  purpose: string;
  /** ISO time it started. */
  at: string;
  model: string;
  /** UTF-8 bytes of the messages' contents sent. */
  promptBytes: number;
  /** Wall time until the whole answer arrived, ms. */
  ms: number;
  /** Tokens, when the server reports them. */
  promptTokens?: number;
  completionTokens?: number;
  stream: boolean;
  outcome: 'ok' | 'timeout' | 'error';
  error?: string;
}

/** Options of one {@link Assistant.chat}. */
export interface ChatOptions {
  /** Bytes the messages may hold in all (after masking). */
  maxPromptBytes: number;
  /** Ask for server-sent chunks (`stream: true`) instead of one JSON response. @default false */
  stream?: boolean;
}

/** A chat-completions client that masks, bounds and logs every exchange. */
export class Assistant {
  private client: OpenAI | undefined;
  private readonly masker: Masker;

  /**
   * @param secrets - values masked out of every message before it is sent (the run's secrets,
   *   see `runSecretValues`); the key itself is always masked too.
   */
  constructor(
    readonly config: AssistantConfig,
    secrets: readonly string[] = [],
  ) {
    this.masker = createMasker([...secrets, ...(config.apiKey ? [config.apiKey] : [])]);
  }

  /**
   * Sends the messages (masked) and returns the answer's text.
   * @throws AssistantError `too-large` before sending when the masked messages exceed
   *   `maxPromptBytes`; `timeout` or `error` when the exchange fails (logged either way).
   */
  async chat(purpose: string, messages: readonly ChatMessage[], o: ChatOptions): Promise<string> {
    const sent = messages.map((m) => ({ role: m.role, content: this.masker.mask(m.content) }));
    const promptBytes = sent.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    if (promptBytes > o.maxPromptBytes) throw new AssistantError('too-large', `the ${purpose} prompt is ${promptBytes} bytes: at most ${o.maxPromptBytes}`);
    const stream = o.stream === true;
    const started = Date.now();
    const ex: Exchange = { purpose, at: new Date(started).toISOString(), model: this.config.model, promptBytes, ms: 0, stream, outcome: 'ok' };
    // Loaded on first use: only the commands that talk to a model read the client library.
    const { default: OpenAIClient } = await import('openai');
    // No retries: a slow or failing model must not hold the deterministic answer back.
    this.client ??= new OpenAIClient({ baseURL: this.config.url, apiKey: this.config.apiKey ?? 'none', timeout: this.config.timeoutMs, maxRetries: 0 });
    const client = this.client;
    try {
      let text = '';
      if (stream) {
        const chunks = await client.chat.completions.create({ model: this.config.model, messages: sent, stream: true, stream_options: { include_usage: true } });
        for await (const c of chunks) {
          text += c.choices[0]?.delta?.content ?? '';
          if (c.usage) Object.assign(ex, { promptTokens: c.usage.prompt_tokens, completionTokens: c.usage.completion_tokens });
        }
      } else {
        const r = await client.chat.completions.create({ model: this.config.model, messages: sent });
        text = r.choices[0]?.message?.content ?? '';
        if (r.usage) Object.assign(ex, { promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens });
      }
      return text;
    } catch (e) {
      const timeout = e instanceof OpenAIClient.APIConnectionTimeoutError;
      ex.outcome = timeout ? 'timeout' : 'error';
      ex.error = errorMessage(e);
      throw new AssistantError(ex.outcome, timeout ? `the model did not answer within ${this.config.timeoutMs} ms` : `the model failed: ${ex.error}`, { cause: e });
    } finally {
      ex.ms = Date.now() - started;
      this.log(ex);
    }
  }

  private log(ex: Exchange): void {
    if (this.config.verbose) {
      const tokens = ex.promptTokens !== undefined ? `, ${ex.promptTokens}+${ex.completionTokens ?? 0} tokens` : '';
      process.stderr.write(`llm ${ex.purpose}: ${ex.promptBytes} bytes sent, ${ex.ms} ms${tokens}, ${ex.outcome}${ex.error ? ` (${ex.error})` : ''}\n`);
    }
    if (!this.config.logFile) return;
    try {
      mkdirSync(dirname(this.config.logFile), { recursive: true });
      appendFileSync(this.config.logFile, JSON.stringify(ex) + '\n');
    } catch {
      // The log is a record, not a precondition: an unwritable folder does not fail the command.
    }
  }
}
