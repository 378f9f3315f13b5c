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

  it('marks mapped steps; without a definition, item step runs are not nodes', () => {
    expect(definitionSteps({ steps: [{ id: 'list', needs: [] }, { id: 'square', needs: ['list'], map: { items: '${{ steps.list.output }}', concurrency: 2 } }] }, [])).toEqual([
      { id: 'list', needs: [] }, { id: 'square', needs: ['list'], mapped: true },
    ]);
    expect(definitionSteps(undefined, ['list', 'square', 'square[0]', 'square[1]', 'total']).map((s) => s.id)).toEqual(['list', 'square', 'total']);
  });
});
