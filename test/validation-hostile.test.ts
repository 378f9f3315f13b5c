/**
 * Hostile workflow definitions: each must come back as validation errors with a position
 * (never a thrown internal error, never a hang), quickly, through the same entry points the
 * CLI (`validateWorkflowFile`) and the API (`validateWorkflowText`) use.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileWorkflow, MAX_ISSUES, validateWorkflowFile, validateWorkflowText, WorkflowValidationError } from '../src/workflow/index.js';
import type { SpecError, ValidationResult } from '../src/workflow/index.js';
import { baton } from './helpers.js';

// Each case takes 0.05-0.3 s alone. The bound is loose because the suite shares two cores with
// browsers and databases, yet a quadratic pass over these sizes (or a read that blocks) fails it.
const BOUND_MS = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'baton-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const step = (extra: string): string => `name: hostile\nsteps:\n  - id: a\n    run: echo hi\n${extra}`;

/** Text shapes, each with the error code it must produce. */
const TEXT_SHAPES: [name: string, text: () => string, code: SpecError['code']][] = [
  ['3,000-level nested flow YAML', () => `name: deep\nsteps: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 'out-of-range'],
  ['3,000-level nested block YAML', () => `name: deep\nwith:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')}\n`, 'out-of-range'],
  ['3,000-level compact sequences', () => `name: deep\nsteps:\n  ${'- '.repeat(3000)}x\n`, 'out-of-range'],
  ['alias bomb', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
    return `name: bomb\n${levels.join('\n')}\nsteps: [{ id: a, run: echo }]\n`;
  }, 'yaml-syntax'],
  ['undefined alias', () => step('    env: { X: *nowhere }\n'), 'yaml-syntax'],
  ['duplicate keys 1 and "1"', () => step('    with: {1: 2, "1": 3}\n'), 'duplicate-key'],
  ['duplicate step field', () => step('    run: echo again\n'), 'duplicate-key'],
  ['7 MB timezone', () => `name: tz\nschedule: { cron: "0 2 * * *", timezone: "${'A'.repeat(7_000_000)}" }\nsteps: [{ id: a, run: echo }]\n`, 'out-of-range'],
  ['60 KB timezone', () => `name: tz\nschedule: { cron: "0 2 * * *", timezone: "${'Europe/'.repeat(8_000)}Paris" }\nsteps: [{ id: a, run: echo }]\n`, 'out-of-range'],
  ['timezone that is not an IANA name', () => `name: tz\nschedule: { cron: "0 2 * * *", timezone: "../../etc/passwd" }\nsteps: [{ id: a, run: echo }]\n`, 'invalid-value'],
  ['long cron', () => `name: c\nschedule: { cron: "${'1,'.repeat(500)}1 * * * *" }\nsteps: [{ id: a, run: echo }]\n`, 'out-of-range'],
  ['250-character step id', () => `name: ids\nsteps:\n  - id: ${'a'.repeat(250)}\n    run: echo\n`, 'out-of-range'],
  ['300-character workflow name', () => `name: ${'w'.repeat(300)}\nsteps: [{ id: a, run: echo }]\n`, 'out-of-range'],
  ['150-character param, pool, secret and schedule names', () => [
    `name: n\nparams: { ${'p'.repeat(150)}: { type: string } }\npools: { ${'q'.repeat(150)}: 1 }`,
    `secrets: [${'S'.repeat(150)}]\nschedule: { name: ${'s'.repeat(150)}, cron: "0 2 * * *" }\nsteps: [{ id: a, run: echo }]\n`,
  ].join('\n'), 'invalid-value'],
  ['200,000 expressions in one value', () => step(`    env: { X: "${'${{ params.p }}'.repeat(200_000)}" }\n`), 'out-of-range'],
  ['5,000 expressions in one value', () => `name: e\nparams: { p: { type: string } }\n${step(`    env: { X: "${'${{ params.p }}'.repeat(5_000)}" }\n`).slice('name: hostile\n'.length)}`, 'out-of-range'],
  ['deeply nested expression', () => step(`    if: "${'('.repeat(5_000)}true${')'.repeat(5_000)}"\n`), 'bad-expression'],
  ['long chain of unary operators', () => step(`    if: "${'!'.repeat(900)}true"\n`), 'bad-expression'],
  ['timeout: 0s', () => step('    timeout: 0s\n'), 'bad-duration'],
  ['negative timeout', () => step('    timeout: -5\n'), 'bad-duration'],
  ['timeout above 365 days', () => step('    timeout: 400d\n'), 'out-of-range'],
  ['shell from an expression', () => `name: s\nparams: { sh: { type: string } }\nsteps:\n  - id: a\n    run: echo\n    shell: "\${{ params.sh }}"\n`, 'expression-in-run'],
  ['PATH from a param', () => `name: p\nparams: { p: { type: string } }\nsteps:\n  - id: a\n    run: ls\n    env: { PATH: "\${{ params.p }}" }\n`, 'expression-in-run'],
  ['LD_PRELOAD from a param at workflow level', () => `name: p\nparams: { p: { type: string } }\nenv: { LD_PRELOAD: "\${{ params.p }}" }\nsteps: [{ id: a, run: ls }]\n`, 'expression-in-run'],
  ['BATON_OUTPUT set literally', () => step('    env: { BATON_OUTPUT: /tmp/x }\n'), 'invalid-value'],
  ['a 100 KB description', () => `name: d\ndescription: "${'x'.repeat(100_000)}"\nsteps: [{ id: a, run: echo }]\n`, 'out-of-range'],
  ['a 10,001-entry list', () => step(`    needs: [${Array(10_001).fill('a').join(',')}]\n`), 'out-of-range'],
  ['250,000 tiny values', () => `name: x\nsteps: [${Array(250_000).fill('a').join(',')}]\n`, 'out-of-range'],
  ['text over 1 MiB', () => step(`    run: "${'x'.repeat(1_100_000)}"\n`), 'out-of-range'],
];

