import { CliError } from './context.js';

/** Collects repeated `--param k=v` flags into a map (commander's variadic reducer). */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0) throw new CliError(`--param expects key=value, got '${value}' (e.g. --param horizon=12)`);
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

/** Parses a positive integer flag. */
export function positiveInt(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new CliError(`${name} expects a positive integer, got '${v}'`);
    return n;
  };
}
