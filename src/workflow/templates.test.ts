import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatSpecError, validateWorkflowFile, workflowVersion } from './index.js';
import type { SpecError } from './index.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'baton-templates-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function put(files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return join(dir, 'flow.yaml');
}

const where = (e: SpecError) => ({ code: e.code, path: e.path, file: e.file?.replace(dir, '<dir>'), line: e.line, column: e.column });

const SHARED = `templates:
  python:
    params: { script: { type: string }, tries: { type: integer, default: 3 } }
    run: python3 "\${{ template.script }}"
    retry: { attempts: "\${{ template.tries }}", backoff: fixed }
    pool: cpu
`;

describe('step templates', () => {
  it('copies a local and a shared template into steps, with args bound and the step\'s own fields winning', async () => {
    const file = await put({
      'flow.yaml': `name: etl
pools: { cpu: 2 }
templates:
  sh:
    params: { msg: { type: string, default: hi } }
    run: echo "\${{ template.msg }}"
    timeout: 1m
steps:
  - id: greet
    extend: sh
  - id: load
    extend: ./shared/templates.yaml#python
    args: { script: load.py, tries: 5 }
    needs: [greet]
    timeout: 10m
  - id: handler
    extend: sh
    uses: ./h.ts#go
`,
      'shared/templates.yaml': SHARED,
      'h.ts': 'export const go = () => 1;\n',
    });
    const { spec, errors } = await validateWorkflowFile(file);
    expect(errors).toEqual([]);
    const [greet, load, handler] = spec?.steps ?? [];
    expect(greet?.action).toEqual({ kind: 'run', command: { default: 'echo "hi"' } });
    expect(greet?.timeoutMs).toBe(60_000);
    expect(load?.action).toEqual({ kind: 'run', command: { default: 'python3 "load.py"' } });
    // A whole-string reference keeps the arg's type: attempts is the number 5.
    expect(load?.retry).toMatchObject({ attempts: 5, backoff: 'fixed' });
    expect(load?.pool).toBe('cpu');
    expect(load?.timeoutMs).toBe(600_000);
    expect(load?.needs).toEqual(['greet']);
    // A step that sets its own action replaces the template's (no run-and-uses).
    expect(handler?.action).toMatchObject({ kind: 'uses', handler: './h.ts#go' });
    expect(handler?.timeoutMs).toBe(60_000);
  });

  it('gives a new version when the shared template file changes', async () => {
    const file = await put({ 'flow.yaml': 'name: v\npools: { cpu: 1 }\nsteps:\n  - id: a\n    extend: ./t.yaml#python\n    args: { script: a.py }\n', 't.yaml': SHARED });
    const first = await validateWorkflowFile(file);
    await writeFile(join(dir, 't.yaml'), SHARED.replace('backoff: fixed', 'backoff: exponential'));
    const second = await validateWorkflowFile(file);
    expect(first.spec && second.spec).toBeTruthy();
    expect(workflowVersion(second.spec!)).not.toBe(workflowVersion(first.spec!));
  });

  it('puts an error in a shared template at the template\'s field and names the step that extended it', async () => {
    const file = await put({
      'flow.yaml': 'name: etl\npools: { cpu: 1 }\nsteps:\n  - id: fetch\n    run: echo\n  - id: load\n    extend: ./shared/t.yaml#python\n',
      'shared/t.yaml': 'templates:\n  python:\n    run: python3 x.py\n    retry: { attempts: 0 }\n    pool: cpu\n',
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map(where)).toEqual([{ code: 'out-of-range', path: 'templates.python.retry.attempts', file: '<dir>/shared/t.yaml', line: 4, column: 24 }]);
    expect(errors[0]?.extendedBy).toEqual({ template: './shared/t.yaml#python', step: 'load', path: 'steps[1]', file, line: 7, column: 13 });
    expect(formatSpecError(errors[0]!)).toContain(`(in template "./shared/t.yaml#python", extended by step "load" at ${file}:7:13)`);
  });

  it('suggests the nearest template name for an unknown one, locally and in a shared file', async () => {
    const file = await put({
      'flow.yaml': 'name: etl\ntemplates:\n  python: { run: echo }\nsteps:\n  - id: a\n    extend: pyhton\n  - id: b\n    extend: ./t.yaml#pythn\n',
      't.yaml': SHARED,
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.path, e.line, e.suggestion])).toEqual([
      ['unknown-template', 'steps[0].extend', 6, 'python'],
      ['unknown-template', 'steps[1].extend', 8, './t.yaml#python'],
    ]);
  });

  it('reports a missing, an unknown and a mistyped arg at the step\'s args', async () => {
    const file = await put({
      'flow.yaml': `name: etl
pools: { cpu: 1 }
steps:
  - id: a
    extend: ./t.yaml#python
  - id: b
    extend: ./t.yaml#python
    args: { script: b.py, scirpt: x, tries: many }
`,
      't.yaml': SHARED,
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.path, e.line, e.suggestion])).toEqual([
      ['template-arg', 'steps[0].extend', 5, undefined],
      ['template-arg', 'steps[1].args.scirpt', 8, 'script'],
      ['template-arg', 'steps[1].args.tries', 8, undefined],
    ]);
    expect(errors[0]?.message).toBe('template "python" needs args.script (string): it has no default');
    expect(errors[2]?.message).toContain('is an integer');
  });

  it('refuses templates that extend each other in a circle, naming the circle', async () => {
    const file = await put({
      'flow.yaml': 'name: etl\ntemplates:\n  a: { extend: b, run: echo }\n  b: { extend: ./t.yaml#c }\nsteps:\n  - id: s\n    extend: a\n',
      't.yaml': 'templates:\n  c: { extend: "./t.yaml#d" }\n  d: { extend: "./t.yaml#c" }\n',
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => e.code)).toEqual(['template-cycle']);
    expect(errors[0]?.message).toMatch(/circle: ".*t\.yaml#c" -> ".*t\.yaml#d" -> ".*t\.yaml#c"/);
    expect(errors[0]?.extendedBy?.step).toBe('s');
  });

  it('passes args down a chain of templates', async () => {
    const file = await put({
      'flow.yaml': `name: etl
templates:
  base:
    params: { cmd: { type: string } }
    run: "\${{ template.cmd }} --verbose"
  py:
    params: { script: { type: string } }
    extend: base
    args: { cmd: "python3 \${{ template.script }}" }
    timeout: 2m
steps:
  - id: s
    extend: py
    args: { script: s.py }
`,
    });
    const { spec, errors } = await validateWorkflowFile(file);
    expect(errors).toEqual([]);
    expect(spec?.steps[0]?.action).toEqual({ kind: 'run', command: { default: 'python3 s.py --verbose' } });
    expect(spec?.steps[0]?.timeoutMs).toBe(120_000);
  });

  it('reports a reference to an undeclared template param in the template, and validates what expansion produced', async () => {
    const file = await put({
      'flow.yaml': `name: etl
templates:
  t:
    params: { script: { type: string } }
    run: python3 \${{ template.scrip }}
  u:
    params: { script: { type: string } }
    run: python3 \${{ template.script }}
steps:
  - id: a
    extend: t
    args: { script: a.py }
  - id: b
    extend: u
    args: { script: "\${{ params.x }}" }
`,
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.path, e.line, e.suggestion])).toEqual([
      ['template-arg', 'templates.t.run', 5, 'script'],
      // The arg put an expression into a command: the expanded step's own check catches it, in the template.
      ['expression-in-run', 'templates.u.run', 8, undefined],
    ]);
  });

  it('reports a shared file that is missing or holds more than templates', async () => {
    const file = await put({
      'flow.yaml': 'name: etl\nsteps:\n  - id: a\n    extend: ./missing.yaml#t\n  - id: b\n    extend: ./bad.yaml#t\n',
      'bad.yaml': 'templates: { t: { run: echo } }\nsteps: []\n',
    });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.path, e.file?.replace(dir, '<dir>'), e.line])).toEqual([
      ['file-read', 'steps[0].extend', file.replace(dir, '<dir>'), 4],
      ['file-read', 'steps[1].extend', file.replace(dir, '<dir>'), 6],
      ['unknown-field', 'steps', '<dir>/bad.yaml', 2],
      ['file-read', '', '<dir>/missing.yaml', undefined],
    ]);
  });

  it('suggests extend for a misspelt field', async () => {
    const file = await put({ 'flow.yaml': 'name: etl\nsteps:\n  - id: a\n    run: echo\n    extends: t\n' });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.suggestion])).toEqual([['unknown-field', 'extend']]);
  });
});

describe('step templates: bounds', () => {
  it('refuses expansions that copy more values than one document may hold', async () => {
    // 2,000 values per template x 200 steps = 400,000 values from a file of a few kilobytes.
    const big = Array.from({ length: 2_000 }, (_, i) => `V${i}: x`).join(', ');
    const steps = Array.from({ length: 200 }, (_, i) => `  - id: s${i}\n    extend: t\n`).join('');
    const file = await put({ 'flow.yaml': `name: big\ntemplates:\n  t: { run: echo, env: { ${big} } }\nsteps:\n${steps}` });
    const { errors } = await validateWorkflowFile(file);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['out-of-range', 'templates expand to more than 200,000 values: extend fewer or smaller templates']]);
  });
});
