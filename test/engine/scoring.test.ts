import { describe, expect, test } from '@jest/globals';
import { exerciseStatus, PUBLIC_WITHHELD, scoreChecks, splitPoints, sumPoints, type UnscoredCheck } from '../../src/engine/scoring.js';

const check = (status: UnscoredCheck['status'], isPublic = true): UnscoredCheck => ({ id: 'x', status, passed: status === 'passed', public: isPublic, description: '', message: '', durationMs: 0 });
const hidden = (status: UnscoredCheck['status']) => check(status, false);

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

  test('public checks pay only when a hidden check of the exercise passes', () => {
    // Answers looked up from the public cases: every public check passes, no hidden one does.
    const lookedUp = scoreChecks(6, [check('passed'), check('passed'), hidden('failed'), hidden('failed')]);
    expect(lookedUp.map((c) => c.points)).toEqual([0, 0, 0, 0]);
    expect(lookedUp.filter((c) => c.public).map((c) => c.withheld)).toEqual([PUBLIC_WITHHELD, PUBLIC_WITHHELD]);
    // Honest partial work: one hidden check passes, so the public ones keep their points.
    const partial = scoreChecks(6, [check('passed'), check('failed'), hidden('passed'), hidden('failed')]);
    expect(partial.map((c) => c.points)).toEqual([1.5, 0, 1.5, 0]);
    expect(partial.some((c) => c.withheld)).toBe(false);
    // An exercise without hidden checks (a student's own public run) pays as before.
    expect(scoreChecks(6, [check('passed'), check('passed')]).map((c) => c.points)).toEqual([3, 3]);
  });
});
