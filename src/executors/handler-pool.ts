/**
 * @module executors/handler-pool
 * The worker threads `uses: ./module.ts#export` handlers run in (piscina), so that a CPU-bound
 * handler neither blocks the engine's event loop (heartbeats, timers, other attempts) nor
 * waits for one: handlers of different attempts run in parallel, up to the pool's threads.
 *
 * Per attempt, the engine's thread and the handler's thread talk over one `MessageChannel`:
 * log lines and captured console output come back as messages and are written to the
 * attempt's log here, masked as before; an abort goes there and aborts `ctx.signal`; the
 * result comes back last, after every log message. A handler that does not return within
 * `graceMs` of its signal aborting (a `while (true) {}`) has its thread terminated (piscina's
 * per-task AbortSignal), and the pool starts a fresh thread for the next task.
 *
 * One piscina pool per distinct `memory` limit (V8's `resourceLimits` are per thread, fixed at
 * its start); steps without one share the unlimited pool. Pools start on first use.
 *
 * Threads grow with demand, not with the burst: piscina starts a thread for every task that
 * finds none idle, and a thread costs ~0.5 s of CPU to start (tsx included) and ~40 MB, so
 * 10,000 no-op handlers at 256 slots would start 256 threads to run work one thread does in
 * less. So each thread is a single-thread piscina pool, and a `Lane` (one per memory limit)
 * places tasks: on an idle thread; else queued (up to 8) behind short tasks on a thread that
 * runs short work, so its round trips pipeline; else waiting for a thread. While tasks wait
 * and every thread holds a task that has run {@link GROW_AFTER_MS}, one more thread starts
 * (once every thread is up), up to `maxThreads`; after `idleTimeoutMs` with nothing running
 * the lane is back to one thread. A task's wait counts against its step's timeout.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Failure } from '../core/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import { errorMessage, setLongTimeout } from '../shared/index.js';
import type { CancelTimer } from '../shared/index.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

/** Options of a {@link HandlerPool}. */
export interface HandlerPoolOptions {
  /** Threads at most, per memory limit: the engine's or worker's slots. @default os.availableParallelism() */
  maxThreads?: number;
  /** An idle thread beyond the first is stopped after this long, ms. @default 30000 */
  idleTimeoutMs?: number;
}

/** What a handler thread receives per task: data only, structured-cloned, and its port. */
export interface ThreadTask {
  /** The `uses` ref as written: `./module.ts#export`. */
  ref: string;
  baseDir: string;
  runId: string;
  workflow: string;
  stepId: string;
  attemptId: string;
  attempt: number;
  params: JsonObject;
  inputs: JsonValue;
  outputs: Record<string, JsonValue>;
  secrets: Readonly<Record<string, string>>;
  maxOutputBytes: number;
  /** Set when the attempt's signal aborted before the task was posted: the handler is not called. */
  aborted?: string;
  /** Transferred: the thread's end of the attempt's channel. */
  port: MessagePort;
}

/** Sent by a handler thread over the attempt's port. */
export type FromThread =
  | { t: 'start'; threadId: number }
  | { t: 'line'; level: string; message: string; fields?: JsonObject }
  | { t: 'write'; stream: 'stdout' | 'stderr'; chunk: string | Uint8Array }
  | { t: 'done'; result: AttemptResult };

/** Sent to a handler thread over the attempt's port. */
export type ToThread = { t: 'abort'; reason: string };

const MIB = 1024 * 1024;

/** How long a task waits for a thread before the pool allows one more, ms. */
export const GROW_AFTER_MS = 25;

/**
 * The worker file, beside this one: `handler-thread.js` in `dist/`; from the sources (tests,
 * which run TypeScript), `handler-thread.ts`, loaded through tsx's hooks in the thread.
 */
const THREAD_FILE = new URL(import.meta.url.endsWith('.ts') ? './handler-thread.ts' : './handler-thread.js', import.meta.url);

