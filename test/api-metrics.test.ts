/**
 * `/metrics` as Prometheus reads it, over a real socket: standard process metric names,
 * finished-run and finished-step counters fed from the event feed, the age of the oldest
 * waiting step run by pool and priority measured at scrape, and an exposition that
 * `promtool check metrics` passes without a warning (Debian's `prometheus` package; the
 * check is skipped, saying why, where promtool is not installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

const PROMTOOL = '/usr/bin/promtool';
let api: TestApi;

beforeAll(async () => {
  api = await startApi();
  for (const text of ['name: fine\nsteps:\n  - id: a\n    run: "true"\n', 'name: broken\nsteps:\n  - id: a\n    run: "exit 3"\n  - id: b\n    needs: [a]\n    run: "true"\n']) {
    expect((await api.call('POST', '/api/v1/workflows', { raw: text, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
  }
});
afterAll(async () => api.close());

/** Scrapes until `pattern` shows: the metrics feed reads the event table about once a second. */
async function scrapeUntil(pattern: RegExp): Promise<string> {
  return waitFor(async () => {
    const m = await api.call('GET', '/metrics', { role: 'viewer' });
    return pattern.test(m.text) ? m.text : undefined;
  }, 10_000, `metrics matching ${pattern}`);
}

describe('/metrics', () => {
  it('counts finished runs and step runs by workflow and state', async () => {
    for (const workflow of ['fine', 'broken']) expect((await api.call('POST', '/api/v1/runs', { body: { workflow } })).status).toBe(201);
    const text = await scrapeUntil(/baton_runs_finished_total\{workflow="broken",state="failed"\} 1\n[^]*baton_runs_finished_total\{workflow="fine",state="succeeded"\} 1|baton_runs_finished_total\{workflow="fine",state="succeeded"\} 1\n[^]*baton_runs_finished_total\{workflow="broken",state="failed"\} 1/);
    expect(text).toMatch(/^# TYPE baton_runs_finished_total counter$/m);
    expect(text).toMatch(/^# TYPE baton_steps_finished_total counter$/m);
    expect(text).toMatch(/^baton_steps_finished_total\{workflow="fine",state="succeeded"\} 1$/m);
    expect(text).toMatch(/^baton_steps_finished_total\{workflow="broken",state="failed"\} 1$/m);
    expect(text).toMatch(/^baton_steps_finished_total\{workflow="broken",state="skipped"\} 1$/m);
  });

  it('names process metrics as stock Node.js dashboards expect, without a prefix', async () => {
    const text = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE process_resident_memory_bytes gauge$/m);
    expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
    expect(text).not.toMatch(/baton_process_/);
  });

  it('reports how long the longest-waiting step run has waited, by pool and effective priority, and drops a pair once nothing waits', async () => {
    const go = join(api.dir, 'go');
    const hold = `while [ ! -f ${go} ]; do sleep 0.05; done`;
    // holder takes db's one slot (priority 3 runs first); waiter waits for it, at priority 1 + the run's 2.
    const pooled = `name: pooled\npools: { db: 1 }\nsteps:\n  - id: holder\n    pool: db\n    priority: 3\n    run: "${hold}"\n  - id: waiter\n    pool: db\n    priority: 1\n    run: "true"\n`;
    // One step at a time: whichever starts, the other waits, with no pool.
    const serial = `name: serial\nconcurrency: 1\nsteps:\n  - id: one\n    run: "${hold}"\n  - id: two\n    run: "${hold}"\n`;
    for (const raw of [pooled, serial]) expect((await api.call('POST', '/api/v1/workflows', { raw, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const runs: string[] = [];
    for (const body of [{ workflow: 'pooled', priority: 2 }, { workflow: 'serial' }]) {
      const r = await api.call('POST', '/api/v1/runs', { body });
      expect(r.status).toBe(201);
      runs.push((r.body as { run: { id: string } }).run.id);
    }
    const waiting = await waitFor(async () => {
      const steps = (await Promise.all(runs.map((id) => api.store.getStepRuns(id)))).flat().filter((s) => s.state === 'queued');
      return steps.length === 2 ? steps : undefined;
    }, 10_000, 'one waiting step run in each run');
    const before = Date.now();
    const text = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    const after = Date.now();
    expect(text).toMatch(/^# TYPE baton_queue_oldest_age_seconds gauge$/m);
    const age = (pool: string, priority: number): number => Number(new RegExp(`^baton_queue_oldest_age_seconds\\{pool="${pool}",priority="${priority}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    const queuedAt = (runId: string): number => waiting.find((s) => s.runId === runId)!.queuedAt!;
    for (const [pool, priority, runId] of [['db', 3, runs[0]!], ['', 0, runs[1]!]] as const) {
      const seconds = age(pool, priority);
      expect(seconds, `${pool}/${priority}`).toBeGreaterThanOrEqual((before - queuedAt(runId)) / 1000);
      expect(seconds, `${pool}/${priority}`).toBeLessThanOrEqual((after - queuedAt(runId)) / 1000);
    }
    expect(text.match(/^baton_queue_oldest_age_seconds\{/gm)).toHaveLength(2);
    writeFileSync(go, '');
    await waitFor(async () => (await Promise.all(runs.map((id) => api.store.getRun(id)))).every((r) => r?.state === 'succeeded'), 10_000, 'both runs to end');
    expect((await api.call('GET', '/metrics', { role: 'viewer' })).text).not.toMatch(/^baton_queue_oldest_age_seconds\{/m);
  });

  it.skipIf(!existsSync(PROMTOOL))('passes promtool check metrics without a warning', async () => {
    await scrapeUntil(/baton_runs_finished_total/);
    const text = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});

if (!existsSync(PROMTOOL)) console.log(`skipping the promtool check: ${PROMTOOL} is not installed (Debian: apt-get install prometheus)`);
