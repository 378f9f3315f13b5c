/**
 * @module cli/progress
 * Shows a run as it goes. On a terminal: a live view redrawn in place (log-update) with
 * each step's state, elapsed time and attempts, and the run's overall progress. Off a
 * terminal: one plain line per transition. With `--json`: one JSON event per line.
 */
import type logUpdate from 'log-update';
import type { NewEvent, StoredStepRun } from '../store/index.js';
import { count, dim, elapsed, etaText, formatTime, paintState, table } from './format.js';
import { isRunDone, isStepDone, parseMapItemId } from '../core/index.js';
import type { RunState, StepRunState } from '../core/index.js';
import type { RunEta } from '../observe/index.js';

/** How often the live view asks for the ETA again while no step changes, ms (a running step's elapsed time moves it). */
const ETA_REFRESH_MS = 5_000;

/** How progress is shown. */
export type ProgressMode = 'live' | 'lines' | 'json' | 'quiet';

interface StepView {
  id: string;
  state: string;
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  /** Item counts of a batch step, from its latest `batch` event. */
  batch?: { done: number; failed: number; invalid: number; total: number };
}

/** Tracks one run's step states from engine events and renders them. */
export class ProgressView {
  private readonly steps = new Map<string, StepView>();
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private runState = 'queued';
  /** Paused by an operator: shown as `running (paused)`. */
  private paused = false;
  private stopped = false;

  /** Events that arrived before `start`: subscribe first, load the rest, then replay, so none is lost. */
  private early: NewEvent[] | undefined = [];
  private draw: typeof logUpdate | undefined;
  /** Waiting steps (`wait:`, `approval:`): what each waits for and the command that answers it. */
  private waits: ReadonlyMap<string, { what: string; how: string }> = new Map();

  /** The latest ETA, once one came back. */
  private eta: RunEta | undefined;
  private etaBusy = false;
  private etaAgain = false;
  private etaAt = 0;

  /**
   * @param etaOf - the run's ETA (the ETA service over the engine's store, or the API's run
   *   resource): asked when the view starts, as steps start and end, and every
   *   {@link ETA_REFRESH_MS}; shown on the live view's head line. Absent: no ETA shown.
   */
  constructor(
    readonly runId: string,
    readonly workflow: string,
    readonly mode: ProgressMode,
    private readonly etaOf?: () => Promise<RunEta>,
  ) {}

  /** Asks for the ETA again; one request at a time, the latest ask coalesced behind it. */
  private refreshEta(): void {
    if (!this.etaOf || this.mode !== 'live' || this.stopped) return;
    if (this.etaBusy) {
      this.etaAgain = true;
      return;
    }
    this.etaBusy = true;
    this.etaAt = Date.now();
    this.etaOf().then((e) => {
      this.eta = e;
    }, () => undefined).finally(() => {
      this.etaBusy = false;
      if (this.etaAgain) {
        this.etaAgain = false;
        this.refreshEta();
      }
    });
  }

  /**
   * Starts showing: the step runs as stored, then every event received since construction.
   * @param draw - redraws in place; required for `live` (loaded only then: see `loadDraw`).
   */
  start(initial: StoredStepRun[], draw?: typeof logUpdate, waits: ReadonlyMap<string, { what: string; how: string }> = new Map()): void {
    this.draw = draw;
    this.waits = waits;
    for (const s of initial) {
      const v: StepView = { id: s.stepId, state: s.state, attempts: s.attempts };
      if (s.startedAt !== undefined) v.startedAt = s.startedAt;
      if (s.endedAt !== undefined) v.endedAt = s.endedAt;
      this.steps.set(s.stepId, v);
    }
    if (this.mode === 'live') {
      this.refreshEta();
      this.timer = setInterval(() => {
        if (Date.now() - this.etaAt >= ETA_REFRESH_MS) this.refreshEta();
        this.render();
      }, 100);
      this.timer.unref();
    } else if (this.mode === 'lines') {
      process.stdout.write(`${formatTime(Date.now())} run ${this.runId} (${this.workflow}) started with ${count(initial.length, 'step')}\n`);
    }
    const early = this.early ?? [];
    this.early = undefined;
    for (const e of early) this.apply(e);
  }

