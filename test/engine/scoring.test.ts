import { describe, expect, test } from '@jest/globals';
import { applyLatePolicy, exerciseStatus, PUBLIC_WITHHELD, scoreChecks, splitPoints, sumPoints, type UnscoredCheck } from '../../src/engine/scoring.js';
import type { LabResult } from '../../src/contract/result.js';

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

  describe('the late policy', () => {
    const lab = (id: string, points: number, status: LabResult['status'] = 'graded'): LabResult => ({ id, title: id, file: `${id}.ts`, status, points, maxPoints: 50, exercises: [], durationMs: 0 });
    const deadlines = { a: '2026-12-01T23:59:00+08:00', b: '2026-12-08T23:59:00+08:00' };

    test('each day or part of one after the deadline takes percentPerDay of the lab, up to the cap', () => {
      const rules = { deadlines, policy: { percentPerDay: 10 } };
      // 1 minute late is a day late; 25 hours late are two.
      const oneMinute = applyLatePolicy([lab('a', 40)], '2026-12-02T00:00:00+08:00', rules);
      expect(oneMinute[0].points).toBe(36);
      expect(oneMinute[0].late).toEqual({ dueAt: deadlines.a, submittedAt: '2026-12-02T00:00:00+08:00', daysLate: 1, slackDaysUsed: 0, percent: 10, deduction: 4, pointsBeforeDeduction: 40 });
      expect(applyLatePolicy([lab('a', 40)], '2026-12-03T00:59:00+08:00', rules)[0].points).toBe(32);
      // Time zones are the instants': 16:00Z is 00:00+08:00.
      expect(applyLatePolicy([lab('a', 40)], '2026-12-01T15:59:00Z', rules)[0].late?.daysLate).toBe(0);
      expect(applyLatePolicy([lab('a', 40)], '2026-12-01T16:00:00Z', rules)[0].late?.daysLate).toBe(1);
      expect(applyLatePolicy([lab('a', 40)], '2026-12-30T00:00:00Z', { deadlines, policy: { percentPerDay: 10, capPercent: 50 } })[0].points).toBe(20);
      expect(applyLatePolicy([lab('a', 40)], '2026-12-30T00:00:00Z', rules)[0].points).toBe(0);
    });

    test('a grace period is not late; slack days are spent on the labs in order of their deadlines', () => {
      expect(applyLatePolicy([lab('a', 40)], '2026-12-02T00:09:00+08:00', { deadlines, policy: { percentPerDay: 10, graceMinutes: 10 } })[0].points).toBe(40);
      // Three days late on a, two on b, with three slack days: a spends all three, b pays for two.
      const labs = applyLatePolicy([lab('b', 50), lab('a', 50)], '2026-12-04T23:00:00+08:00', { deadlines: { a: deadlines.a, b: '2026-12-03T12:00:00+08:00' }, policy: { percentPerDay: 10, slackDays: 3 } });
      expect(labs.map((l) => [l.id, l.late?.daysLate, l.late?.slackDaysUsed, l.points])).toEqual([['b', 2, 0, 40], ['a', 3, 3, 50]]);
    });

    test('without a submission time, or without a policy, nothing is taken off and the record says so', () => {
      const unknown = applyLatePolicy([lab('a', 40), lab('c', 10)], undefined, { deadlines, policy: { percentPerDay: 10 } });
      expect(unknown.map((l) => l.points)).toEqual([40, 10]);
      expect(unknown[0].late).toEqual({ dueAt: deadlines.a, daysLate: 0, slackDaysUsed: 0, percent: 0, deduction: 0, pointsBeforeDeduction: 40 });
      expect(unknown[1].late).toBeUndefined();
      expect(applyLatePolicy([lab('a', 40)], '2026-12-09T00:00:00Z', { deadlines })[0]).toMatchObject({ points: 40, late: { daysLate: 8, percent: 0 } });
      // A lab not handed in has nothing to deduct from.
      expect(applyLatePolicy([lab('a', 0, 'missing')], '2026-12-09T00:00:00Z', { deadlines, policy: { percentPerDay: 10 } })[0].late).toBeUndefined();
    });
  });
});
