import { describe, expect, test } from '@jest/globals';
import { exerciseStatus, scoreChecks, splitPoints, sumPoints, type UnscoredCheck } from '../../src/engine/scoring.js';

const check = (status: UnscoredCheck['status']): UnscoredCheck => ({ id: 'x', status, passed: status === 'passed', public: true, description: '', message: '', durationMs: 0 });

describe('scoring', () => {
  test('splitPoints gives hundredths that add up exactly', () => {
    expect(splitPoints(12, 9)).toEqual([1.34, 1.34, 1.34, 1.33, 1.33, 1.33, 1.33, 1.33, 1.33]);
    expect(splitPoints(12, 9).reduce((a, b) => a + b, 0)).toBeCloseTo(12, 10);
    expect(splitPoints(5, 0)).toEqual([]);
  });

  test('a check earns its share only when it passes', () => {
    const scored = scoreChecks(6, [check('passed'), check('failed'), check('error')]);
    expect(scored.map((c) => [c.points, c.maxPoints])).toEqual([[2, 2], [0, 2], [0, 2]]);
    expect(sumPoints(scored)).toEqual({ points: 2, maxPoints: 6 });
  });

  test('the exercise status is the first error or timeout, else failed or passed', () => {
    expect(exerciseStatus(scoreChecks(1, [check('passed'), check('passed')]))).toBe('passed');
    expect(exerciseStatus(scoreChecks(1, [check('passed'), check('failed')]))).toBe('failed');
    expect(exerciseStatus(scoreChecks(1, [check('failed'), check('error')]))).toBe('error');
    expect(exerciseStatus(scoreChecks(1, [check('error'), check('timeout')]))).toBe('error');
    expect(exerciseStatus(scoreChecks(1, [check('passed'), check('timeout'), check('error')]))).toBe('timeout');
    expect(exerciseStatus(scoreChecks(1, [check('skipped'), check('skipped')]))).toBe('skipped');
    expect(exerciseStatus([])).toBe('skipped');
  });
});
