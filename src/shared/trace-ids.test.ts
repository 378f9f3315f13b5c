import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attemptSpanIdOf, runSpanIdOf, traceIdOf } from './trace-ids.js';

describe('trace ids', () => {
  it('a run trace id is the first 16 bytes of SHA-256 of the run id, in hex', () => {
    const id = '0mb3h2x1a1b2c3d4';
    expect(traceIdOf(id)).toBe(createHash('sha256').update(id).digest('hex').slice(0, 32));
    expect(traceIdOf(id)).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdOf('other')).not.toBe(traceIdOf(id));
  });

  it('one root span id per run, one span id per attempt, never the same', () => {
    expect(runSpanIdOf('r')).toMatch(/^[0-9a-f]{16}$/);
    expect(runSpanIdOf('r')).toBe(runSpanIdOf('r'));
    expect(runSpanIdOf('r')).not.toBe(runSpanIdOf('s'));
    expect(runSpanIdOf('r')).not.toBe(traceIdOf('r').slice(0, 16));
    expect(attemptSpanIdOf('r.a.1')).toMatch(/^[0-9a-f]{16}$/);
    expect(attemptSpanIdOf('r.a.1')).not.toBe(attemptSpanIdOf('r.a.2'));
    expect(attemptSpanIdOf('r.a.1')).not.toBe(runSpanIdOf('r.a.1'));
  });
});
