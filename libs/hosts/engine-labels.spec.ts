import { describe, expect, it } from '@jest/globals';
import { engineExtraLabels } from './engine-labels.js';

describe('engineExtraLabels', () => {
  it('labels with the test run when BERTH_TEST_RUN is set, and adds nothing otherwise', () => {
    expect(engineExtraLabels({ BERTH_TEST_RUN: 'tabc123' })).toEqual({ 'berth.test-run': 'tabc123' });
    expect(engineExtraLabels({})).toEqual({});
    expect(engineExtraLabels({ BERTH_TEST_RUN: '' })).toEqual({});
  });
});
