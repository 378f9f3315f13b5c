import { describe, expect, it } from 'vitest';
import { batchSteps, declaredParams } from './definition.js';

describe('what the pages read of a stored definition', () => {
  it('reads declared params in order, skipping unknown shapes', () => {
    const def = { params: { files: { type: 'array', default: [], required: false }, n: { type: 'integer', required: true, description: 'how many' }, bad: { type: 'date' }, worse: 3 } };
    expect(declaredParams(def)).toEqual([
      { name: 'files', type: 'array', default: [], required: false },
      { name: 'n', type: 'integer', required: true, description: 'how many' },
    ]);
    expect(declaredParams(undefined)).toEqual([]);
    expect(declaredParams({ params: [] })).toEqual([]);
  });

  it('finds the batch steps and the param their items read', () => {
    const def = { steps: [{ id: 'list' }, { id: 'check', batch: { items: '${{ params.files }}' } }, { id: 'glob', batch: { items: 'data/*.csv' } }, { batch: {} }] };
    expect(batchSteps(def)).toEqual([{ id: 'check', items: '${{ params.files }}', itemsParam: 'files' }, { id: 'glob', items: 'data/*.csv' }]);
    expect(batchSteps({ steps: 'no' })).toEqual([]);
  });
});