/**
 * The worker threads path handlers run in. Creating one costs nothing: threads start when the
 * first handler runs. Pass one to several engines or workers (`EngineOptions.handlerPool`,
 * `WorkerOptions.handlerPool`) to share it; close it once they are closed.
 */
export class HandlerPool {
  constructor(o: HandlerPoolOptions = {}) {
    states.set(this, new ThreadPools(o));
  }

  /** Threads running now, over every memory limit. */
  get threads(): number {
    return stateOf(this).threads;
  }

  /** Terminates every thread (a running handler with it); later handlers fail. Idempotent. */
  close(): Promise<void> {
    return stateOf(this).close();
  }
}

/** The pools behind each public {@link HandlerPool}, kept off its public face. */
const states = new WeakMap<HandlerPool, ThreadPools>();

function stateOf(pool: HandlerPool): ThreadPools {
  const s = states.get(pool);
  if (s === undefined) throw new TypeError('not a HandlerPool');
  return s;
}

/**
 * Runs one attempt of a `uses` step whose handler is the module path `ref` in a thread of
 * `pool`. Never throws: a thread that ran out of its memory limit fails the attempt with type
 * `memory-limit` (not retryable); one terminated after its grace period with `cancelled` (the
 * runtime records the abort's cause, timeout or cancel, instead).
 */
export function runInPool(pool: HandlerPool, req: AttemptRequest, ref: string, limits: ExecutorLimits): Promise<AttemptResult> {
  return stateOf(pool).run(req, ref, limits);
}

/** One piscina pool per memory limit, each behind its {@link Lane}. */
class ThreadPools {
  private readonly pools = new Map<number, Lane>();
  private readonly maxThreads: number;
  private readonly idleTimeoutMs: number;
  private closed = false;

  constructor(o: HandlerPoolOptions = {}) {
    this.maxThreads = Math.max(1, o.maxThreads ?? availableParallelism());
    this.idleTimeoutMs = o.idleTimeoutMs ?? 30_000;
  }

  get threads(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.size;
    return n;
  }

  async run(req: AttemptRequest, ref: string, limits: ExecutorLimits): Promise<AttemptResult> {
    if (this.closed) return { ok: false, failure: { type: 'internal', message: 'the handler pool is closed', retryable: true } };
    const memoryMb = req.step.memoryBytes === undefined ? 0 : Math.max(1, Math.ceil(req.step.memoryBytes / MIB));
    const lane = this.laneFor(memoryMb);
    const slot = await lane.acquire(req.signal, req.force);
    if (slot === undefined) return failed('cancelled', 'stopped while it waited for a thread', false);
    try {
      return await this.runIn(slot.thread, req, ref, limits, memoryMb);
    } finally {
      lane.release(slot);
    }
  }

