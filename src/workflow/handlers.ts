/**
 * @module workflow/handlers
 * Loading `uses` handlers from modules. TypeScript modules are loaded through tsx's
 * `tsImport`, so authors write `.ts` handlers with no build step; plain JavaScript goes
 * through `import()`. Modules are cached per absolute path so each loads once per process.
 */
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerLoadError } from './errors.js';
import type { StepHandler } from './model.js';
import { errorMessage } from '../shared/index.js';
import type * as TsxApi from 'tsx/esm/api';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
const modules = new Map<string, Promise<Record<string, unknown>>>();

/** A `uses` ref split into its module path and export name. */
export interface HandlerRef {
  /** The module path as written (relative to the workflow's folder, or absolute). */
  module: string;
  /** The export to call. @default 'default' */
  exportName: string;
}

/** Splits `./mod.ts#name` at the last `#`; without `#` the export is `default`. */
export function parseHandlerRef(ref: string): HandlerRef {
  const hash = ref.lastIndexOf('#');
  return hash < 0 ? { module: ref, exportName: 'default' } : { module: ref.slice(0, hash), exportName: ref.slice(hash + 1) || 'default' };
}

let tsx: Promise<typeof TsxApi> | undefined;

/** Imports a module by absolute path: TypeScript through tsx's `tsImport`, anything else through `import()`. */
async function importModule(absolute: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(absolute).href;
  if (!TS_EXTENSIONS.has(extname(absolute))) return (await import(url)) as Record<string, unknown>;
  // Imported on first use, dynamically: a handler thread started from the sources loads this
  // file as CommonJS, where a static import of tsx's ESM API resolves to a file tsx lacks.
  // `tsImport` (not a registered loader) compiles a `.ts` file of a CommonJS project as
  // CommonJS, which Node's require(esm) cycle check would otherwise refuse.
  tsx ??= import('tsx/esm/api');
  return (await (await tsx).tsImport(url, url)) as Record<string, unknown>;
}

/**
 * Loads the function a `uses` ref names. `ref` is `./path/to/module.ts#exportName`
 * (no `#` means the default export), resolved against `baseDir`. `.ts`/`.mts`/`.cts`
 * modules load through tsx, anything else through `import()`, in the engine's thread and in
 * handler threads alike. A module is imported once per absolute path and thread; a failed import is not
 * cached, so a fixed file loads on the next call.
 *
 * @throws HandlerLoadError with `reason`:
 *   `module-not-found` (no such file), `import-failed` (the module threw while loading;
 *   its error is the `cause`), `export-not-found`, or `not-a-function`.
 */
export async function loadHandler(ref: string, baseDir: string): Promise<StepHandler> {
  const { module, exportName } = parseHandlerRef(ref);
  const absolute = isAbsolute(module) ? module : resolve(baseDir, module);
  let loading = modules.get(absolute);
  if (loading === undefined) {
    loading = (async () => {
      const found = await stat(absolute).then((s) => s.isFile(), () => false);
      if (!found) throw new HandlerLoadError('module-not-found', absolute, exportName, `handler module not found: ${absolute}`);
      try {
        return await importModule(absolute);
      } catch (e) {
        const detail = errorMessage(e);
        throw new HandlerLoadError('import-failed', absolute, exportName, `handler module ${absolute} failed to load: ${detail}`, { cause: e });
      }
    })();
    modules.set(absolute, loading);
    void loading.catch(() => modules.delete(absolute));
  }
  const namespace = await loading;
  if (!Object.hasOwn(namespace, exportName)) {
    const exported = Object.keys(namespace).filter((k) => typeof namespace[k] === 'function');
    const hint = exported.length === 0 ? 'it exports no functions' : `it exports ${exported.join(', ')}`;
    throw new HandlerLoadError('export-not-found', absolute, exportName, `handler module ${absolute} has no export "${exportName}" (${hint})`);
  }
  const handler = namespace[exportName];
  if (typeof handler !== 'function') {
    throw new HandlerLoadError('not-a-function', absolute, exportName, `export "${exportName}" of ${absolute} is ${handler === null ? 'null' : typeof handler}, not a function`);
  }
  return handler as StepHandler;
}
