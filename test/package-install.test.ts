/**
 * baton as a user installs it: `npm pack`, the tarball installed into a scratch project of
 * each module kind, a workflow run by the installed `baton` binary whose handler imports
 * `StepFailure` from the package by name. The failure's type must reach the run's record,
 * which proves the handler loaded the package (ESM `import`, or `require()` of the ESM
 * build, which Node >= 20.19 does synchronously) and the engine recognised its failure.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/store/index.js';
import { ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const PKG = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string }).name;

let dir: string;
let tarball: string;

beforeAll(async () => {
  dir = tempDir('baton-pkg-');
  // The build exists (`pretest`); `--ignore-scripts` skips `prepare` rebuilding it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (packed === undefined) throw new Error(`npm pack printed no file: ${stdout}`);
  tarball = join(dir, packed.filename);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A scratch project with the tarball installed. Dependencies come from the npm cache the
 * repository's own install filled (the registry only if that fails). Install scripts are
 * skipped: better-sqlite3's would compile its addon for minutes, so the one this checkout
 * built (same Node, same version range) is copied in.
 */
async function project(name: string, manifest: Record<string, unknown>): Promise<string> {
  const cwd = join(dir, name);
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest }));
  const args = ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball];
  await run('npm', [...args, '--offline'], { cwd }).catch(() => run('npm', args, { cwd }));
  const addon = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  const target = join(cwd, 'node_modules', 'better-sqlite3', 'build', 'Release');
  mkdirSync(target, { recursive: true });
  copyFileSync(addon, join(target, 'better_sqlite3.node'));
  return cwd;
}

/** Runs `flow.yaml` in `cwd` with the installed binary; returns the failure type of step `check`. */
async function failureType(cwd: string): Promise<string | undefined> {
  const bin = join(cwd, 'node_modules', '.bin', 'baton');
  const exit = await run(bin, ['run', 'flow.yaml'], { cwd }).then(() => 0, (e: { code?: number; stderr?: string }) => e.code ?? -1);
  expect(exit).not.toBe(0);
  const store = openSqliteStore(join(cwd, '.baton', 'baton.db'));
  try {
    const [r] = await store.listRuns();
    if (r === undefined) throw new Error('no run was recorded');
    const attempts = await store.getAttempts(r.id, 'check');
    return attempts[0]?.error?.type;
  } finally {
    await store.close();
  }
}

/** One step whose handler throws a non-retryable StepFailure of type `quota-exceeded`. */
const flow = (uses: string): string => `name: installed\nsteps:\n  - id: check\n    uses: ${uses}\n`;
const THROW = `throw new StepFailure('over quota', { type: 'quota-exceeded', retryable: false });`;

describe(`the packed ${PKG} package`, () => {
  it('is imported by name from a TypeScript handler in an ESM project', async () => {
    const cwd = await project('user-esm', { type: 'module' });
    writeFileSync(join(cwd, 'steps.ts'), `import { StepFailure } from '${PKG}';\nexport function check(): never { ${THROW} }\n`);
    writeFileSync(join(cwd, 'flow.yaml'), flow('./steps.ts#check'));
    expect(await failureType(cwd)).toBe('quota-exceeded');
  }, 120_000);

  it('is required by name from .cjs and .ts handlers in a CommonJS project', async () => {
    const cwd = await project('user-cjs', {});
    writeFileSync(join(cwd, 'steps.cjs'), `const { StepFailure } = require('${PKG}');\nexports.check = () => { ${THROW} };\n`);
    writeFileSync(join(cwd, 'flow.yaml'), flow('./steps.cjs#check'));
    expect(await failureType(cwd)).toBe('quota-exceeded');
    // A .ts handler in a CommonJS project is compiled to CommonJS by tsx: its import is a require().
    rmSync(join(cwd, '.baton'), { recursive: true, force: true });
    writeFileSync(join(cwd, 'steps.ts'), `import { StepFailure } from '${PKG}';\nexport function check(): never { ${THROW} }\n`);
    writeFileSync(join(cwd, 'flow.yaml'), flow('./steps.ts#check'));
    expect(await failureType(cwd)).toBe('quota-exceeded');
  }, 120_000);
});