function expectPositioned(result: ValidationResult, code: SpecError['code']): void {
  expect(result.spec).toBeUndefined();
  expect(result.errors.length).toBeGreaterThan(0);
  expect(result.errors.map((e) => e.code)).toContain(code);
  for (const e of result.errors) {
    expect(e.line, JSON.stringify(e).slice(0, 300)).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(e.message.length).toBeLessThan(2_000);
  }
}

describe('hostile workflow text (validateWorkflowText, as the API uses it)', () => {
  it.each(TEXT_SHAPES)('%s: positioned errors within 5 s', async (_name, make, code) => {
    const text = make();
    const started = performance.now();
    const result = await validateWorkflowText(text, { label: 'request body', baseDir: dir });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expectPositioned(result, code);
  });

  it('names the maximum of each bound in its message', async () => {
    const long = await validateWorkflowText(`name: ids\nsteps:\n  - id: ${'a'.repeat(250)}\n    run: echo\n`, { label: 'b', baseDir: dir });
    expect(long.errors[0]).toMatchObject({ code: 'out-of-range', path: 'steps[0].id', line: 3, column: 9 });
    expect(long.errors[0]?.message).toContain('at most 100 characters');
    const year = await validateWorkflowText(step('    timeout: 400d\n'), { label: 'b', baseDir: dir });
    expect(year.errors[0]).toMatchObject({ path: 'steps[0].timeout', line: 5, column: 14 });
    expect(year.errors[0]?.message).toContain('365 days');
  });

  it('reports an undefined alias at the alias', async () => {
    const { errors } = await validateWorkflowText(step('    env: { X: *nowhere }\n'), { label: 'b', baseDir: dir });
    expect(errors).toEqual([expect.objectContaining({ code: 'yaml-syntax', line: 5, column: 15 })]);
    expect(errors[0]?.message).toContain('*nowhere');
  });

  it('reports a duplicate key at its second occurrence, naming the first line', async () => {
    const { errors } = await validateWorkflowText(step('    run: echo again\n'), { label: 'b', baseDir: dir });
    expect(errors).toEqual([expect.objectContaining({ code: 'duplicate-key', line: 5, column: 5 })]);
    expect(errors[0]?.message).toContain('line 4');
  });

  it('caps the report at MAX_ISSUES problems and counts the rest', async () => {
    const steps = Array.from({ length: 3_000 }, (_, i) => `  - { id: s${i}, run: echo, needs: missing${i} }`).join('\n');
    const { errors } = await validateWorkflowText(`name: many\nsteps:\n${steps}\n`, { label: 'b', baseDir: dir });
    expect(errors).toHaveLength(MAX_ISSUES + 1);
    expect(errors.some((e) => e.message.startsWith('and 2,000 more problems'))).toBe(true);
  });

  it('accepts PATH from a param when the entry is marked trusted, and a literal PATH', async () => {
    const text = [
      'name: trusted',
      'params: { p: { type: string } }',
      'steps:',
      '  - id: a',
      '    run: ls',
      '    env:',
      '      PATH: { value: "${{ params.p }}", trusted: true }',
      '      LD_LIBRARY_PATH: /opt/lib',
      '      NAME: "${{ params.p }}"',
    ].join('\n');
    const { spec, errors } = await validateWorkflowText(text, { label: 'b', baseDir: dir });
    expect(errors).toEqual([]);
    expect(spec?.steps[0]?.env).toEqual({ PATH: '${{ params.p }}', LD_LIBRARY_PATH: '/opt/lib', NAME: '${{ params.p }}' });
  });

  it('reads a bare number as seconds', async () => {
    const { spec, errors } = await validateWorkflowText(step('    timeout: 90\n'), { label: 'b', baseDir: dir });
    expect(errors).toEqual([]);
    expect(spec?.steps[0]?.timeoutMs).toBe(90_000);
  });
});