  private async runIn(thread: Thread, req: AttemptRequest, ref: string, limits: ExecutorLimits, memoryMb: number): Promise<AttemptResult> {
    const { port1, port2 } = new MessageChannel();
    const terminate = new AbortController();
    let graceTimer: CancelTimer | undefined;
    let done: AttemptResult | undefined;
    let resolveDone!: (r: AttemptResult) => void;
    const doneMessage = new Promise<AttemptResult>((r) => (resolveDone = r));
    port1.on('message', (m: FromThread) => {
      if (m.t === 'start') thread.ready = true;
      else if (m.t === 'line') req.log.line(m.level, m.message, m.fields);
      else if (m.t === 'write') req.log.write(typeof m.chunk === 'string' ? m.chunk : Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength), m.stream);
      else resolveDone((done = m.result));
    });
    const onAbort = (): void => {
      const reason: unknown = req.signal.reason;
      port1.postMessage({ t: 'abort', reason: typeof reason === 'string' ? reason : 'cancelled' } satisfies ToThread);
      graceTimer ??= setLongTimeout(limits.graceMs, () => terminate.abort('grace'));
    };
    const onForce = (): void => terminate.abort('force');
    req.signal.addEventListener('abort', onAbort, { once: true });
    req.force.addEventListener('abort', onForce, { once: true });
    const task: ThreadTask = {
      ref, baseDir: req.baseDir, runId: req.runId, workflow: req.workflow, stepId: req.stepId, attemptId: req.attemptId, attempt: req.attempt,
      params: req.params, inputs: req.inputs, outputs: req.outputs(), secrets: req.secretValues ?? {}, maxOutputBytes: limits.maxOutputBytes, port: port2,
      ...(req.signal.aborted ? { aborted: String(req.signal.reason) } : {}),
    };
    try {
      if (req.force.aborted) return failed('cancelled', 'stopped before its thread started', false);
      // The result travels on the attempt's port, after its log: the task's own settling only
      // says the thread is free, and may overtake the last log lines.
      await thread.pool.run(task, { transferList: [port2], signal: terminate.signal });
      return done ?? (await doneMessage);
    } catch (e) {
      return done ?? threadFailure(e, terminate.signal, memoryMb, limits.graceMs);
    } finally {
      graceTimer?.();
      req.signal.removeEventListener('abort', onAbort);
      req.force.removeEventListener('abort', onForce);
      port1.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private laneFor(memoryMb: number): Lane {
    let lane = this.pools.get(memoryMb);
    if (lane === undefined) {
      const spawn = (): Piscina<ThreadTask, void> => new Piscina<ThreadTask, void>({
        filename: THREAD_FILE.href,
        // One thread per piscina pool, so that the lane decides which thread a task waits for.
        maxThreads: 1,
        minThreads: 1,
        recordTiming: false,
        // From the sources the worker file is TypeScript: tsx's require hook loads it.
        ...(THREAD_FILE.pathname.endsWith('.ts') ? { execArgv: [...process.execArgv, '--import', 'tsx'] } : {}),
        ...(memoryMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: memoryMb } } : {}),
      });
      lane = new Lane(spawn, this.maxThreads, this.idleTimeoutMs);
      this.pools.set(memoryMb, lane);
    }
    return lane;
  }
}

/** Whether a thread has a task that has run GROW_AFTER_MS or more. */
function hasOld(t: Thread): boolean {
  const now = performance.now();
  for (const since of t.running.values()) if (now - since >= GROW_AFTER_MS) return true;
  return false;
}

/** One handler thread: a single-thread piscina pool (which restarts a thread that died) and its tasks. */
interface Thread {
  pool: Piscina<ThreadTask, void>;
  /** Start times (performance.now()) of the tasks sent to it and not ended. */
  running: Map<number, number>;
  /** It began a task: its thread is up. */
  ready: boolean;
  /** How long its last task took, ms; Infinity before the first. */
  lastMs: number;
}

/** A task's place: its token and its thread. */
interface Slot {
  token: number;
  thread: Thread;
}

/** Tasks queued on one thread behind short ones at most: enough to keep it busy between round trips. */
const PIPELINE = 8;

