/**
 * @module cli/follow
 * Executes a run in this process until it ends: progress display, Ctrl-C handling (first:
 * graceful cancel; second: force), summary and exit code. Shared by `run`, `resume` and
 * `retry`; with `--server`, the same display follows a run the server executes.
 */
import { isRunDone, parseMapItemId } from '../core/index.js';
import type { Engine, RunHandle } from '../runtime/index.js';
import { runDefinition, runOutputs, waitingFor } from '../runtime/index.js';
import type { NewEvent, RunRecord, Store, StoredStepRun } from '../store/index.js';
import type { ApiClient, Subscription } from './client.js';
import { EXIT } from './context.js';
import { count, elapsed, paintState } from './format.js';
import type { ProgressMode } from './progress.js';
import { ProgressView, loadDraw } from './progress.js';
import { createEtaService, UNKNOWN_ETA } from '../observe/index.js';
import { errorMessage } from '../shared/index.js';

/** Output mode from the command's flags and whether stdout is a terminal. */
export function progressMode(o: { json?: boolean; quiet?: boolean }): ProgressMode {
  if (o.json) return 'json';
  if (o.quiet) return 'quiet';
  return process.stdout.isTTY ? 'live' : 'lines';
}

/**
 * Follows a run held by `engine` to its end and returns the exit code:
 * 0 succeeded, 1 failed, 130 cancelled.
 * @param early - events committed before `handle` came back: `startRun` resolves after the
 *   commit that creates and starts the run, so its caller listens from before the call.
 */
export async function followRun(engine: Engine, store: Store, handle: RunHandle, workflow: string, mode: ProgressMode, early: readonly NewEvent[] = []): Promise<number> {
  const etas = createEtaService({ store });
  const view = new ProgressView(handle.id, workflow, mode, () => etas.forRun(handle.id));
  for (const e of early) view.onEvent(e);
  const off = engine.onEvent((e) => view.onEvent(e));
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
  // Before the first await: the run's first step may be starting already.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    view.start(await store.getStepRuns(handle.id), await loadDraw(mode), await waitingSteps(store, handle.id));
    const summary = await handle.result;
    view.stop();
    off();
    if (mode !== 'json') {
      const run = await store.getRun(handle.id);
      if (run) {
        printSummary(run, await store.getStepRuns(handle.id));
        if (run.state === 'succeeded') await printOutputs(store, run);
      }
    }
    return exitCode(summary.state);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view.stop();
  }
}

/** The run's waiting steps and how to answer them, by step id; none when its definition cannot be read. */
async function waitingSteps(store: Store, runId: string): Promise<Map<string, NonNullable<ReturnType<typeof waitingFor>>>> {
  const run = await store.getRun(runId);
  const spec = run === undefined ? undefined : await runDefinition(store, run).catch(() => undefined);
  return new Map((spec?.steps ?? []).flatMap((s) => {
    const w = waitingFor(runId, s);
    return w ? [[s.id, w] as const] : [];
  }));
}

/**
 * Follows a run that a server executes, through its API, to its end and returns the exit
 * code as {@link followRun} does. `sub` is a subscription opened before the request that
 * started the run, so no event is missed; it is closed on return. The first Ctrl-C asks the
 * server to cancel the run; a second stops following (the run goes on on the server).
 */
