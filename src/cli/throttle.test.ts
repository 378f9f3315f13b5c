import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../workflow/index.js';
import { validateConfigText } from '../workflow/index.js';
import type { ThrottleCliOptions } from './throttle.js';
import { throttleFlags, throttleFrom, throttleFromConfig } from './throttle.js';

/** Parses `args` as `baton server` would, returning the options and the command. */
function parse(args: string[]): { o: ThrottleCliOptions; cmd: Command } {
  const cmd = throttleFlags(new Command('server')).exitOverride();
  cmd.parse(args, { from: 'user' });
  return { o: cmd.opts<ThrottleCliOptions>(), cmd };
}

function config(text: string): BatonConfig {
  const { config: c, errors } = validateConfigText(text, { label: 'baton.config.yaml', baseDir: '.' });
  expect(errors).toEqual([]);
  return c!;
}

describe('throttle flags and config', () => {
  it('defaults: 80 % CPU, 80 % memory, 200 ms lag; --no-throttle turns it off', () => {
    expect(throttleFrom(parse([]).o)).toEqual({ cpu: 0.8, mem: 0.8, lagMs: 200 });
    expect(throttleFrom(parse(['--no-throttle']).o)).toBe(false);
  });

  it("the config's throttle: section sets what a flag left at its default does; a flag given wins", () => {
    const c = config('throttle: { cpu: 0.9, memory: 0.7, lag: 500ms }\n');
    const none = parse([]);
    expect(throttleFromConfig(none.o, none.cmd, c)).toEqual({ cpu: 0.9, mem: 0.7, lagMs: 500 });
    const flag = parse(['--max-cpu', '0.5']);
    expect(throttleFromConfig(flag.o, flag.cmd, c)).toEqual({ cpu: 0.5, mem: 0.7, lagMs: 500 });
    const off = parse([]);
    expect(throttleFromConfig(off.o, off.cmd, config('throttle: { enabled: false }\n'))).toBe(false);
    const noFlag = parse(['--no-throttle']);
    expect(throttleFromConfig(noFlag.o, noFlag.cmd, c)).toBe(false);
    expect(throttleFromConfig(none.o, none.cmd, undefined)).toEqual({ cpu: 0.8, mem: 0.8, lagMs: 200 });
  });

  it('a mistake in throttle: is an error at its field, with a did-you-mean', () => {
    const { errors } = validateConfigText('throttle:\n  cpus: 0.9\n  memory: -1\n', { label: 'baton.config.yaml', baseDir: '.' });
    expect(errors.map((e) => [e.path, e.line])).toEqual([['throttle.cpus', 2], ['throttle.memory', 3]]);
    expect(errors[0]?.message).toContain('cpu');
  });
});
