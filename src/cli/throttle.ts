/**
 * @module cli/throttle
 * The adaptive-throttle flags shared by `baton run`, `baton server` and `baton worker`
 * (runtime/throttle.ts): the thresholds of the AIMD controller, and `--no-throttle`.
 */
import type { Command } from 'commander';
import type { ThrottleOptions } from '../runtime/index.js';
import type { BatonConfig } from '../workflow/index.js';
import { parseDuration } from '../workflow/index.js';
import { CliError } from './context.js';

/** The flags as commander parses them. */
export interface ThrottleCliOptions {
  maxCpu: number;
  maxMem: number;
  maxLag: number;
  /** False with `--no-throttle`. */
  throttle: boolean;
}

function above0(name: string, unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(n > 0)) throw new CliError(`${name} expects a number above 0 (${unit}), got '${v}'`);
    return n;
  };
}

/** Adds `--max-cpu`, `--max-mem`, `--max-lag` and `--no-throttle` to a command. */
export function throttleFlags(cmd: Command): Command {
  return cmd
    .option('--max-cpu <fraction>', 'adaptive slots: while the CPU in use (all cores) is above this, take fewer slots (x 0.7 a second, never below 1: the only machine there is never stalls); otherwise one more a second, up to --slots', above0('--max-cpu', 'a fraction, e.g. 0.8'), 0.8)
    .option('--max-mem <fraction>', 'adaptive slots: as --max-cpu, for the fraction of memory in use', above0('--max-mem', 'a fraction, e.g. 0.8'), 0.8)
    .option('--max-lag <ms>', "adaptive slots: as --max-cpu, for this process's event-loop delay (p99 over a second, ms)", above0('--max-lag', 'milliseconds'), 200)
    .option('--no-throttle', 'keep the slots fixed whatever the load');
}

/** The flags as process options: `false` with `--no-throttle`. */
export function throttleFrom(o: ThrottleCliOptions): ThrottleOptions | false {
  return o.throttle ? { cpu: o.maxCpu, mem: o.maxMem, lagMs: o.maxLag } : false;
}

/**
 * `baton server`'s throttle: its config's `throttle:` section under the flags, a flag given
 * on the command line winning over the config, the config over the flag's default.
 */
export function throttleFromConfig(o: ThrottleCliOptions, cmd: Command, config: BatonConfig | undefined): ThrottleOptions | false {
  const t = config?.throttle;
  const given = (key: keyof ThrottleCliOptions): boolean => {
    const source = cmd.getOptionValueSource(key);
    return source !== undefined && source !== 'default';
  };
  if (!t) return throttleFrom(o);
  if (given('throttle') ? !o.throttle : t.enabled === false) return false;
  return {
    cpu: given('maxCpu') ? o.maxCpu : t.cpu ?? o.maxCpu,
    mem: given('maxMem') ? o.maxMem : t.memory ?? o.maxMem,
    lagMs: given('maxLag') ? o.maxLag : t.lag !== undefined ? parseDuration(t.lag) : o.maxLag,
  };
}

/** A change of the limit as a log line: `slots 8 -> 5 (cpu 93 % > 80 %)`. */
export function describeThrottle(e: { from: number; to: number; reason: string }): string {
  return `slots ${e.from} -> ${e.to} (${e.reason})`;
}
