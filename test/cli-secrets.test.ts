/**
 * Secrets through the real CLI (`npm run build` first): a `baton run --json` process whose
 * workflow has five secrets (a PEM from a file, one with quotes and backslashes) prints its
 * events but never a secret, in any form, and neither does `baton show --json`; what the
 * handler printed is in its attempt log, masked.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIVE, forbidden } from './secrets-helpers.js';
import { baton, fixture, jsonEvents, tempDir } from './helpers.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('baton run --json with secrets', () => {
  it('stdout and stderr hold events, never a secret; the handler printed into its attempt log, masked', async () => {
    dir = tempDir('baton-cli-secrets-');
    const db = join(dir, 'baton.db');
    const r = await baton(['--db', db, 'run', fixture('secrets_five.yaml'), '--json'], dir, FIVE.env);
    const printed = r.stdout + r.stderr;
    const events = jsonEvents(r.stdout);
    expect(events.some((e) => e.type === 'step' || e.stepId === 'print'), printed).toBe(true);
    for (const f of forbidden()) expect(printed, f).not.toContain(f);

    const runId = events[0]!.runId;
    const show = await baton(['--db', db, 'show', runId, '--json'], dir);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('***');
    for (const f of forbidden()) expect(show.stdout, f).not.toContain(f);

    const logs = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.log'));
    const print = readFileSync(join(dir, logs.find((p) => p.endsWith('print.1.log'))!), 'utf8');
    expect(print).toContain('console.log ***\n');
    expect(print).toContain('stdout.write ***\n');
    const all = logs.map((p) => readFileSync(join(dir!, p), 'utf8')).join('');
    for (const f of forbidden()) expect(all, f).not.toContain(f);
  });
});
