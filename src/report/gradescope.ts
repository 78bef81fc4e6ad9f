/**
 * Gradescope's autograder results.json, one test per check. Hidden checks become visible to the
 * student once grades are published (or when the course's config says); their messages never hold
 * hidden inputs or expected values. A late deduction is a line of the output, and the top-level
 * score (which Gradescope takes over the tests' sum) is the total after it.
 */
import { compileSchema } from '../schema.js';
import type { GradeResult } from '../contract/result.js';
import type { CourseConfig, Visibility } from '../config/course-config.js';
import type { Lang } from '../i18n/messages.js';
import { localized } from './localized.js';
import { labels, lateText } from './report-view.js';

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

export function toGradescope(result: GradeResult, visibility: CourseConfig['visibility'] = {}, lang: Lang = 'en'): GradescopeResults {
  const t = labels(lang);
  const words = localized(lang);
  const tests: GradescopeTest[] = [];
  result.labs.forEach((lab, l) =>
    lab.exercises.forEach((ex, e) =>
      ex.checks.forEach((check, c) => {
        const likely = words.diagnosis(check);
        const diagnosis = likely ? `\n${t.likelyMistake}: ${likely}` : '';
        const description = check.public ? words.checkDescription(lab.id, check) : t.hiddenCheck;
        tests.push({
          name: `${words.labTitle(lab)}: ${check.id}${check.public ? '' : ` ${t.hiddenTest}`}`,
          number: `${l + 1}.${e + 1}.${c + 1}`,
          score: check.points,
          max_score: check.maxPoints,
          status: check.passed ? 'passed' : 'failed',
          output: `${description}\n${words.checkMessage(check)}${diagnosis}`,
          tags: [lab.id, ex.id],
          visibility: check.public ? (visibility.public ?? 'visible') : (visibility.hidden ?? 'after_published'),
        });
      }),
    ),
  );
  const labs = result.labs.flatMap((lab) => {
    const message = lab.message === undefined ? undefined : words.say(lab.message, lab.messageRef).split('\n')[0];
    return [`${words.labTitle(lab)}: ${lab.points} / ${lab.maxPoints}${message ? ` (${message})` : ''}`, ...(lab.late ? [`  ${t.late}: ${lateText(lab.late, lang)}`] : [])];
  });
  const trained = result.labs.flatMap((lab) => lab.exercises.flatMap((x) => (x.scores ? [x.scores] : [])))[0];
  const decided = trained && (trained.decidedBy === 'holdout' && trained.holdout ? trained.holdout : trained.test);
  const leaderboard: LeaderboardEntry[] = decided && decided.total > 0
    ? [{ name: trained.decidedBy === 'holdout' ? t.leaderboardHoldout : t.leaderboardTest, value: Math.round((decided.correct / decided.total) * 10000) / 10000, order: 'desc' }]
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
