import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('baton-cli-templates-');
  mkdirSync(join(dir, 'shared'));
  // The shared template retries a shell step in a pool; the step's command writes its arg to a file.
  writeFileSync(join(dir, 'shared', 'templates.yaml'), `templates:
  write:
    params: { name: { type: string }, text: { type: string, default: hello } }
    run: printf '%s' "\${{ template.text }}" > "\${{ template.name }}.txt"
    retry: { attempts: 2, delay: 0 }
    pool: io
`);
  writeFileSync(join(dir, 'flow.yaml'), `name: templated
pools: { io: 1 }
templates:
  local:
    params: { name: { type: string } }
    run: printf local > "\${{ template.name }}.txt"
steps:
  - id: first
    extend: local
    args: { name: first }
  - id: second
    extend: ./shared/templates.yaml#write
    args: { name: second, text: from-shared }
    needs: [first]
`);
  writeFileSync(join(dir, 'broken.yaml'), `name: broken
pools: { io: 1 }
steps:
  - id: s
    extend: ./shared/bad.yaml#write
    args: { name: s }
`);
  writeFileSync(join(dir, 'shared', 'bad.yaml'), `templates:
  write:
    params: { name: { type: string } }
    run: echo "\${{ template.name }}"
    timeout: soon
`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('baton validate and run with step templates', () => {
  it('validate checks the expanded steps of a workflow using a shared template file', async () => {
    const r = await baton(['validate', 'flow.yaml'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('flow.yaml: ok (templated, 2 steps)');
  });

  it('validate names the template file and line, and the step that extended it', async () => {
    const r = await baton(['validate', 'broken.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shared/bad.yaml:5:14  templates.write.timeout');
    expect(r.stderr).toContain('(in template "./shared/bad.yaml#write", extended by step "s" at broken.yaml:5:13)');
  });

  it('run executes the expanded steps', async () => {
    const r = await baton(['--db', join(dir, 'baton.db'), 'run', 'flow.yaml'], dir);
    expect(r.stderr).not.toContain('invalid');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'first.txt'), 'utf8')).toBe('local');
    expect(readFileSync(join(dir, 'second.txt'), 'utf8')).toBe('from-shared');
  });
});
