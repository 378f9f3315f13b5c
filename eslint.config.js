// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers of src/, lowest first (DESIGN.md "Layers"). A layer imports only layers below
 * it, and another layer only through that layer's index.ts; src/index.ts and
 * src/server/index.ts, the package's entries, may import any layer's index.ts.
 * `triggers` sits below `observe`: a webhook channel signs with the triggers' own `signWebhook`,
 * so a notification verifies as an inbound webhook does; the server needs both.
 */
const LAYERS = ['shared', 'workflow', 'core', 'store', 'executors', 'runtime', 'triggers', 'observe', 'server', 'modes', 'cli'];

/**
 * Imports past a layer's faces, each allowed in one file only, with its reason. Keys: file;
 * values: the files it may import (relative to the imported layer's folder).
 * - executors/handler-thread.ts is the entry of every handler thread: loading core/ and
 *   workflow/ whole (zod schemas, YAML, expressions) cost each new thread ~0.9 s on a
 *   2-core machine, against ~0.2 s for the two files it uses.
 */
const KNOWN_DEEP_IMPORTS = {
  'src/executors/handler-thread.ts': { core: ['./failure.ts'], workflow: ['./handlers.ts'] },
};

/**
 * Second public faces of a layer, importable beside its index.ts: `server/schemas.ts` holds
 * the API's wire shapes with zod alone, so the CLI's API client reads answers through the
 * server's own schemas, and `server/tokens.ts` makes tokens (`baton token create`), both
 * without loading fastify.
 */
const SECOND_FACES = {
  server: ['./schemas.ts', './tokens.ts'],
};

/** `import-x/no-restricted-paths` zones for files of `layer`; `allowed` adds per-layer exceptions. */
function zones(layer, allowed = {}) {
  const rank = LAYERS.indexOf(layer);
  return LAYERS.filter((other) => other !== layer).map((other) =>
    LAYERS.indexOf(other) > rank
      ? { target: `src/${layer}`, from: `src/${other}`, message: `${layer} is below ${other}: dependencies point down only (DESIGN.md "Layers")` }
      : {
          target: `src/${layer}`,
          from: `src/${other}`,
          except: ['./index.ts', ...(SECOND_FACES[other] ?? []), ...(allowed[other] ?? [])],
          message: `import the ${other} layer through ${other}/index.js, its public face`,
        },
  );
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.baton/**', 'coverage/**', 'examples/**/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Without `.ts` among the extensions import-x parses no TypeScript dependency, and
      // no-cycle silently finds nothing.
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      // Relative `.js` specifiers name `.ts` sources; the TypeScript resolver maps them.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${import.meta.dirname}/tsconfig.json` })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  ...LAYERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: zones(layer) }] },
  })),
  ...Object.entries(KNOWN_DEEP_IMPORTS).map(([file, allowed]) => ({
    files: [file],
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: zones(file.split('/')[1] ?? '', allowed) }] },
  })),
  {
    // The dashboard runs in the browser and reaches the server only over HTTP: types of the
    // API come from the generated OpenAPI types, never from src/ (which would pull in zod and Node).
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/*', '../../../src/**'], message: 'the dashboard talks only to the HTTP API: take types from web/src/api/types.ts' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
);
