import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../workflow/index.js';
import { isWithheldVariable, scrubEnvironment } from './env.js';

describe('the environment shell steps inherit', () => {
  const env = {
    PATH: '/usr/bin', HOME: '/home/b', BATON_DATABASE_URL: 'postgres://baton:pw@db/baton', BATON_TOKEN: 'baton_x_y',
    Baton_Server: 'http://s', PGPASSWORD: 'pw', PGPASSFILE: '/etc/pgpass', PGHOST: 'db', DATABASE_URL: 'postgres://app@db/app',
  };

  it("withholds baton's own variables and the PostgreSQL credentials it reads; keeps the rest", () => {
    expect(scrubEnvironment(env)).toEqual({ PATH: '/usr/bin', HOME: '/home/b', PGHOST: 'db', DATABASE_URL: 'postgres://app@db/app' });
    expect(isWithheldVariable('BATON_OUTPUT')).toBe(true);
    expect(isWithheldVariable('MY_BATON_X')).toBe(false);
  });

  it('gives back the variables named in inheritEnv, only those', () => {
    expect(scrubEnvironment(env, ['BATON_TOKEN', 'PGPASSWORD'])).toEqual({
      PATH: '/usr/bin', HOME: '/home/b', PGHOST: 'db', DATABASE_URL: 'postgres://app@db/app', BATON_TOKEN: 'baton_x_y', PGPASSWORD: 'pw',
    });
  });

  it("compiles a workflow's and a step's inheritEnv into each step; absent when none is named", () => {
    const spec = compileWorkflow({
      name: 'w', inheritEnv: ['BATON_TOKEN'],
      steps: [{ id: 'a', run: 'env' }, { id: 'b', run: 'env', inheritEnv: ['PGPASSWORD', 'BATON_TOKEN'] }],
    }, { baseDir: '/tmp' });
    expect(spec.steps.map((s) => s.inheritEnv)).toEqual([['BATON_TOKEN'], ['BATON_TOKEN', 'PGPASSWORD']]);
    const plain = compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'env' }] }, { baseDir: '/tmp' });
    expect('inheritEnv' in plain.steps[0]!).toBe(false);
  });

  it('refuses inheritEnv entries that are not env var names, with their position', () => {
    expect(() => compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'env', inheritEnv: ['NOT-A-NAME'] }] }, { baseDir: '/tmp' }))
      .toThrow(/steps\[0\]\.inheritEnv\[0\]/);
  });
});
