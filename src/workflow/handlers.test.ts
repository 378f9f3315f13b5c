import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HandlerLoadError, loadHandler } from './index.js';
import type { StepContext } from './index.js';

const dir = fileURLToPath(new URL('../../test/fixtures/workflow/', import.meta.url));

async function failureOf(ref: string): Promise<HandlerLoadError> {
  const error = await loadHandler(ref, dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(HandlerLoadError);
  return error as HandlerLoadError;
}

describe('loadHandler', () => {
  it('loads a named export from a .ts module through tsx', async () => {
    const handler = await loadHandler('./handlers.ts#transform', dir);
    expect(handler({ inputs: { limit: 4 } } as unknown as StepContext<never>)).toEqual({ count: 8 });
  });

  it('loads the default export of a .mjs module when the ref has no #', async () => {
    const handler = await loadHandler('./handlers.mjs', dir);
    expect(handler({ inputs: { a: 1 } } as unknown as StepContext<never>)).toEqual({ reported: { a: 1 } });
  });

  it('caches modules per absolute path', async () => {
    const a = await loadHandler('./handlers.ts#transform', dir);
    const b = await loadHandler(`${dir}handlers.ts#transform`, '/elsewhere');
    expect(a).toBe(b);
  });

  it('reports a missing module, a missing export and a non-function export', async () => {
    expect(await failureOf('./nope.ts#x')).toMatchObject({ reason: 'module-not-found', modulePath: `${dir}nope.ts`, exportName: 'x' });
    expect(await failureOf('./handlers.ts#nope')).toMatchObject({ reason: 'export-not-found', modulePath: `${dir}handlers.ts`, exportName: 'nope' });
    expect(await failureOf('./handlers.ts#notAFunction')).toMatchObject({ reason: 'not-a-function', exportName: 'notAFunction' });
    expect(await failureOf('./handlers.ts')).toMatchObject({ reason: 'export-not-found', exportName: 'default' });
  });
});
