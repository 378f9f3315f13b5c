import { describe, expect, it } from 'vitest';
import { BatonError, coerceError, errorMessage, isBatonError, systemErrorCode } from './errors.js';
import type * as ErrorsModule from './errors.js';

class RunGoneError extends BatonError {
  constructor() {
    super('run-gone', 'gone');
  }
}

describe('BatonError', () => {
  it('carries a stable code and its class name', () => {
    const e = new RunGoneError();
    expect(e.code).toBe('run-gone');
    expect(e.name).toBe('RunGoneError');
    expect(e).toBeInstanceOf(BatonError);
    expect(e).toBeInstanceOf(RunGoneError);
    expect(e).toBeInstanceOf(Error);
    expect(new BatonError('x', 'y')).not.toBeInstanceOf(RunGoneError);
    expect(new Error('plain')).not.toBeInstanceOf(BatonError);
  });

  it('is recognised across two copies of the package (another module instance)', async () => {
    // A second evaluation of the module: what a handler loading its own copy of baton gets.
    const other = (await import(/* @vite-ignore */ `./errors.ts?copy=${Date.now()}`)) as typeof ErrorsModule;
    expect(other.BatonError).not.toBe(BatonError);
    class RunGoneErrorCopy extends other.BatonError {
      constructor() {
        super('run-gone', 'gone');
      }
    }
    Object.defineProperty(RunGoneErrorCopy, 'name', { value: 'RunGoneError' });
    const foreign = new RunGoneErrorCopy();
    expect(foreign).toBeInstanceOf(BatonError);
    expect(isBatonError(foreign)).toBe(true);
    expect(foreign).toBeInstanceOf(RunGoneError);
    expect(new other.BatonError('a', 'b')).not.toBeInstanceOf(RunGoneError);
  });
});

describe('coerceError', () => {
  it('keeps an Error and wraps anything else with the original as cause', () => {
    const e = new Error('x');
    expect(coerceError(e)).toBe(e);
    expect(coerceError('text').message).toBe('text');
    const wrapped = coerceError({ a: 1 });
    expect(wrapped.message).toBe('non-error thrown: {"a":1}');
    expect(wrapped.cause).toEqual({ a: 1 });
    expect(errorMessage(42)).toBe('non-error thrown: 42');
    expect(systemErrorCode(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe('ENOSPC');
    expect(systemErrorCode('x')).toBeUndefined();
  });
});
