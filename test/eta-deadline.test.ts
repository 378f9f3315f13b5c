/* eslint-disable @typescript-eslint/no-unsafe-member-access -- API responses are JSON read loosely; the tests check their shape */
/**
 * Deadlines end to end on a real SQLite store and engine, on one virtual clock: a workflow run
 * a few times (fetch ~1 s, report ~2 s), then a version with `deadline: 2s` whose run is held
 * on its first step. The real ETA service predicts ~3 s, past the deadline, so the alert
 * service fires `deadline-at-risk` while the deadline is still ahead, and `deadline-missed`
 * once the clock passes it; the API's run resource carries the deadline beside the ETA.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, workflowVersion } from '../src/index.js';
import type { RunSummary } from '../src/index.js';
import { buildApi, createToken } from '../src/server/index.js';
import { AlertService, createEtaService } from '../src/observe/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function running(runId: string, id: string): Promise<void> {
  await waitFor(async () => (await rig!.store.getStepRun(runId, id))?.state === 'running', 10_000, `${id} running`);
}

describe('deadlines with the real ETA', () => {
  it('at risk before the deadline from the ETA of a held run, missed after it; the run resource carries the deadline', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 11, 7, 1, 0, 0));
    rig = await engineRig({ clock });
    const files = tempDir('baton-eta-deadline-');
    dirs.push(files);
    const spec = await loadFixture('eta_held_steps.yaml');
    const go = (step: string): void => writeFileSync(join(files, `${step}.go`), '');
    const hold = (): void => {
      rmSync(join(files, 'fetch.go'), { force: true });
      rmSync(join(files, 'report.go'), { force: true });
    };
    for (const [fetchMs, reportMs] of [[1_000, 2_000], [900, 2_100], [1_100, 1_900]] as const) {
      hold();
      const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: files } });
      await running(run.id, 'fetch');
      clock.advance(fetchMs);
      go('fetch');
      await running(run.id, 'report');
      clock.advance(reportMs);
      go('report');
      expect(await run.result).toEqual<RunSummary>({ id: run.id, state: 'succeeded' });
    }

    const strict = { ...spec, deadline: { afterMs: 2_000 } };
    hold();
    const held = await rig.engine.startRun(strict, workflowVersion(strict), { params: { dir: files } });
    await running(held.id, 'fetch');
    const created = (await rig.store.getRun(held.id))!.createdAt;
    const etas = createEtaService({ store: rig.store, clock });
    const alerts = new AlertService({ store: rig.store, clock, channels: new Map(), sweepMs: 100, eta: (run) => etas.ofRun(run) });
    const open = async (rule: string) => (await rig!.store.alerts.list({ rule })).filter((a) => a.state !== 'resolved');
    try {
      await alerts.pass();
      clock.advance(200);
      await alerts.pass();
      // 200 ms in, 1.8 s before the deadline: the p50 (~3 s) is already past it.
      const risk = await open('deadline-at-risk');
      expect(risk).toHaveLength(1);
      expect(risk[0]).toMatchObject({ subject: { workflow: 'eta_held_steps', runId: held.id } });
      expect(risk[0]!.details).toMatchObject({ deadline: created + 2_000 });
      expect(risk[0]!.details!.etaP90 as number).toBeGreaterThan(created + 2_000);
      expect(await open('deadline-missed')).toEqual([]);

      const app = await buildApi({ store: rig.store, dataDir: rig.dir, clock: () => clock.now() });
      try {
        const { token } = await createToken(rig.store, 'viewer', 'deadline-test', clock.now());
        const res = await app.inject({ method: 'GET', url: `/api/v1/runs/${held.id}`, headers: { authorization: `Bearer ${token}` } });
        expect(res.json().run.eta).toMatchObject({ basis: 'steps', deadline: created + 2_000 });
      } finally {
        await app.close();
      }

      clock.advance(2_000);
      await alerts.pass();
      const missed = await open('deadline-missed');
      expect(missed).toHaveLength(1);
      expect(missed[0]).toMatchObject({ severity: 'critical', subject: { workflow: 'eta_held_steps' } });
      expect(await open('deadline-at-risk')).toEqual([]);
      go('fetch');
      await running(held.id, 'report');
      go('report');
      expect(await held.result).toEqual<RunSummary>({ id: held.id, state: 'succeeded' });
    } finally {
      await alerts.stop();
    }
  }, 60_000);
});
