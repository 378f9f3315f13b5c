import { describe, expect, it } from 'vitest';
import { toMermaid } from './graph.js';
import { validateWorkflowText } from './load.js';

const errorsOf = async (text: string): Promise<string[]> =>
  (await validateWorkflowText(text, { label: 'flow.yaml', baseDir: '/tmp' })).errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code}: ${e.message}`);

describe('hook and trigger-rule validation', () => {
  it('accepts hooks that read main outputs, run.state and run.failedSteps, and if: always()', async () => {
    const r = await validateWorkflowText([
      'name: ok',
      'steps:',
      '  - id: a',
      '    run: "true"',
      '  - id: b',
      '    needs: [a]',
      '    if: ${{ always() && !failure() || success() }}',
      '    run: "true"',
      'onFailure:',
      '  - id: page',
      '    env: { S: "${{ run.state }}", F: "${{ run.failedSteps }}", O: "${{ steps.a.output }}" }',
      '    run: "true"',
      'finally:',
      '  - id: x',
      '    needs: [page]',
      '    run: "true"',
      '  - id: y',
      '    needs: [x]',
      '    run: "true"',
    ].join('\n'), { label: 'flow.yaml', baseDir: '/tmp' });
    expect(r.errors).toEqual([]);
    expect(r.spec?.steps.map((s) => [s.id, s.hook ?? 'main'])).toEqual([['a', 'main'], ['b', 'main'], ['page', 'onFailure'], ['x', 'finally'], ['y', 'finally']]);
  });

  it('reports duplicate ids across lists, needs across the main/hook line, and unknown functions, with positions', async () => {
    expect(await errorsOf([
      'name: bad',
      'steps:',
      '  - id: a',
      '    needs: [cleanup]',
      '    run: "true"',
      '  - id: b',
      '    if: ${{ params.x() }}',
      '    run: "true"',
      '  - id: c',
      '    if: ${{ always(1) }}',
      '    env: { X: "${{ always() }}" }',
      '    run: "true"',
      'onFailure:',
      '  - id: a',
      '    run: "true"',
      '  - id: page',
      '    needs: [b, cleanup]',
      '    run: "true"',
      'finally:',
      '  - id: cleanup',
      '    run: "true"',
    ].join('\n'))).toEqual([
      '4:13 steps[0].needs[0] hook-needs: "cleanup" is a finally step, which runs after every main step: a main step cannot need it',
      '7:9 steps[1].if bad-expression: bad expression "params.x()": function calls are not allowed in expressions, except always(), failure() and success() (no arguments) in a step\'s if',
      '10:9 steps[2].if bad-expression: bad expression "always(1)": function calls are not allowed in expressions, except always(), failure() and success() (no arguments) in a step\'s if',
      '11:15 steps[2].env.X bad-expression: always() decides whether a step runs, so it may appear only in a step\'s if',
      '14:9 onFailure[0].id duplicate-id: duplicate step id "a" (first used by steps[0])',
      '17:13 onFailure[1].needs[0] hook-needs: "b" is a main step: an onFailure step already runs after every main step, so its needs name only other hook steps',
      '17:16 onFailure[1].needs[1] hook-needs: "cleanup" is a finally step, which runs after every onFailure step: an onFailure step cannot need it',
    ]);
  });
});

describe('toMermaid with hooks', () => {
  it('labels hook steps and draws dashed edges into them after the main graph', async () => {
    const { spec } = await validateWorkflowText('name: m\nsteps:\n  - { id: a, run: "true" }\nonFailure:\n  - { id: p, run: "true" }\nfinally:\n  - { id: c, run: "true" }\n', { label: 'm.yaml', baseDir: '/tmp' });
    expect(toMermaid(spec!)).toBe('flowchart TD\n  s0["a (run)"]\n  s1["p (run, onFailure)"]\n  s2["c (run, finally)"]\n  s0 -.->|onFailure| s1\n  s1 -.->|finally| s2\n');
  });
});

describe('the README example written without quotes', () => {
  it('is not YAML (a plain value may not contain ": "), and the error says how to quote it', async () => {
    expect(await errorsOf('name: hooks-demo\nsteps:\n  - id: page\n    run: echo "failed: $BATON_FAILED_STEPS"\n')).toEqual([
      '4:10  yaml-syntax: Nested mappings are not allowed in compact mappings (a value containing ": " must be quoted, e.g. run: \'echo "a: b"\')',
    ]);
  });
});
