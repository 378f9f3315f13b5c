/**
 * @module baton
 * The public TypeScript API: define workflows, run them on an engine, read the store.
 *
 * @example
 * import { defineWorkflow, compileWorkflow, createEngine, openSqliteStore, workflowVersion } from 'baton';
 * const spec = compileWorkflow(defineWorkflow({ name: 'hello', steps: [{ id: 'hi', run: 'echo hi' }] }), { baseDir: process.cwd() });
 * const store = openSqliteStore('.baton/baton.db'); await store.migrate();
 * const engine = createEngine({ store, dataDir: '.baton' });
 * const run = await engine.startRun(spec, workflowVersion(spec));
 * console.log(await run.result); // { id, state: 'succeeded' }
 */
export * from './workflow/index.js';
export * from './core/index.js';
export * from './store/index.js';
export * from './runtime/index.js';
export { createMasker, SECRET_MASK, MIN_MASKED_LENGTH, resolveSecrets } from './executors/index.js';
export type { Masker, MaskStream, SecretResolution, MissingSecret, SecretProblem } from './executors/index.js';
