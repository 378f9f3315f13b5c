/**
 * @module modes/embedded
 * What `baton run`, `resume` and `retry` do with their process besides printing: find the
 * run a killed `baton run` left behind, wait in the foreground for a delayed run to come
 * due, start a queued run here unless another process took it first, and execute a list of
 * queued runs a few at a time.
 */
import type { RunHandle, RunSummary } from '../runtime/index.js';
import { ResumeError, RunHeldError, holderAlive } from '../runtime/index.js';
import type { RunState } from '../core/index.js';
import type { Store } from '../store/index.js';
import { setLongTimeout } from '../shared/index.js';
import type { BatonProcess } from './process.js';

/**
 * The latest run of `workflow` still `running` whose holder is gone (killed, lease
 * expired), among its five latest running runs: what `baton run --resume` continues.
 * @param now ms since the epoch, the clock leases are compared with
 */
export async function findInterrupted(store: Store, workflow: string, now: number): Promise<string | undefined> {
  const runs = await store.listRuns({ workflow, state: ['running'], limit: 5 });
  return runs.find((r) => !holderAlive(r, now))?.id;
}

/**
 * Waits until `dueAt` (ms since the epoch) or until one of `signals` arrives, whichever is
 * first; the listeners are removed either way. Waits of any length (`setLongTimeout`).
 * @returns `due`, or `interrupted` when a signal came first
 */
export function waitUntilDue(dueAt: number, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<'due' | 'interrupted'> {
  return new Promise((resolve) => {
    const onSignal = (): void => done('interrupted');
    const cancel = setLongTimeout(dueAt - Date.now(), () => done('due'));
    function done(v: 'due' | 'interrupted'): void {
      cancel();
      for (const s of signals) process.off(s, onSignal);
      resolve(v);
    }
    for (const s of signals) process.on(s, onSignal);
  });
}

/** How starting a queued run here went. */
export type QueuedStart =
  | { kind: 'started'; handle: RunHandle }
  /** Another process started it first, or it is no longer queued (`state` as now stored). */
  | { kind: 'elsewhere'; state: RunState | undefined };

/**
 * Starts a queued run on this process's engine. A run another process (a server, a fleet
 * worker) took first is left to it: the race is normal, not an error.
 * @throws what the store throws
 */
export async function startQueuedHere(proc: BatonProcess, runId: string): Promise<QueuedStart> {
  try {
    return { kind: 'started', handle: await proc.engine().startQueuedRun(runId) };
  } catch (e) {
    if (e instanceof RunHeldError || e instanceof ResumeError) return { kind: 'elsewhere', state: (await proc.store.getRun(runId))?.state };
    throw e;
  }
}

/**
 * Moves a pending run that has come due to `queued` and starts it here (what a foreground
 * `baton run --at/--in` does at the due time), unless a server promoted or started it first.
 */
export async function startDueHere(proc: BatonProcess, runId: string, dueAt: number): Promise<QueuedStart> {
  const [promoted] = await proc.store.promoteDueRuns(Math.max(Date.now(), dueAt), 1, runId);
  if (promoted === undefined) return { kind: 'elsewhere', state: (await proc.store.getRun(runId))?.state };
  return startQueuedHere(proc, runId);
}

/** How one run of {@link runQueuedHere} ended: its end state, or `elsewhere` when another process took it. */
export type QueuedOutcome = RunSummary['state'] | 'elsewhere';

/**
 * Executes queued runs on this process's engine, at most `concurrency` at once, in the order
 * given (what `baton backfill` does with the runs it created). A run another process took
 * first is left to it. Once `signal` aborts, no further run starts; the ones going finish.
 * Returns each started or skipped run's outcome, in the order they ended.
 * @throws what the store throws
 */
export async function runQueuedHere(
  proc: BatonProcess, runIds: readonly string[], concurrency: number,
  o: { signal?: AbortSignal; onEnd?: (runId: string, outcome: QueuedOutcome) => void } = {},
): Promise<{ runId: string; outcome: QueuedOutcome }[]> {
  const ended: { runId: string; outcome: QueuedOutcome }[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runIds.length && o.signal?.aborted !== true) {
      const runId = runIds[next++]!;
      const start = await startQueuedHere(proc, runId);
      const outcome: QueuedOutcome = start.kind === 'started' ? (await start.handle.result).state : 'elsewhere';
      ended.push({ runId, outcome });
      o.onEnd?.(runId, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, runIds.length)) }, lane));
  return ended;
}
