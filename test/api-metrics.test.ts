/**
 * `/metrics` as Prometheus reads it, over a real socket: standard process metric names,
 * finished-run and finished-step counters fed from the event feed, and an exposition that
 * `promtool check metrics` passes without a warning (Debian's `prometheus` package; the
 * check is skipped, saying why, where promtool is not installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

  it.skipIf(!existsSync(PROMTOOL))('passes promtool check metrics without a warning', async () => {
    await scrapeUntil(/baton_runs_finished_total/);
    const text = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});

if (!existsSync(PROMTOOL)) console.log(`skipping the promtool check: ${PROMTOOL} is not installed (Debian: apt-get install prometheus)`);