/** The threads of one memory limit and which task goes to which (see the module comment). */
class Lane {
  private readonly threads: Thread[] = [];
  private nextToken = 0;
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private growTimer: NodeJS.Timeout | undefined;
  private shrinkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spawn: () => Piscina<ThreadTask, void>,
    private readonly max: number,
    private readonly idleMs: number,
  ) {}

  /** Threads alive. */
  get size(): number {
    let n = 0;
    for (const t of this.threads) n += t.pool.threads.length;
    return n;
  }

  /** Resolves with a slot once the task may go to a thread; undefined when a signal aborted first. */
  acquire(signal: AbortSignal, force: AbortSignal): Promise<Slot | undefined> {
    if (signal.aborted || force.aborted) return Promise.resolve(undefined);
    clearTimeout(this.shrinkTimer);
    if (this.threads.length === 0) this.add();
    const thread = this.waiting.length === 0 ? this.pick() : undefined;
    if (thread !== undefined) return Promise.resolve(this.start(thread));
    return new Promise((resolve) => {
      const stop = (): void => {
        const i = this.waiting.indexOf(admit);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(undefined);
      };
      const admit = (slot: Slot): void => {
        signal.removeEventListener('abort', stop);
        force.removeEventListener('abort', stop);
        resolve(slot);
      };
      signal.addEventListener('abort', stop, { once: true });
      force.addEventListener('abort', stop, { once: true });
      this.waiting.push(admit);
      this.armGrow();
    });
  }

  release(slot: Slot): void {
    const since = slot.thread.running.get(slot.token);
    if (since !== undefined) slot.thread.lastMs = performance.now() - since;
    slot.thread.running.delete(slot.token);
    this.admitNext();
    if (this.threads.length > 1 && this.threads.every((t) => t.running.size === 0)) {
      clearTimeout(this.shrinkTimer);
      this.shrinkTimer = setTimeout(() => {
        // Idle for idleMs: back to one thread.
        for (const t of this.threads.splice(1)) void t.pool.destroy();
      }, this.idleMs);
      this.shrinkTimer.unref();
    }
  }

  close(): Promise<void> {
    clearTimeout(this.growTimer);
    clearTimeout(this.shrinkTimer);
    const all = this.threads.splice(0);
    return Promise.all(all.map((t) => t.pool.destroy())).then(() => undefined);
  }

  private add(): void {
    this.threads.push({ pool: this.spawn(), running: new Map(), ready: false, lastMs: Infinity });
  }

  /**
   * An idle thread; else the least loaded one that runs short work (its last task took less
   * than GROW_AFTER_MS and those it has are all younger): short tasks queue behind short
   * ones, so a round trip never leaves the thread idle; else none: a task does not queue
   * behind a long one, it waits for a free or a new thread. (A short-looking task that turns
   * long holds the few queued behind it.)
   */
  private pick(): Thread | undefined {
    let best: Thread | undefined;
    for (const t of this.threads) {
      if (t.running.size === 0) return t;
      if (t.running.size >= PIPELINE || t.lastMs >= GROW_AFTER_MS || hasOld(t)) continue;
      if (best === undefined || t.running.size < best.running.size) best = t;
    }
    return best;
  }

  private start(thread: Thread): Slot {
    const token = this.nextToken++;
    thread.running.set(token, performance.now());
    return { token, thread };
  }

  private admitNext(): void {
    while (this.waiting.length > 0) {
      const thread = this.pick();
      if (thread === undefined) return;
      this.waiting.shift()!(this.start(thread));
    }
  }

  /**
   * While tasks wait, every GROW_AFTER_MS: one more thread when none can take a task and every
   * thread is up (one thread starting at a time, not a burst of them).
   */
  private armGrow(): void {
    if (this.growTimer !== undefined) return;
    this.growTimer = setTimeout(() => {
      this.growTimer = undefined;
      this.admitNext();
      if (this.waiting.length === 0) return;
      // Only when every thread is held by a long task: short ones are served by pipelining.
      if (this.threads.length < this.max && this.threads.every((t) => t.ready && hasOld(t))) {
        this.add();
        this.admitNext();
      }
      if (this.waiting.length > 0) this.armGrow();
    }, GROW_AFTER_MS);
    this.growTimer.unref();
  }
}

function failed(type: string, message: string, retryable: boolean): AttemptResult {
  return { ok: false, failure: { type, message, retryable } };
}

/** Why a task ended without a result: its thread was terminated, ran out of memory, or died. */
function threadFailure(e: unknown, terminate: AbortSignal, memoryMb: number, graceMs: number): AttemptResult {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    const f: Failure = {
      type: 'memory-limit',
      message: `the handler went past its memory limit of ${memoryMb} MiB (the V8 heap of its thread); its thread was stopped`,
      retryable: false, details: { limitBytes: memoryMb * MIB },
    };
    return { ok: false, failure: f };
  }
  if (terminate.aborted) {
    return terminate.reason === 'grace'
      ? failed('cancelled', `the handler did not return within ${graceMs} ms of its signal aborting; its thread was terminated`, false)
      : failed('cancelled', 'the handler was stopped; its thread was terminated', false);
  }
  return failed('handler-thread', `the handler's thread ended without a result: ${errorMessage(e)}`, true);
}