  /**
   * Feeds one committed event. JSON lines need no initial state, so they are printed at once,
   * even before `start`: a run's first events come out as soon as its first commit is made.
   */
  onEvent(e: NewEvent): void {
    if (e.runId !== this.runId) return;
    if (this.mode === 'json') process.stdout.write(JSON.stringify(e) + '\n');
    if (this.early) this.early.push(e);
    else this.apply(e);
  }

  /** Applies an event to the view's state (and prints it in `lines` mode). */
  private apply(e: NewEvent): void {
    if (e.type === 'run' && e.to) this.runState = e.to;
    if (e.type === 'run-paused' || e.type === 'run-resumed') {
      this.paused = e.type === 'run-paused';
      if (this.mode === 'lines') {
        process.stdout.write(`${formatTime(e.at)} run ${this.runId} ${this.paused ? 'paused: no new step starts (baton resume ' + this.runId + ' continues it)' : 'resumed'}\n`);
      }
    }
    if (e.type === 'unschedulable' && this.mode !== 'json') {
      // Printed above the live view too: a step that cannot start must not wait unnoticed.
      process.stderr.write(`warning: step ${e.stepId ?? '?'} cannot start: ${typeof e.data?.reason === 'string' ? e.data.reason : 'no worker can run it'}; it waits until one can, at most its queue-timeout (then it fails as unclaimed)\n`);
    }
    if (e.type === 'circuit-open' && this.mode !== 'json') {
      const until = typeof e.data?.until === 'number' ? `its next trial at ${formatTime(e.data.until)}` : 'a trial is running';
      process.stderr.write(`step ${e.stepId ?? '?'} waits: circuit breaker ${typeof e.data?.breaker === 'string' ? e.data.breaker : '?'} is open (${until}; baton breakers lists it)\n`);
    }
    if (e.type === 'step' && e.stepId && e.to) {
      const v = this.steps.get(e.stepId) ?? { id: e.stepId, state: 'pending', attempts: 0 };
      v.state = e.to;
      const attempt = typeof e.data?.attempt === 'number' ? e.data.attempt : v.attempts;
      v.attempts = attempt;
      if (e.to === 'running') {
        v.startedAt = e.at;
        delete v.endedAt;
      }
      if (['succeeded', 'failed', 'skipped', 'cancelled'].includes(e.to)) v.endedAt = e.at;
      if (typeof e.data?.reason === 'string') v.reason = e.data.reason;
      else delete v.reason;
      this.steps.set(e.stepId, v);
      if (e.to === 'running' || isStepDone(e.to as StepRunState)) this.refreshEta();
      if (this.mode === 'lines') process.stdout.write(this.line(e, v) + '\n');
    } else if (e.type === 'batch' && e.stepId && e.data) {
      const v = this.steps.get(e.stepId);
      const n = (k: string): number => (typeof e.data?.[k] === 'number' ? e.data[k] : 0);
      const batch = { done: n('done'), failed: n('failed'), invalid: n('invalid'), total: n('total') };
      if (v) v.batch = batch;
      if (this.mode === 'lines') process.stdout.write(`${formatTime(e.at)} batch ${e.stepId} ${batchText(batch)}\n`);
    } else if (e.type === 'map' && e.stepId && this.mode === 'lines') {
      process.stdout.write(`${formatTime(e.at)} step ${e.stepId} expanded into ${count(typeof e.data?.items === 'number' ? e.data.items : 0, 'item')}\n`);
    } else if (e.type === 'run' && this.mode === 'lines') {
      process.stdout.write(`${formatTime(e.at)} run ${this.runId} ${e.to ?? ''}\n`);
    }
  }

