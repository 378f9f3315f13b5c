import { describe, expect, it } from 'vitest';
import { StepFailure, toFailure } from './failure.js';

describe('toFailure', () => {
  it('keeps the type, retryability and details of a StepFailure', () => {
    expect(toFailure(new StepFailure('quota', { type: 'quota-exceeded', retryable: false, details: { left: 0 } })))
      .toEqual({ type: 'quota-exceeded', message: 'quota', retryable: false, details: { left: 0 } });
  });

  it('recognises a StepFailure from another copy of the class by its registry-wide brand', () => {
    // What a handler that loaded its own copy of baton throws: not this class, same brand.
    class OtherCopy extends Error {
      readonly type = 'remote-refused';
      readonly retryable = false;
      constructor(message: string) {
        super(message);
        this.name = 'StepFailure';
        Object.defineProperty(this, Symbol.for('baton.StepFailure'), { value: true });
      }
    }
    expect(toFailure(new OtherCopy('no'))).toEqual({ type: 'remote-refused', message: 'no', retryable: false });
  });

  it('treats any other error as retryable, typed by its name; a thrown non-error becomes one', () => {
    expect(toFailure(new TypeError('bad'))).toEqual({ type: 'TypeError', message: 'bad', retryable: true });
    expect(toFailure('plain')).toEqual({ type: 'Error', message: 'plain', retryable: true });
  });
});
