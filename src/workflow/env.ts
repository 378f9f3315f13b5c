/**
 * @module workflow/env
 * Which environment variables a workflow may fill from `${{ }}` expressions, and where a
 * step's working directory may point. Params and outputs are untrusted (DESIGN.md
 * invariant 6): they may reach a command as data in an env var, but not as a variable that
 * decides which program runs or what it loads first, and not as a `cwd` outside the
 * workflow's folder.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { BatonError } from '../shared/index.js';
import type { StepSpec } from './model.js';

/**
 * Variables that change which program runs or what code it loads, so a value computed from
 * params or outputs in one of them is code injection. An expression in one of these is
 * refused unless the entry is written `{ value: "...", trusted: true }`.
 *
 * Sources: GitHub Actions' runner refuses `NODE_OPTIONS` from `$GITHUB_ENV`
 * (actions/runner#2775, and the block list proposed in #4642: BASH_ENV, LD_PRELOAD,
 * LD_LIBRARY_PATH, NODE_PATH, PYTHONSTARTUP, PERL5OPT); glibc's list of variables ignored
 * in secure-execution mode (`ld.so(8)`: LD_*, GCONV_PATH…); bash's start-up files and
 * prompt hooks (`bash(1)`: BASH_ENV, ENV, SHELLOPTS, PS4, PROMPT_COMMAND, IFS, exported
 * functions `BASH_FUNC_*`); the JVM's and .NET's agent hooks.
 * Every `LD_*` and `DYLD_*` name is included too (see {@link PROGRAM_CHANGING_ENV_PREFIXES}).
 */
export const PROGRAM_CHANGING_ENV: readonly string[] = Object.freeze([
  'PATH', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'DYLD_INSERT_LIBRARIES', 'DYLD_LIBRARY_PATH',
  'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'PROMPT_COMMAND', 'IFS', 'ZDOTDIR',
  'NODE_OPTIONS', 'NODE_PATH', 'PYTHONPATH', 'PYTHONSTARTUP', 'PYTHONHOME', 'PYTHONINSPECT',
  'PERL5LIB', 'PERLLIB', 'PERL5OPT', 'PERL5DB', 'RUBYOPT', 'RUBYLIB',
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'GIT_PROXY_COMMAND', 'SSH_ASKPASS',
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JAVA_OPTS', 'JVM_OPTS', 'JDK_JAVA_OPTIONS', 'DOTNET_STARTUP_HOOKS',
  'GCONV_PATH', 'HOSTALIASES', 'LOCPATH', 'NLSPATH',
]);

/** Name prefixes that are program-changing as a family: the dynamic linkers' variables and bash's exported functions. */
export const PROGRAM_CHANGING_ENV_PREFIXES: readonly string[] = Object.freeze(['LD_', 'DYLD_', 'BASH_FUNC_']);

/** The prefix of the variables baton sets for every step (`BATON_OUTPUT`, `BATON_RUN_ID`, …); a workflow may not set them. */
export const RESERVED_ENV_PREFIX = 'BATON_';

/** Whether an env var name is one of {@link PROGRAM_CHANGING_ENV} or starts with one of {@link PROGRAM_CHANGING_ENV_PREFIXES}. Case-sensitive, as POSIX env names are. */
export function isProgramChangingEnv(name: string): boolean {
  return PROGRAM_CHANGING_ENV.includes(name) || PROGRAM_CHANGING_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Thrown by {@link resolveStepCwd} when a step's working directory, after its expressions
 * were evaluated, points outside the workflow's folder. Code `cwd-outside-workflow`.
 */
export class StepCwdError extends BatonError {
  /** The workflow's folder (absolute). */
  readonly baseDir: string;
  /** The evaluated `cwd`, as written after interpolation. */
  readonly cwd: string;

  constructor(baseDir: string, cwd: string) {
    super('cwd-outside-workflow', `cwd "${cwd}" resolves outside the workflow's folder ${baseDir}: a cwd computed from params or outputs must stay inside it`);
    this.baseDir = baseDir;
    this.cwd = cwd;
  }
}

/**
 * Resolves a step's evaluated `cwd` against the workflow folder. A `cwd` written without
 * expressions is the author's choice and may point anywhere, as may one marked
 * `{ value, trusted: true }`; one that contains `${{ }}` must resolve to `baseDir` or below
 * it, so a param such as `../../etc` cannot move the step elsewhere. The check is lexical
 * (`..` segments), as the folder may not exist yet when the step is prepared.
 * @param baseDir the workflow's folder, absolute
 * @param step the step's `cwd` as written (undefined: the folder itself) and its trust mark
 * @param evaluated the `cwd` after interpolation
 * @returns the absolute directory
 * @throws StepCwdError when a confined `cwd` resolves outside `baseDir`
 */
export function resolveStepCwd(baseDir: string, step: Pick<StepSpec, 'cwd' | 'cwdTrusted'>, evaluated: string): string {
  const dir = isAbsolute(evaluated) ? resolve(evaluated) : resolve(baseDir, evaluated);
  const confined = step.cwd?.includes('${{') === true && step.cwdTrusted !== true;
  if (!confined) return dir;
  const rel = relative(resolve(baseDir), dir);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return dir;
  throw new StepCwdError(resolve(baseDir), evaluated);
}