describe('hostile graphs (the SDK path, compileWorkflow, as well as text)', () => {
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);

  it('names a 5,000-step ring cycle in order, within 5 s', () => {
    const all = ids(5_000);
    const started = performance.now();
    let error: unknown;
    try {
      compileWorkflow({ name: 'ring', steps: all.map((id, i) => ({ id, run: 'echo', needs: all[(i + 1) % all.length] ?? '' })) }, { baseDir: dir });
    } catch (e) {
      error = e;
    }
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(error).toBeInstanceOf(WorkflowValidationError);
    const [cycle] = (error as WorkflowValidationError).errors;
    expect(cycle?.code).toBe('cycle');
    expect(cycle?.message).toContain('s0 -> s4999 -> s4998');
  });

  it('accepts a valid 5,000-step chain written last step first, within 5 s', () => {
    const all = ids(5_000);
    const started = performance.now();
    const spec = compileWorkflow({ name: 'chain', steps: all.map((id, i) => (i + 1 < all.length ? { id, run: 'echo', needs: `s${i + 1}` } : { id, run: 'echo' })) }, { baseDir: dir });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(spec.steps).toHaveLength(5_000);
  });

  it('accepts a 5,000-step chain whose every step reads the farthest output, within 5 s', () => {
    const all = ids(5_000);
    const started = performance.now();
    const spec = compileWorkflow({
      name: 'far',
      steps: all.map((id, i) => (i + 1 < all.length ? { id, run: 'echo', needs: `s${i + 1}`, env: { X: '${{ steps.s4999.output }}' } } : { id, run: 'echo' })),
    }, { baseDir: dir });
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(spec.steps).toHaveLength(5_000);
  });

  it('accepts a 2,000-step chain as text, with expressions reading far upstream', async () => {
    const steps = ids(2_000).map((id, i) => (i + 1 < 2_000 ? `  - id: ${id}\n    run: echo\n    needs: s${i + 1}\n    env: { X: "\${{ steps.s1999.output }}" }` : `  - id: ${id}\n    run: echo`));
    const { spec, errors } = await validateWorkflowText(`name: chain\nsteps:\n${steps.join('\n')}\n`, { label: 'b', baseDir: dir });
    expect(errors).toEqual([]);
    expect(spec?.steps).toHaveLength(2_000);
  });

  it('refuses nesting deeper than 64 levels in an SDK object without recursing', () => {
    let value: unknown = 'x';
    for (let i = 0; i < 10_000; i++) value = [value];
    expect(() => compileWorkflow({ name: 'deep', steps: [{ id: 'a', uses: './h.js', with: { v: value } }] }, { baseDir: dir })).toThrow(/nested more than 64 levels/);
  });
});

describe('hostile files (validateWorkflowFile, as baton validate uses it)', () => {
  it('refuses a FIFO without opening it, at once', async () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const { errors } = await validateWorkflowFile(fifo);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(errors).toEqual([expect.objectContaining({ code: 'file-read', file: fifo })]);
    expect(errors[0]?.message).toContain('FIFO');
  });

  it('refuses a link to /dev/zero without reading it', async () => {
    const link = join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', link);
    const started = performance.now();
    const { errors } = await validateWorkflowFile(link);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
    expect(errors).toEqual([expect.objectContaining({ code: 'file-read' })]);
    expect(errors[0]?.message).toContain('a device');
  });

  it('refuses a file over 1 MiB, naming the maximum', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `${step('')}# ${'x'.repeat(1_100_000)}\n`);
    const { errors } = await validateWorkflowFile(big);
    expect(errors).toEqual([expect.objectContaining({ code: 'file-read' })]);
    expect(errors[0]?.message).toContain('1 MiB');
  });

  it.each([
    ['single quotes', "{'name': 'j', 'steps': [{'id': 'a', 'run': 'echo'}]}", 1, 2],
    ['a trailing comma', '{\n  "name": "j",\n  "steps": [{"id": "a", "run": "echo"}],\n}\n', 4, 1],
  ])('parses .json as strict JSON: %s is a positioned yaml-syntax error', async (_name, text, line, column) => {
    const file = join(dir, `strict-${line}.json`);
    writeFileSync(file, text);
    const { errors } = await validateWorkflowFile(file);
    expect(errors).toEqual([expect.objectContaining({ code: 'yaml-syntax', line, column })]);
    expect(errors[0]?.message).toContain('strict JSON');
  });

  it('refuses duplicate keys in .json', async () => {
    const file = join(dir, 'dup.json');
    writeFileSync(file, '{"name": "j", "name": "k", "steps": [{"id": "a", "run": "echo"}]}');
    const { errors } = await validateWorkflowFile(file);
    expect(errors).toEqual([expect.objectContaining({ code: 'duplicate-key', line: 1, column: 15 })]);
  });

  it.each([
    ['deep.yaml', TEXT_SHAPES[0]],
    ['bomb.yaml', TEXT_SHAPES[3]],
    ['alias.yaml', TEXT_SHAPES[4]],
  ])('baton validate %s exits 2 with positioned errors', async (name, shape) => {
    const file = join(dir, name);
    writeFileSync(file, shape?.[1]() ?? '');
    const { code, stderr } = await baton(['validate', file], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${name}:\\d+:\\d+`));
    expect(stderr).not.toMatch(/Maximum call stack|ReferenceError|internal/i);
  });
});
