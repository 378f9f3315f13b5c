/**
 * @module cli/follow
 * Executes a run in this process until it ends: progress display, Ctrl-C handling (first:
 * graceful cancel; second: force), summary and exit code. Shared by `run` and `resume`.
 */
import type { Engine, RunHandle } from '../runtime/index.js';
import type { Store } from '../store/index.js';
import { EXIT } from './context.js';
import { elapsed, paintState } from './format.js';
import type { ProgressMode } from './progress.js';
import { ProgressView, loadDraw } from './progress.js';

/** Output mode from the command's flags and whether stdout is a terminal. */
export function progressMode(o: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (o.json) return 'json';
  if (o.quiet) return 'quiet';
  return process.stdout.isTTY ? 'live' : 'lines';
}

/**
 * Follows a run held by `engine` to its end and returns the exit code:
 * 0 succeeded, 1 failed, 130 cancelled.
 */
export async function followRun(engine: Engine, store: Store, handle: RunHandle, workflow: string, mode: ProgressMode): Promise<number> {
  const view = new ProgressView(handle.id, workflow, mode);
  const off = engine.onEvent((e) => view.onEvent(e));
  view.start(await store.getStepRuns(handle.id), await loadDraw(mode));
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\ncancelling run ${handle.id}: running steps get SIGTERM; press Ctrl-C again to force\n`);
      engine.cancelRun(handle.id);
    } else {
      process.stderr.write(`\nforcing: running steps get SIGKILL\n`);
      engine.cancelRun(handle.id, { force: true });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await handle.result;
    view.stop();
    off();
    if (mode !== 'json') await printSummary(store, handle.id);
    return summary.state === 'succeeded' ? EXIT.ok : summary.state === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view.stop();
  }
}

async function printSummary(store: Store, runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (!run) return;
  const steps = await store.getStepRuns(runId);
  const failed = steps.filter((s) => s.state === 'failed');
  const lines = [
    `run ${runId} ${paintState(run.state)}${run.reason && run.reason !== run.state ? ` (${run.reason})` : ''} in ${elapsed(run.startedAt ?? run.createdAt, run.endedAt)}: ` +
      `${steps.filter((s) => s.state === 'succeeded').length} succeeded, ${failed.length} failed, ` +
      `${steps.filter((s) => s.state === 'skipped').length} skipped, ${steps.filter((s) => s.state === 'cancelled').length} cancelled`,
  ];
  for (const s of failed) {
    lines.push(`  ${s.stepId}: ${s.error?.message ?? s.reason ?? 'failed'}  (logs: baton logs ${runId} ${s.stepId})`);
  }
  if (run.state === 'cancelled') lines.push(`  continue it with: baton resume ${runId}`);
  process.stdout.write(lines.join('\n') + '\n');
}
