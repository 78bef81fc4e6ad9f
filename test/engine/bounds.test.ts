import { expect, test } from '@jest/globals';
import { boundLab, MAX_COSTS, TEXT_CAPS } from '../../src/engine/bounds.js';
import type { LabResult } from '../../src/contract/result.js';

const lab = (costs: number[], message: string): LabResult => ({
  id: 'conv-application',
  title: 'Convolution application',
  file: 'conv-application.ts',
  status: 'graded',
  points: 0,
  maxPoints: 15,
  durationMs: 1,
  exercises: [{ id: 'model', title: 'model', graded: true, status: 'failed', message, points: 0, maxPoints: 15, checks: [], metrics: { costs, epochs: costs.length, durationMs: 1 } }],
});

test('a training that returns millions of costs keeps the first MAX_COSTS; a long message is cut', () => {
  const bounded = boundLab(lab(Array.from({ length: 2_000_000 }, (_, i) => i), 'x'.repeat(1 << 20)));
  expect(bounded.exercises[0].metrics!.costs).toHaveLength(MAX_COSTS);
  expect(bounded.exercises[0].metrics!.costs.slice(0, 3)).toEqual([0, 1, 2]);
  expect(bounded.exercises[0].message).toHaveLength(TEXT_CAPS.message);
});

test('the course recipe\'s 100 costs are kept as they are', () => {
  const costs = Array.from({ length: 100 }, (_, i) => 1 / (i + 1));
  expect(boundLab(lab(costs, 'ok')).exercises[0].metrics!.costs).toEqual(costs);
});
