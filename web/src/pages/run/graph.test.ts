import { describe, expect, it } from 'vitest';
import { definitionSteps } from './graph.js';

describe('definitionSteps', () => {
  it('places hook steps without needs after the main graph, finally after onFailure', () => {
    const steps = definitionSteps({ steps: [
      { id: 'a', needs: [] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: [] },
      { id: 'page', needs: [], hook: 'onFailure' },
      { id: 'cleanup', needs: [], hook: 'finally' }, { id: 'more', needs: ['cleanup'], hook: 'finally' },
    ] }, []);
    expect(steps).toEqual([
      { id: 'a', needs: [] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: [] },
      { id: 'page', needs: ['b', 'c'], hook: 'onFailure' },
      { id: 'cleanup', needs: ['page'], hook: 'finally' }, { id: 'more', needs: ['cleanup'], hook: 'finally' },
    ]);
  });
});
