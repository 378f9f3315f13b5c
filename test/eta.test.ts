/* eslint-disable @typescript-eslint/no-unsafe-member-access -- API responses are JSON read loosely; the tests check their shape */
/**
 * The ETA end to end on a real SQLite store and engine: a workflow run a few times, then a
 * run whose first step is held; the API's run resource and the ETA service predict its end
 * from the recorded step durations. The engine runs on a virtual clock and the steps wait
 * on files, so every recorded duration is exactly what the test chose. `baton show` runs the
 * built CLI (`npm run build` first).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, workflowVersion } from '../src/index.js';
import type { RunSummary } from '../src/index.js';
import { buildApi } from '../src/server/index.js';
import { createToken } from '../src/server/index.js';
import { createEtaService } from '../src/observe/index.js';
import type { EngineRig } from './helpers.js';
import { baton, engineRig, loadFixture, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Waits until step `id` of run `runId` is running. */
async function running(runId: string, id: string): Promise<void> {
  await waitFor(async () => (await rig!.store.getStepRun(runId, id))?.state === 'running', 10_000, `${id} running`);
}

describe('ETA', () => {
  it('predicts a held run from the history of its steps: the service, the API run resource and list, baton show', async () => {
    // From the wall clock's now: `baton show`, another process, reads the same runs on the wall clock.
    const clock = new VirtualClock(Date.now());
    rig = await engineRig({ clock });
    const files = tempDir('baton-eta-');
    dirs.push(files);
    const spec = await loadFixture('eta_held_steps.yaml');
    const version = workflowVersion(spec);
    const etas = createEtaService({ store: rig.store, clock });
    const go = (step: string): void => writeFileSync(join(files, `${step}.go`), '');
    const hold = (): void => {
      rmSync(join(files, 'fetch.go'), { force: true });
      rmSync(join(files, 'report.go'), { force: true });
    };

    // No history yet: unknown, never a made-up number.
    hold();
    const first = await rig.engine.startRun(spec, version, { params: { dir: files } });
    await running(first.id, 'fetch');
    expect(await etas.forRun(first.id)).toStrictEqual({ p50: null, p90: null, basis: 'unknown' });
    // Three recorded runs: fetch 900..1100 ms, report 1900..2100 ms of virtual time.
    const history: [number, number][] = [[1_000, 2_000], [900, 2_100], [1_100, 1_900]];
    let current = first;
    for (const [i, [fetchMs, reportMs]] of history.entries()) {
      if (i > 0) {
        hold();
        current = await rig.engine.startRun(spec, version, { params: { dir: files } });
        await running(current.id, 'fetch');
      }
      clock.advance(fetchMs);
      go('fetch');
      await running(current.id, 'report');
      clock.advance(reportMs);
      go('report');
      expect(await current.result).toEqual<RunSummary>({ id: current.id, state: 'succeeded' });
    }

    // The held run: fetch has run 400 ms of its ~1000; report's ~2000 is still ahead.
    hold();
    const held = await rig.engine.startRun(spec, version, { params: { dir: files } });
    await running(held.id, 'fetch');
    clock.advance(400);
    const now = clock.now();
    etas.invalidate();
    const eta = await etas.forRun(held.id);
    expect(eta.basis).toBe('steps');
    expect(eta.p50! - now).toBeGreaterThanOrEqual(2_200);
    expect(eta.p50! - now).toBeLessThanOrEqual(3_000);
    expect(eta.p90!).toBeGreaterThanOrEqual(eta.p50!);
    expect(eta.p90! - now).toBeLessThanOrEqual(3_600);

    const app = await buildApi({ store: rig.store, dataDir: rig.dir, clock: () => clock.now() });
    try {
      const { token } = await createToken(rig.store, 'viewer', 'eta-test', clock.now());
      const headers = { authorization: `Bearer ${token}` };
      const one = await app.inject({ method: 'GET', url: `/api/v1/runs/${held.id}`, headers });
      expect(one.statusCode).toBe(200);
      expect(one.json().run.eta).toStrictEqual(eta);
      const list = await app.inject({ method: 'GET', url: '/api/v1/runs', headers });
      const runs = list.json().runs as { id: string; eta: unknown }[];
      expect(runs.find((r) => r.id === held.id)?.eta).toStrictEqual(eta);
      // Ended runs have no ETA.
      expect(runs.find((r) => r.id === first.id)?.eta).toStrictEqual({ p50: null, p90: null, basis: 'unknown' });

      // `baton show` (the built CLI, its own process on the wall clock, a little behind the
      // virtual one: fetch counts as just started) predicts fetch's ~1 s and report's ~2 s.
      const db = join(rig.dir, 'baton.db');
      const before = Date.now();
      const json = await baton(['--db', db, 'show', held.id, '--json'], rig.dir);
      expect(json.code).toBe(0);
      const cli = (JSON.parse(json.stdout) as { run: { eta: { p50: number; p90: number; basis: string } } }).run.eta;
      expect(cli.basis).toBe('steps');
      expect(cli.p50 - before).toBeGreaterThanOrEqual(1_500);
      expect(cli.p50 - Date.now()).toBeLessThanOrEqual(4_500);
      expect(cli.p90).toBeGreaterThanOrEqual(cli.p50);
      const text = await baton(['--db', db, 'show', held.id], rig.dir);
      expect(text.stdout).toMatch(/^ETA {7}\d\d:\d\d \(p90 \d\d:\d\d\) from step history$/m);

      // Once fetch ends, the ETA moves to report's history alone.
      clock.advance(600);
      go('fetch');
      await running(held.id, 'report');
      const after = await etas.forRun(held.id);
      expect(after.basis).toBe('steps');
      expect(after.p50! - clock.now()).toBeGreaterThanOrEqual(1_800);
      expect(after.p50! - clock.now()).toBeLessThanOrEqual(2_200);
      go('report');
      expect(await held.result).toEqual<RunSummary>({ id: held.id, state: 'succeeded' });
      expect(await etas.forRun(held.id)).toStrictEqual({ p50: null, p90: null, basis: 'unknown' });
    } finally {
      await app.close();
    }
  }, 60_000);

  it('the service caches a run by its change marker and a workflow history for its TTL', async () => {
    const clock = new VirtualClock(Date.now());
    rig = await engineRig({ clock });
    const files = tempDir('baton-eta-');
    dirs.push(files);
    const spec = await loadFixture('eta_held_steps.yaml');
    const version = workflowVersion(spec);
    const go = (step: string): void => writeFileSync(join(files, `${step}.go`), '');
    const past = await rig.engine.startRun(spec, version, { params: { dir: files } });
    await running(past.id, 'fetch');
    clock.advance(1_000);
    go('fetch');
    await running(past.id, 'report');
    clock.advance(2_000);
    go('report');
    await past.result;
    rmSync(join(files, 'fetch.go'));
    rmSync(join(files, 'report.go'));

    let reads = 0;
    const read = rig.store.history.stepDurationSamples.bind(rig.store.history);
    rig.store.history.stepDurationSamples = (w, n) => {
      reads++;
      return read(w, n);
    };
    const etas = createEtaService({ store: rig.store, clock, history: { ttlMs: 10_000 } });
    const held = await rig.engine.startRun(spec, version, { params: { dir: files } });
    await running(held.id, 'fetch');
    const a = await etas.forRun(held.id);
    expect(a.basis).toBe('steps');
    // Nothing changed: the same answer from the cache, no read of the history.
    expect(await etas.forRun(held.id)).toBe(a);
    expect(reads).toBe(1);
    // A transition: recomputed, the history still cached.
    clock.advance(1_000);
    go('fetch');
    await running(held.id, 'report');
    const b = await etas.forRun(held.id);
    expect(b).not.toBe(a);
    expect(b.p50! - clock.now()).toBeGreaterThanOrEqual(1_800);
    expect(reads).toBe(1);
    // Past the TTL the history is read again; batch answers by id.
    clock.advance(10_000);
    const many = await etas.forRuns([held.id, past.id, 'nosuchrun']);
    expect(reads).toBe(2);
    expect([...many.keys()]).toEqual([held.id, past.id]);
    expect(many.get(past.id)).toStrictEqual({ p50: null, p90: null, basis: 'unknown' });
    go('report');
    await held.result;
  }, 60_000);
});