export async function followRemoteRun(api: ApiClient, sub: Subscription, runId: string, mode: ProgressMode): Promise<number> {
  let interrupts = 0;
  let left = false;
  const wake: { fn?: () => void } = {};
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\ncancelling run ${runId} on ${api.url}: running steps get SIGTERM; press Ctrl-C again to stop following\n`);
      api.cancel(runId).catch((e: unknown) => process.stderr.write(`could not cancel: ${errorMessage(e)}\n`));
    } else {
      left = true;
      sub.close();
      wake.fn?.();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let view: ProgressView | undefined;
  try {
    const first = await api.getRun(runId);
    view = new ProgressView(runId, first.run.workflow, mode, async () => (await api.getRun(runId)).run.eta ?? UNKNOWN_ETA);
    view.start(first.steps.map((s) => ({ runId, ...s })), await loadDraw(mode));
    // Even a run that already ended is followed through the stream: its events are waiting
    // there (the subscription began before the run was created), and they are what prints.
    let done = false;
    // Events drive the view; a slow poll of the run is the backstop should the stream stall.
    const fed = (async () => {
      for await (const { event } of sub.events) {
        // The stream of a run carries changes of alerts about it too; a run followed here
        // prints what one followed in this process prints, its own events only.
        if (event.type === 'alert') continue;
        view.onEvent(event);
        if (event.runId === runId && event.type === 'run' && event.to !== undefined && isRunDone(event.to as RunRecord['state'])) return;
      }
    })();
    while (!done && !left) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        fed.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 2000);
          wake.fn = () => resolve(false);
        }),
      ]);
      clearTimeout(timer);
      done = ended || isRunDone((await api.getRun(runId)).run.state);
    }
    sub.close();
    await fed.catch(() => undefined);
    view.stop();
    if (left) {
      process.stderr.write(`stopped following run ${runId}; it goes on on the server: 'baton logs ${runId} --follow'\n`);
      return EXIT.cancelled;
    }
    const last = await api.getRun(runId);
    if (mode !== 'json') printSummary(last.run, last.steps);
    return exitCode(last.run.state);
  } finally {
    sub.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    view?.stop();
  }
}

function exitCode(state: string): number {
  return state === 'succeeded' ? EXIT.ok : state === 'cancelled' ? EXIT.cancelled : EXIT.failed;
}

/** The lines printed when a followed run ends: counts, each failure, how to continue. */
/**
 * A succeeded run's declared `outputs:`, one per line, last: where the report went is what a
 * person reads at the end. Nothing when it declares none or one cannot be evaluated.
 */
async function printOutputs(store: Store, run: RunRecord): Promise<void> {
  const spec = await runDefinition(store, run).catch(() => undefined);
  if (!spec?.outputs) return;
  const outputs = await runOutputs(store, run, spec).catch((e: unknown) => {
    process.stderr.write(`warning: the run's outputs could not be evaluated: ${errorMessage(e)}\n`);
    return {};
  });
  const lines = Object.entries(outputs).map(([name, v]) => `  ${name}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
}

function printSummary(run: RunRecord, all: Omit<StoredStepRun, 'runId'>[]): void {
  const runId = run.id;
  // Items of mapped steps are counted apart: "5 succeeded" should mean steps, as written.
  const steps = all.filter((s) => parseMapItemId(s.stepId) === undefined);
  const items = all.filter((s) => parseMapItemId(s.stepId) !== undefined);
  const counts = (xs: typeof all): string => `${xs.filter((s) => s.state === 'succeeded').length} succeeded, ${xs.filter((s) => s.state === 'failed').length} failed, ` +
    `${xs.filter((s) => s.state === 'skipped').length} skipped, ${xs.filter((s) => s.state === 'cancelled').length} cancelled`;
  const failed = all.filter((s) => s.state === 'failed');
  const lines = [
    `run ${runId} ${paintState(run.state)}${run.reason && run.reason !== run.state ? ` (${run.reason})` : ''} in ${elapsed(run.startedAt ?? run.createdAt, run.endedAt)}: ` +
      counts(steps) + (items.length ? `; ${count(items.length, 'mapped item')}: ${counts(items)}` : ''),
  ];
  const shownFailures = 10;
  for (const s of failed.slice(0, shownFailures)) {
    lines.push(`  ${s.stepId}: ${s.error?.message ?? s.reason ?? 'failed'}  (logs: baton logs ${runId} ${s.stepId})`);
  }
  if (failed.length > shownFailures) lines.push(`  … and ${failed.length - shownFailures} more failed (baton show ${runId} --all)`);
  if (run.state === 'cancelled') lines.push(`  continue it with: baton resume ${runId}`);
  process.stdout.write(lines.join('\n') + '\n');
}
