import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore } from '../src/index.js';
import type { RunRecord } from '../src/index.js';
import { baton, tempDir } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

let dir: string;
let pgDb: TestDatabase;
beforeAll(async () => {
  dir = tempDir('baton-cli-backfill-');
  // Hourly in Paris; each run appends the region its schedule gives it and its tick, then holds a moment so runs overlap.
  writeFileSync(join(dir, 'flow.yaml'), `name: hourly-report
params: { region: { type: string } }
schedule: { cron: "0 * * * *", timezone: Europe/Paris, params: { region: eu } }
steps:
  - id: report
    env: { REGION: "\${{ params.region }}", TICK: "\${{ run.tickAt }}" }
    run: echo "$REGION $TICK $BATON_TICK_AT" >> regions.txt && sleep 0.5
`);
  pgDb = await createTestDatabase();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgDb?.drop();
});

/** Most runs that were running at one instant. */
function maxOverlap(runs: RunRecord[]): number {
  const edges = runs.flatMap((r) => [[r.startedAt!, 1], [r.endedAt!, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

describe('baton backfill on SQLite', () => {
  const db = () => join(dir, 'baton.db');
  const run = (...args: string[]) => baton(['--db', db(), 'backfill', ...args], dir);

  it('--dry-run lists the ticks in the schedule\'s time zone and creates nothing', async () => {
    const r = await run('flow.yaml', '--from', '2026-11-01T00:00', '--to', '2026-11-01T03:00', '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      '2026-10-31T23:00:00.000Z (2026-11-01 00:00:00 Europe/Paris)',
      '2026-11-01T00:00:00.000Z (2026-11-01 01:00:00 Europe/Paris)',
      '2026-11-01T01:00:00.000Z (2026-11-01 02:00:00 Europe/Paris)',
      '2026-11-01T02:00:00.000Z (2026-11-01 03:00:00 Europe/Paris)',
    ]);
    expect(r.stdout).toContain('hourly-report/default: 4 ticks in range (dry run: nothing created)');
    expect((await baton(['--db', db(), 'runs', '--json'], dir)).stdout.trim()).toBe('[]');
  });

  it('creates and executes one run per tick, --concurrency at a time; a second backfill creates nothing twice', async () => {
    const r = await run('flow.yaml', '--from', '2026-11-01T00:00', '--to', '2026-11-01T03:00', '--concurrency', '2');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hourly-report/default: 4 ticks in range, 4 created, 0 already present (skipped); executed here: 4 succeeded, 0 failed, 0 cancelled');
    const ticks = ['2026-10-31T23:00:00.000Z', '2026-11-01T00:00:00.000Z', '2026-11-01T01:00:00.000Z', '2026-11-01T02:00:00.000Z'];
    // Each run knows its tick, as ${{ run.tickAt }} and as $BATON_TICK_AT.
    expect(readFileSync(join(dir, 'regions.txt'), 'utf8').trim().split('\n').sort()).toEqual(ticks.map((t) => `eu ${t} ${t}`));
    const store = openSqliteStore(db());
    try {
      const runs = await store.listRuns({ workflow: 'hourly-report', limit: 10 });
      expect(runs.map((x) => [x.trigger, x.state, x.scheduleId])).toEqual(Array(4).fill(['backfill', 'succeeded', 'hourly-report/default']));
      expect(runs.map((x) => new Date(x.tickAt!).toISOString()).sort()).toEqual(ticks);
      expect(maxOverlap(runs)).toBe(2);
    } finally {
      await store.close();
    }
    // Overlapping range, by the registered name this time: only the two new ticks get runs.
    const again = await run('hourly-report', '--from', '2026-11-01T02:00', '--to', '2026-11-01T05:00', '--json', '--detach');
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { created: unknown[]; present: string[] };
    expect(report.present).toEqual(['2026-11-01T01:00:00.000Z', '2026-11-01T02:00:00.000Z']);
    expect(report.created).toHaveLength(2);
    const third = await run('flow.yaml', '--from', '2026-11-01T00:00', '--to', '2026-11-01T05:00');
    expect(third.stdout).toContain('6 ticks in range, 0 created, 6 already present (skipped)');
  });

  it('refuses a range over the tick bound, a range in the future and a bad date, with exit code 2', async () => {
    const over = await run('flow.yaml', '--from', '2026-11-01', '--to', '2026-11-02', '--max-ticks', '10');
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('the range holds more than 10 ticks of 0 * * * * (Europe/Paris)');
    const future = await run('flow.yaml', '--from', '2026-11-01', '--to', '2999-01-01');
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('is in the future');
    const bad = await run('flow.yaml', '--from', 'last tuesday', '--to', '2026-11-02');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--from expects a date or date-time");
  });
});

describe('baton backfill on PostgreSQL', () => {
  it('creates each tick\'s run once across two backfills, executed here with --local', async () => {
    const args = ['--database-url', pgDb.url, 'backfill', 'flow.yaml', '--local', '--from', '2026-11-01T00:00Z', '--to', '2026-11-01T02:00Z', '--concurrency', '3'];
    const first = await baton(args, dir);
    expect(first.stderr).not.toContain('error');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('3 ticks in range, 3 created, 0 already present (skipped); executed here: 3 succeeded');
    const second = await baton(args, dir);
    expect(second.stdout).toContain('3 ticks in range, 0 created, 3 already present (skipped)');
    const store = openPostgresStore(pgDb.url);
    try {
      const runs = await store.listRuns({ workflow: 'hourly-report', limit: 10 });
      expect(runs.map((r) => [r.trigger, r.state])).toEqual(Array(3).fill(['backfill', 'succeeded']));
    } finally {
      await store.close();
    }
  });
});
