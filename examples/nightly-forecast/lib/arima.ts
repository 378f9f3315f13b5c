/**
 * @module examples/nightly-forecast/lib/arima
 * Loads the `arima` package (a WASM build of the ctsa C library) with its C-level console
 * output captured instead of printed.
 *
 * The package's own entries (`arima`, `arima/async`) let the C code `printf` warnings such as
 * "The Matrix system does not have a unique solution" straight to the process's stdout,
 * dozens per fit. Under an engine that runs handlers in-process that would spill into the
 * terminal, so we instantiate the package's WASM module ourselves with `print`/`printErr`
 * hooks, and hand the text to whoever is fitting (see {@link captureNative}). If the package
 * layout ever changes, we fall back to the public `arima/async` entry (output not captured).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type ARIMA from 'arima';

/** The ARIMA class exported by the `arima` package. */
export type ArimaClass = typeof ARIMA;

type EmscriptenFactory = (module: { wasmBinary: Uint8Array; print: (s: string) => void; printErr: (s: string) => void }) => Promise<unknown>;

let captured: string[] | undefined;
const sink = (text: string): void => { captured?.push(text); };
let ready: Promise<ArimaClass> | undefined;

/**
 * Resolves to the `arima` class, compiling its WASM module on first call (about 30 ms);
 * later calls share the module. Models are fitted synchronously, so sharing is safe.
 */
export function loadArima(): Promise<ArimaClass> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    try {
      const dir = dirname(require.resolve('arima'));
      const factory = require(join(dir, 'wasm', 'native-async.js')) as EmscriptenFactory;
      const wrap = require(join(dir, 'load.js')) as (m: unknown) => ArimaClass;
      const wasmBinary = readFileSync(join(dir, 'wasm', 'native.wasm'));
      return wrap(await factory({ wasmBinary, print: sink, printErr: sink }));
    } catch {
      // The namespace of a CommonJS module: `default` is its module.exports, here a promise.
      const mod = (await import('arima/async')) as unknown as { default: Promise<ArimaClass> };
      return await mod.default;
    }
  })();
  return ready;
}

/**
 * Runs `fn` (which must be synchronous: WASM fits are) and returns its result with the
 * distinct messages the C code printed meanwhile, each with its count. Best effort: the
 * WASM runtime passes text on only at a newline, and ctsa ends some warnings without one,
 * so such a warning shows up in the capture of a later fit (or never).
 */
export function captureNative<T>(fn: () => T): { result: T; messages: Record<string, number> } {
  const outer = captured;
  captured = [];
  try {
    return { result: fn(), messages: countMessages(captured) };
  } finally {
    if (outer) outer.push(...captured);
    captured = outer;
  }
}

/**
 * Splits raw C output into distinct messages and counts them. ctsa prints warnings without
 * a trailing newline, so one printed "line" may hold several `Warning : …` messages.
 */
export function countMessages(chunks: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const msg of chunks.join('\n').split(/\n|(?=Warning\s*:)/)) {
    const m = msg.replace(/^Warning\s*:\s*/, '').trim();
    if (m) counts[m] = (counts[m] ?? 0) + 1;
  }
  return counts;
}
