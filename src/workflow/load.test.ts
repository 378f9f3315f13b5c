import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSpecError, loadWorkflowFile, validateWorkflowFile, WorkflowValidationError } from './index.js';
import type { SpecError } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));

async function errorsOf(name: string): Promise<SpecError[]> {
  const { spec, errors } = await validateWorkflowFile(fixture(name));
  expect(spec).toBeUndefined();
  return errors;
}

/** The fields every fixture asserts exactly; messages are checked by content. */
const where = (e: SpecError) => ({ code: e.code, path: e.path, line: e.line, column: e.column });

describe('validateWorkflowFile', () => {
  it('valid_diamond.yaml compiles with defaults, inheritance and ms durations', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('valid_diamond.yaml'));
    expect(errors).toEqual([]);
    expect(spec?.sourcePath).toBe(fixture('valid_diamond.yaml'));
    expect(spec?.baseDir).toBe(fixture('').replace(/\/$/, ''));
    expect(spec?.steps.map((s) => [s.id, s.needs])).toEqual([['fetch', []], ['left', ['fetch']], ['right', ['fetch']], ['report', ['left', 'right']]]);
    const [fetch, left, right, report] = spec?.steps ?? [];
    expect(fetch?.timeoutMs).toBe(300_000);
    expect(fetch?.action).toEqual({ kind: 'run', command: { default: 'curl -fsSL "$URL" -o data.json' } });
    expect(left?.action).toEqual({ kind: 'uses', handler: './handlers.ts#transform', with: { limit: '${{ params.limit }}', source: '${{ steps.fetch.output }}' } });
    expect(right?.action).toEqual({ kind: 'run', command: { linux: './right.sh', darwin: './right.sh' } });
    // Step retry inherits unset fields from the workflow's retry, then from defaults.
    expect(right?.retry).toEqual({ attempts: 3, backoff: 'fixed', delayMs: 2_000, factor: 2, maxDelayMs: 300_000, jitter: 0 });
    expect(left?.retry.backoff).toBe('exponential');
    expect(right?.pool).toBe('db');
    expect(right?.priority).toBe(5);
    expect(report?.continueOnError).toBe(true);
    expect(spec?.params).toEqual({ url: { type: 'string', required: true }, limit: { type: 'integer', default: 10, required: false } });
    expect(spec?.concurrency).toBe(16);
  });

  it('cycle.yaml names the cycle in order, at the needs entry that closes it', async () => {
    const [e, ...rest] = await errorsOf('cycle.yaml');
    expect(rest).toEqual([]);
    expect(where(e!)).toEqual({ code: 'cycle', path: 'steps[0].needs[0]', line: 4, column: 13 });
    expect(e?.message).toContain('a -> b -> c -> a');
  });

  it('unknown_field.yaml points at the key and suggests the known field', async () => {
    const errors = await errorsOf('unknown_field.yaml');
    expect(errors.map(where)).toEqual([{ code: 'unknown-field', path: 'steps[0].timout', line: 5, column: 5 }]);
    expect(errors[0]?.suggestion).toBe('timeout');
    expect(errors[0]?.message).toBe('unknown field "timout"');
  });

  it('unknown_field.json gets positions too (JSON parsed as YAML)', async () => {
    const errors = await errorsOf('unknown_field.json');
    expect(errors.map(where)).toEqual([{ code: 'unknown-field', path: 'steps[1].retyr', line: 5, column: 51 }]);
    expect(errors[0]?.suggestion).toBe('retry');
  });

  it('bad_duration.yaml', async () => {
    const errors = await errorsOf('bad_duration.yaml');
    expect(errors.map(where)).toEqual([{ code: 'bad-duration', path: 'steps[0].retry.delay', line: 7, column: 14 }]);
    expect(errors[0]?.message).toContain('"5 minutes"');
  });

  it('duplicate_id.yaml points at the second id', async () => {
    const errors = await errorsOf('duplicate_id.yaml');
    expect(errors.map(where)).toEqual([{ code: 'duplicate-id', path: 'steps[1].id', line: 5, column: 9 }]);
    expect(errors[0]?.message).toContain('"build"');
  });

  it('unknown_needs.yaml suggests the closest step id', async () => {
    const errors = await errorsOf('unknown_needs.yaml');
    expect(errors.map(where)).toEqual([{ code: 'unknown-needs', path: 'steps[1].needs[0]', line: 6, column: 13 }]);
    expect(errors[0]?.suggestion).toBe('build');
  });

  it('bad_expression.yaml reports syntax errors and unknown roots', async () => {
    const errors = await errorsOf('bad_expression.yaml');
    expect(errors.map(where)).toEqual([
      { code: 'bad-expression', path: 'steps[0].env.TARGET', line: 6, column: 15 },
      { code: 'bad-expression', path: 'steps[1].if', line: 9, column: 9 },
    ]);
    expect(errors[0]?.message).toContain('syntax error');
    expect(errors[1]?.message).toContain("secrets are readable only in an http step's url, headers and body");
  });

  it('step_not_upstream.yaml tells the user to add the step to needs', async () => {
    const errors = await errorsOf('step_not_upstream.yaml');
    expect(errors.map(where)).toEqual([{ code: 'step-not-upstream', path: 'steps[1].env.ARTIFACT', line: 8, column: 17 }]);
    expect(errors[0]?.message).toContain('add "build" to needs');
  });

  it('expression_in_run.yaml sends the user to env', async () => {
    const errors = await errorsOf('expression_in_run.yaml');
    expect(errors.map(where)).toEqual([{ code: 'expression-in-run', path: 'steps[0].run', line: 8, column: 10 }]);
    expect(errors[0]?.message).toContain('env');
    expect(errors[0]?.message).toContain('"$NAME"');
  });

  it('missing_handler_export.yaml checks modules and exports at the uses field', async () => {
    const errors = await errorsOf('missing_handler_export.yaml');
    expect(errors.map(where)).toEqual([
      { code: 'handler-export-not-found', path: 'steps[0].uses', line: 4, column: 11 },
      { code: 'handler-not-found', path: 'steps[1].uses', line: 6, column: 11 },
    ]);
    expect(errors[0]?.message).toContain('no export "transfrom" (it exports transform)');
    expect(errors[1]?.message).toContain('no_such_module.ts');
  });

  it('yaml_syntax.yaml reports the parser error with its position', async () => {
    const errors = await errorsOf('yaml_syntax.yaml');
    expect(errors[0]).toMatchObject({ code: 'yaml-syntax', path: '', line: 5, column: 1 });
    expect(errors[0]?.message).not.toMatch(/at line/);
  });

  it('unknown_pool.yaml', async () => {
    const errors = await errorsOf('unknown_pool.yaml');
    expect(errors.map(where)).toEqual([{ code: 'unknown-pool', path: 'steps[0].pool', line: 7, column: 11 }]);
    expect(errors[0]?.suggestion).toBe('db');
  });

  it('priority_out_of_range.yaml', async () => {
    const errors = await errorsOf('priority_out_of_range.yaml');
    expect(errors.map(where)).toEqual([{ code: 'out-of-range', path: 'steps[0].priority', line: 5, column: 15 }]);
    expect(errors[0]?.message).toContain('-10 to +10');
  });

  it('param_default_type.yaml', async () => {
    const errors = await errorsOf('param_default_type.yaml');
    expect(errors.map(where)).toEqual([{ code: 'param-default-type', path: 'params.count.default', line: 5, column: 14 }]);
    expect(errors[0]?.message).toBe('default "three" is not of type integer');
  });

  it('run_and_uses.yaml reports both and neither', async () => {
    const errors = await errorsOf('run_and_uses.yaml');
    expect(errors.map(where)).toEqual([
      { code: 'run-and-uses', path: 'steps[0].uses', line: 5, column: 11 },
      { code: 'no-action', path: 'steps[1]', line: 6, column: 5 },
    ]);
  });

  it('missing_field.yaml points at the parent when the field is absent', async () => {
    const errors = await errorsOf('missing_field.yaml');
    expect(errors.map(where)).toEqual([{ code: 'missing-field', path: 'steps[0].id', line: 3, column: 5 }]);
    expect(errors[0]?.message).toBe('missing required field "id"');
  });

  it('many_errors.yaml reports every problem at once, in file order', async () => {
    const errors = await errorsOf('many_errors.yaml');
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code}`)).toEqual([
      '2:1 concurency unknown-field',
      '5:13 steps[0].needs[0] cycle',
      '7:14 steps[0].timeout bad-duration',
      '9:16 steps[1].needs[1] unknown-needs',
      '11:15 steps[1].priority out-of-range',
      '12:9 steps[2].id duplicate-id',
    ]);
    expect(errors[3]?.suggestion).toBeUndefined();
  });

  it('reports unreadable files and wrong extensions without throwing', async () => {
    expect((await validateWorkflowFile(fixture('nope.yaml'))).errors[0]?.code).toBe('file-read');
    expect((await validateWorkflowFile(fixture('handlers.ts'))).errors[0]?.code).toBe('file-read');
  });
});

describe('validateWorkflowFile: hostile input fixtures', () => {
  it.each([
    ['duration_zero.yaml', { code: 'bad-duration', path: 'steps[0].timeout', line: 5, column: 14 }],
    ['duration_over_a_year.yaml', { code: 'out-of-range', path: 'steps[0].timeout', line: 5, column: 14 }],
    ['duplicate_key.yaml', { code: 'duplicate-key', path: '', line: 5, column: 18 }],
    ['json_trailing_comma.json', { code: 'yaml-syntax', path: '', line: 4, column: 1 }],
    ['json_single_quotes.json', { code: 'yaml-syntax', path: '', line: 1, column: 2 }],
    ['alias_undefined.yaml', { code: 'yaml-syntax', path: '', line: 4, column: 10 }],
    ['shell_expression.yaml', { code: 'expression-in-run', path: 'steps[0].shell', line: 7, column: 12 }],
    ['step_id_too_long.yaml', { code: 'out-of-range', path: 'steps[0].id', line: 3, column: 9 }],
  ])('%s is refused with a position', async (name, expected) => {
    const errors = await errorsOf(name);
    expect(errors.map(where)).toEqual([expected]);
  });

  it('duration_bare_number_seconds.yaml: timeout: 90 is 90 seconds', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('duration_bare_number_seconds.yaml'));
    expect(errors).toEqual([]);
    expect(spec?.steps[0]?.timeoutMs).toBe(90_000);
  });

  it('env_program_from_param.yaml: PATH from a param only when trusted; BATON_ names refused; data vars free', async () => {
    const errors = await errorsOf('env_program_from_param.yaml');
    expect(errors.map(where)).toEqual([
      { code: 'expression-in-run', path: 'steps[0].env.PATH', line: 8, column: 13 },
      { code: 'invalid-value', path: 'steps[1].env.BATON_OUTPUT', line: 14, column: 7 },
    ]);
  });
});

describe('loadWorkflowFile', () => {
  it('returns the spec for a valid file', async () => {
    expect((await loadWorkflowFile(fixture('valid_diamond.yaml'))).name).toBe('diamond');
  });

  it('throws WorkflowValidationError carrying every error, summarised in the message', async () => {
    const error = await loadWorkflowFile(fixture('many_errors.yaml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    expect((error as WorkflowValidationError).errors).toHaveLength(6);
    expect((error as Error).message).toContain('(6 errors)');
    expect((error as Error).message).toContain("unknown field \"concurency\" (did you mean 'concurrency'?)");
  });
});

describe('formatSpecError', () => {
  it('prints file:line:col, path, message and suggestion', () => {
    expect(formatSpecError({ code: 'unknown-needs', message: 'needs unknown step "biuld"', path: 'steps[1].needs[0]', file: 'flow.yaml', line: 6, column: 13, suggestion: 'build' }))
      .toBe(`flow.yaml:6:13  steps[1].needs[0]  needs unknown step "biuld" (did you mean 'build'?)`);
    expect(formatSpecError({ code: 'no-action', message: 'm', path: 'steps[0]' })).toBe('steps[0]  m');
  });
});
