/**
 * @module cli/assistant
 * What the commands that may use the language model share: the model from the environment
 * (or none), where exchanges are logged, and asking before a change.
 */
import { createInterface } from 'node:readline/promises';
import { dirname, join } from 'node:path';
import type { Assistant } from '../observe/index.js';
import type { GlobalOptions } from './context.js';
import { CliError, dbPath } from './context.js';

/** Options of a command that may use the model. */
export interface LlmOptions {
  /** false with `--no-llm`. */
  llm?: boolean;
  verbose?: boolean;
}

/** The file exchanges are appended to: `assistant.log` beside the database (`.baton/assistant.log` by default). */
export function assistantLogPath(g: GlobalOptions): string {
  return join(dirname(dbPath(g)), 'assistant.log');
}

/**
 * The model configured by BATON_LLM_URL / BATON_LLM_MODEL (see the README), or undefined when
 * it is not configured or is turned off (BATON_LLM=off, `--no-llm`). Loaded lazily: the
 * `openai` client is read only by commands that use it.
 * @param secrets - values masked out of everything sent.
 * @throws CliError for a misconfiguration.
 */
export async function cliAssistant(g: GlobalOptions, o: LlmOptions, secrets: readonly string[] = []): Promise<Assistant | undefined> {
  const { Assistant, AssistantConfigError, assistantConfig } = await import('../observe/index.js');
  try {
    const config = assistantConfig(process.env, { off: o.llm === false, verbose: o.verbose === true, logFile: assistantLogPath(g) });
    return config ? new Assistant(config, secrets) : undefined;
  } catch (e) {
    if (e instanceof AssistantConfigError) throw new CliError(e.message);
    throw e;
  }
}

/**
 * The model, or a usage error saying how to configure it (for commands that need one).
 * @throws CliError when none is configured.
 */
export async function requireAssistant(g: GlobalOptions, o: LlmOptions, what: string): Promise<Assistant> {
  const a = await cliAssistant(g, o);
  if (!a) throw new CliError(`${what} needs a language model: set BATON_LLM_URL (an OpenAI-compatible base URL such as http://127.0.0.1:8080/v1) and BATON_LLM_MODEL${o.llm === false || /^(off|0|false|no)$/i.test(process.env.BATON_LLM ?? '') ? ', and do not turn it off (--no-llm, BATON_LLM=off)' : ''}`);
  return a;
}

/**
 * Asks `question` on a terminal; `yes` answers it beforehand.
 * @returns whether the answer was yes.
 * @throws CliError when stdin is not a terminal and `yes` is not set: a script must say `--yes`.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new CliError(`${question.replace(/\?.*$/, '')}: not asked, stdin is not a terminal; give --yes to go ahead`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
