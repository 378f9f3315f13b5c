/**
 * Shared helpers of the integration tests: temp dirs, polling for readiness (never
 * sleeping for a state), process liveness, and spawning the real CLI.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine, SqliteStore, WorkflowSpec } from '../src/index.js';
import { createEngine, loadWorkflowFile, openSqliteStore } from '../src/index.js';
import { pidAlive } from '../src/runtime/index.js';
import type { EngineOptions } from '../src/index.js';
import type { NewEvent } from '../src/store/index.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The built CLI entry point (`npm run build` first). */
export const BATON = join(ROOT, 'bin', 'baton.js');

/** Absolute path of a fixture under test/fixtures/engine. */
export const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'engine', name);

/** A fresh temp dir; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix = 'baton-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Polls `fn` every 20 ms until it returns a truthy value (which is returned) or
 * `timeoutMs` passes (then throws, naming `what`).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 5_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Whether a process exists and is not a zombie (orphans reparented to a PID 1 that never
 * reaps them must count as dead): the engine's own check.
 */
export const processAlive = pidAlive;

/** Reads a pid written by a step into a file, once the file holds one. */
export async function readPid(path: string, timeoutMs = 5_000): Promise<number> {
  return waitFor(() => {
    try {
      const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }, timeoutMs, `a pid in ${path}`);
}

/** A store and an engine on a fresh temp dir, with fast defaults for tests. */
export interface EngineRig {
  dir: string;
  store: SqliteStore;
  engine: Engine;
  /** Closes the engine and the store and removes the temp dir. */
  cleanup(): Promise<void>;
}

/** Opens a store and engine in a new temp dir; `opts` override the engine options. */
export async function engineRig(opts: Partial<EngineOptions> = {}): Promise<EngineRig> {
  const dir = tempDir();
  const store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  const engine = createEngine({ store, dataDir: dir, graceMs: 200, heartbeatMs: 100, ...opts });
  return {
    dir,
    store,
    engine,
    async cleanup() {
      await engine.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves with the first event the engine commits from now on that matches `pred` (events
 * reach listeners once durable). Subscribe before the action that causes it.
 */
export function nextEvent(engine: Engine, pred: (e: NewEvent) => boolean): Promise<NewEvent> {
  return new Promise((resolve) => {
    const off = engine.onEvent((e) => {
      if (!pred(e)) return;
      off();
      resolve(e);
    });
  });
}

/** Matches a committed step transition `stepId -> to` (any step when `stepId` is undefined). */
export const stepTo = (to: string, stepId?: string) => (e: NewEvent): boolean =>
  e.type === 'step' && e.to === to && (stepId === undefined || e.stepId === stepId);

/** Loads an engine fixture. */
export function loadFixture(name: string): Promise<WorkflowSpec> {
  return loadWorkflowFile(fixture(name));
}

/** A spawned CLI process with its output collected as it comes. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process is gone and reaped. */
  exited: Promise<number | string>;
}

/** Spawns `node bin/baton.js ...args` in `cwd`, with colors off. */
export function spawnBaton(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliProcess {
  const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete base.BATON_DB; // each test names its database (cwd or --db)
  const child = spawn(process.execPath, [BATON, ...args], {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to its end. */
export async function baton(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnBaton(args, cwd, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The JSON events a `--json` CLI run printed so far (one object per stdout line). */
export function jsonEvents(stdout: string): { type: string; stepId?: string; to?: string; runId: string; data?: Record<string, unknown> }[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; stepId?: string; to?: string; runId: string; data?: Record<string, unknown> });
}

/**
 * Waits until a run's holder has renewed its lease `n` more times (each heartbeat renews it
 * and is also when the holder applies a pause or cancel): what an absence check waits on
 * instead of a fixed sleep — n heartbeats in which the holder could have acted.
 */
export async function waitForRenewals(leaseOf: () => Promise<number | undefined>, n = 2, timeoutMs = 10_000): Promise<void> {
  let last = await leaseOf();
  let seen = 0;
  await waitFor(async () => {
    const now = await leaseOf();
    if (now !== undefined && now !== last) {
      seen++;
      last = now;
    }
    return seen >= n;
  }, timeoutMs, `${n} lease renewals`);
}