  /** Stops redrawing and leaves the final view on screen. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    if (this.mode === 'live') {
      this.render();
      this.draw?.done();
    }
  }

  private line(e: NewEvent, v: StepView): string {
    const parts = [formatTime(e.at), 'step', e.stepId ?? '', e.to ?? ''];
    // A mapped step runs no attempt itself: its items do.
    if (e.to === 'running' && v.attempts > 0) parts.push(`(attempt ${v.attempts})`);
    const waits = e.to === 'running' ? this.waits.get(e.stepId ?? '') : undefined;
    if (waits) parts.push(`- waiting for ${waits.what}: ${waits.how}`);
    if (e.to === 'retrying' && typeof e.data?.dueAt === 'number') parts.push(`(attempt ${v.attempts} failed; next in ${elapsed(e.at, e.data.dueAt)})`);
    if (v.reason && e.to !== 'retrying') parts.push(`(${v.reason})`);
    if (v.startedAt !== undefined && v.endedAt !== undefined && e.to !== 'skipped') parts.push(elapsed(v.startedAt, v.endedAt));
    const err = e.data?.error;
    if (err && typeof err === 'object' && !Array.isArray(err) && typeof err.message === 'string') parts.push(`- ${err.message}`);
    return parts.join(' ');
  }

  private render(): void {
    // The items of a mapped step show as its bar of counts, not as thousands of lines.
    const all: StepView[] = [];
    const items = new Map<string, NonNullable<StepView['batch']>>();
    for (const v of this.steps.values()) {
      const item = parseMapItemId(v.id);
      if (!item) {
        all.push(v);
        continue;
      }
      const b = items.get(item.stepId) ?? { done: 0, failed: 0, invalid: 0, total: 0 };
      b.total++;
      if (v.state === 'succeeded') b.done++;
      else if (v.state === 'failed') b.failed++;
      items.set(item.stepId, b);
    }
    for (const v of all) {
      const b = items.get(v.id);
      if (b) v.batch = b;
    }
    const count = (s: string): number => all.filter((v) => v.state === s).length;
    const done = all.filter((v) => ['succeeded', 'failed', 'skipped', 'cancelled'].includes(v.state)).length;
    const width = 30;
    const filled = all.length ? Math.round((done / all.length) * width) : width;
    const bar = '█'.repeat(filled) + dim('░'.repeat(width - filled));
    const eta = isRunDone(this.runState as RunState) ? undefined : etaText(this.eta);
    const head =
      `${this.workflow}  run ${this.runId}  ${paintState(this.runState)}${this.paused ? ' (paused)' : ''}  ${elapsed(this.startedAt, undefined)}${eta ? `  ${eta}` : ''}\n` +
      `${bar} ${done}/${all.length} done  ${count('running')} running  ${count('queued')} queued  ` +
      `${count('failed')} failed  ${count('skipped')} skipped`;
    // Large workflows: show what matters (running, retrying, failed) first, within the screen.
    const rank: Record<string, number> = { running: 0, retrying: 1, failed: 2, queued: 3, succeeded: 4, cancelled: 5, skipped: 6, pending: 7 };
    const room = Math.max(5, (process.stdout.rows || 30) - 4);
    const shown = all.length <= room ? all : [...all].sort((a, b) => (rank[a.state] ?? 9) - (rank[b.state] ?? 9)).slice(0, room);
    const rows = shown.map((v) => [
      v.id,
      paintState(v.state),
      v.startedAt === undefined ? '' : elapsed(v.startedAt, v.endedAt),
      v.attempts > 1 ? `attempt ${v.attempts}` : '',
      v.batch ? batchBar(v.batch) : v.reason ? dim(v.reason) : v.state === 'running' && this.waits.has(v.id) ? waitText(this.waits.get(v.id)!) : '',
    ]);
    const more = all.length > shown.length ? `\n${dim(`… ${all.length - shown.length} more steps`)}` : '';
    this.draw?.(`${head}\n${table(rows)}${more}`);
  }
}

/** `12/40 items done, 1 failed, 2 invalid`. */
function batchText(b: NonNullable<StepView['batch']>): string {
  const extra = [b.failed ? `${b.failed} failed` : '', b.invalid ? `${b.invalid} invalid` : ''].filter(Boolean);
  return `${b.done}/${b.total} items done${extra.length ? ', ' + extra.join(', ') : ''}`;
}

/** A small bar of a batch step's items: done, then failed (and invalid) ones, then the rest. */
function batchBar(b: NonNullable<StepView['batch']>): string {
  const width = 20;
  const cells = (n: number): number => (b.total ? Math.round((n / b.total) * width) : 0);
  const done = cells(b.done);
  const bad = Math.min(width - done, cells(b.failed + b.invalid));
  return '█'.repeat(done) + '▒'.repeat(bad) + dim('░'.repeat(width - done - bad)) + ' ' + batchText(b);
}

/** log-update for the live view; loaded only on a terminal, which keeps start-up short elsewhere. */
export async function loadDraw(mode: ProgressMode): Promise<typeof logUpdate | undefined> {
  return mode === 'live' ? (await import('log-update')).default : undefined;
}

/** A waiting step in the live view: what it waits for and the command that answers it. */
function waitText(w: { what: string; how: string }): string {
  return `waiting for ${w.what}: ${dim(w.how)}`;
}
