// A fleet worker process for bench/fleet.js: `createWorker` on its own fleet store, driven
// over IPC (forked). Messages in: 'mark' (reset CPU/query counters), 'report' (send them),
// 'stop'. Messages out: { ready: id }, { report }, { stopped }.
// argv: <database url> <slots>. BENCH_FLEET_PROFILE=1 counts and times every statement.
// BENCH_FLEET_SHIP=1 ships attempt logs to the store as `baton worker` does (its own pool of
// the store's size, logs in a folder of its own).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../dist/index.js';
import { createWorker } from '../dist/runtime/index.js';
import { openFleetStore } from '../dist/store/index.js';
import { profileQueries } from './pg-profile.js';

const [url, slotsArg] = process.argv.slice(2);
const prof = process.env.BENCH_FLEET_PROFILE === '1' ? profileQueries() : undefined;
const fleet = openFleetStore(url, { max: 4 });
const errors = [];
const ship = process.env.BENCH_FLEET_SHIP === '1';
const store = ship ? openPostgresStore(url) : undefined;
const logDir = ship ? mkdtempSync(join(tmpdir(), 'baton-fleet-worker-logs-')) : undefined;
const worker = createWorker({
  fleet,
  ...(ship ? { logs: store.logs, logDir } : {}),
  version: 'bench',
  slots: Number(slotsArg ?? 16),
  // as `baton worker --max-cpu 1000 --max-mem 1`: never throttled by load on this shared box
  cpuThreshold: 1000,
  memThreshold: 1,
  report: (e) => {
    if (e.kind === 'error' && errors.length < 20) errors.push(e.message);
    if (e.kind === 'completed' && e.result !== 'applied' && errors.length < 20) errors.push(`${e.attemptId} ${e.result}`);
  },
});
await worker.start();
let cpu0 = process.cpuUsage();
process.send({ ready: worker.id });
process.on('message', async (m) => {
  if (m === 'mark') {
    cpu0 = process.cpuUsage();
    prof?.reset();
    process.send({ marked: true });
  } else if (m === 'report') {
    const c = process.cpuUsage(cpu0);
    process.send({ report: { cpuMs: (c.user + c.system) / 1000, queries: prof?.snapshot(), errors: errors.splice(0) } });
  } else if (m === 'stop') {
    await worker.stop();
    await fleet.close();
    await store?.close();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
    process.send({ stopped: true }, () => process.exit(0));
  }
});
