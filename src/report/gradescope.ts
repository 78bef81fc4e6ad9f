/**
 * Gradescope's autograder results.json, one test per check. Hidden checks become visible to the
 * student once grades are published (or when the course's config says); their messages never hold
 * hidden inputs or expected values. A late deduction is a line of the output, and the top-level
 * score (which Gradescope takes over the tests' sum) is the total after it.
 */
import { compileSchema } from '../schema.js';
import type { GradeResult, LabResult } from '../engine/model.js';
import type { CourseConfig, Visibility } from '../config/course-config.js';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  tags: string[];
  visibility: Visibility;
}

export interface LeaderboardEntry {
  name: string;
  value: number;
  order?: 'asc' | 'desc';
}

export interface GradescopeResults {
  score: number;
  /** Lab 3's trained model, ranked by the accuracy that decides its points (held-out images where given). */
  leaderboard?: LeaderboardEntry[];
  execution_time: number;
  output: string;
  visibility: 'visible';
  stdout_visibility: Visibility;
  tests: GradescopeTest[];
}

export const validateGradescope = compileSchema<GradescopeResults>('gradescope-results.schema.json');

/** A lab's late deduction in words, for the output. */
export function lateLine(lab: LabResult): string | undefined {
  const late = lab.late;
  if (!late) return undefined;
  if (late.submittedAt === undefined) return `due ${late.dueAt}; no submission time was given, so no late policy was applied`;
  if (late.daysLate === 0) return `due ${late.dueAt}, handed in ${late.submittedAt}: on time`;
  const slack = late.slackDaysUsed > 0 ? `, ${late.slackDaysUsed} of them slack day${late.slackDaysUsed === 1 ? '' : 's'}` : '';
  return `due ${late.dueAt}, handed in ${late.submittedAt}: ${late.daysLate} day${late.daysLate === 1 ? '' : 's'} late${slack}; ${late.percent}% of ${late.pointsBeforeDeduction} points taken off (−${late.deduction})`;
}

export function toGradescope(result: GradeResult, visibility: CourseConfig['visibility'] = {}): GradescopeResults {
  const tests: GradescopeTest[] = [];
  result.labs.forEach((lab, l) =>
    lab.exercises.forEach((ex, e) =>
      ex.checks.forEach((check, c) => {
        const diagnosis = check.diagnosis ? `\nLikely mistake: ${check.diagnosis.message}` : '';
        tests.push({
          name: `${lab.title}: ${check.id}${check.public ? '' : ' (hidden)'}`,
          number: `${l + 1}.${e + 1}.${c + 1}`,
          score: check.points,
          max_score: check.maxPoints,
          status: check.passed ? 'passed' : 'failed',
          output: `${check.description}\n${check.message}${diagnosis}`,
          tags: [lab.id, ex.id],
          visibility: check.public ? (visibility.public ?? 'visible') : (visibility.hidden ?? 'after_published'),
        });
      }),
    ),
  );
  const labs = result.labs.flatMap((lab) => {
    const late = lateLine(lab);
    return [`${lab.title}: ${lab.points} / ${lab.maxPoints}${lab.message ? ` (${lab.message.split('\n')[0]})` : ''}`, ...(late ? [`  Late: ${late}`] : [])];
  });
  const trained = result.labs.flatMap((lab) => lab.exercises.flatMap((x) => (x.scores ? [x.scores] : [])))[0];
  const decided = trained && (trained.decidedBy === 'holdout' && trained.holdout ? trained.holdout : trained.test);
  const leaderboard: LeaderboardEntry[] = decided && decided.total > 0
    ? [{ name: trained.decidedBy === 'holdout' ? 'Trained model accuracy (held-out images)' : 'Trained model accuracy (SIGNS test set)', value: Math.round((decided.correct / decided.total) * 10000) / 10000, order: 'desc' }]
    : [];
  return {
    score: result.total.points,
    ...(leaderboard.length > 0 ? { leaderboard } : {}),
    execution_time: Math.round(result.durationMs / 100) / 10,
    output: labs.join('\n'),
    visibility: 'visible',
    stdout_visibility: visibility.stdout ?? 'hidden',
    tests,
  };
}
