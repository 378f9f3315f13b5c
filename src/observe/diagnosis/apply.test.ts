import { describe, expect, it } from 'vitest';
import { pickRecovery, recoveryAction, RecoveryApplyError } from './apply.js';
import type { Diagnosis, StepDiagnosis } from './recover.js';

const RUN = 'mx9i63sd12ab4224';

describe('recoveryAction', () => {
  it('understands the commands baton proposes, for this run and its steps only', () => {
    expect(recoveryAction(`baton retry ${RUN} --failed`, RUN, ['a'])).toEqual({ kind: 'rerun', selection: { failed: true } });
    expect(recoveryAction(`baton retry ${RUN.slice(0, 8)} --from a`, RUN, ['a'])).toEqual({ kind: 'rerun', selection: { from: 'a' } });
    expect(recoveryAction(`baton run /f/x.yaml --param port=8099 --param 'msg=it'\\''s'`, RUN, [])).toEqual({ kind: 'run', file: '/f/x.yaml', params: ['port=8099', "msg=it's"] });
    expect(recoveryAction(`baton retry ${RUN} --from b`, RUN, ['a'])).toEqual({ refused: `run ${RUN} has no step 'b'` });
    expect(recoveryAction(`baton retry other123 --failed`, RUN, ['a'])).toMatchObject({ refused: expect.stringContaining('another run') as unknown });
    expect(recoveryAction(`baton retry ${RUN} --failed && rm -rf /`, RUN, ['a'])).toMatchObject({ refused: expect.stringContaining('--failed or --from') as unknown });
    expect(recoveryAction('baton cancel x', RUN, [])).toEqual({ refused: "baton has no recovery command 'cancel'" });
    expect(recoveryAction(`baton retry ${RUN} --from a --on docker,gpu`, RUN, ['a'])).toEqual({ kind: 'rerun', selection: { from: 'a', on: ['docker', 'gpu'] } });
    expect(recoveryAction(`baton retry ${RUN} --failed --on big`, RUN, ['a'])).toEqual({ kind: 'rerun', selection: { failed: true, on: ['big'] } });
    expect(recoveryAction(`baton retry ${RUN} --on big --failed`, RUN, ['a'])).toMatchObject({ refused: expect.stringContaining('--failed or --from') as unknown });
    expect(recoveryAction(`baton retry ${RUN} --from f[3]`, RUN, ['f', 'f[3]'])).toEqual({ refused: "'f[3]' is an item of the mapped step 'f': re-run it with --from f or --failed" });
    expect(recoveryAction("baton run 'open", RUN, [])).toEqual({ refused: 'unbalanced quotes' });
  });
});

describe('pickRecovery', () => {
  const step = (stepId: string, commands: string[]): StepDiagnosis => ({
    stepId, attempt: 1, attemptId: `${RUN}.${stepId}.1`, class: 'network', summary: '', evidence: [],
    changes: { params: [], duration: {}, peakRss: {} }, similar: { signature: '', scanned: 0, truncated: false, items: [] },
    recoveries: commands.map((command) => ({ command, reason: 'r', evidence: [] })),
  });
  const d = (...steps: StepDiagnosis[]): Diagnosis => ({ runId: RUN, workflow: 'w', version: 'v', state: 'failed', steps });

  it('picks by rank from 1 on the only or the named step, and refuses new runs and unknown ranks', () => {
    const one = d(step('a', ['baton run f.yaml --param p=1', `baton retry ${RUN} --failed`]));
    expect(pickRecovery(one, 2)).toMatchObject({ rank: 2, selection: { failed: true }, step: { stepId: 'a' } });
    expect(() => pickRecovery(one, 1)).toThrow(/starts a new run/);
    expect(() => pickRecovery(one, 3)).toThrow(/2 recoveries: 3 is not one of them/);
    const two = d(step('a', [`baton retry ${RUN} --failed`]), step('b', [`baton retry ${RUN} --from b`]));
    expect(() => pickRecovery(two, 1)).toThrow(RecoveryApplyError);
    expect(pickRecovery(two, 1, 'b').selection).toEqual({ from: 'b' });
    expect(() => pickRecovery(two, 1, 'c')).toThrow(/no diagnosed step 'c'/);
  });
});
