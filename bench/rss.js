// One 100,000-step workflow of independent no-op handler steps in a fresh process;
// prints wall time and peak RSS (getrusage maxrss) as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWorkflow, createEngine, openSqliteStore, workflowVersion } from '../dist/index.js';

const n = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'baton-rss-'));
const store = openSqliteStore(join(dir, 'baton.db'));
await store.migrate();
const engine = createEngine({ store, dataDir: dir });
const noop = () => undefined;
const spec = compileWorkflow(
  { name: 'rss', concurrency: 256, steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, uses: noop })) },
  { baseDir: dir },
);
const t0 = performance.now();
const run = await engine.startRun(spec, workflowVersion(spec));
const res = await run.result;
const ms = performance.now() - t0;
await engine.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
if (res.state !== 'succeeded') throw new Error(`run ${res.state}`);
process.stdout.write(JSON.stringify({ ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
