/**
 * Gradescope's autograder results.json, one test per check. Hidden checks become visible to the
 * student once grades are published; their messages never hold hidden inputs or expected values.
 */
import { compileSchema } from '../schema.js';
import type { GradeResult } from '../engine/model.js';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  tags: string[];
  visibility: 'visible' | 'after_published';
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
}

export const validateGradescope = compileSchema<GradescopeResults>('gradescope-results.schema.json');

export function toGradescope(result: GradeResult): GradescopeResults {
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
          visibility: check.public ? 'visible' : 'after_published',
        });
      }),
    ),
  );
  const labs = result.labs.map((lab) => `${lab.title}: ${lab.points} / ${lab.maxPoints}${lab.message ? ` (${lab.message.split('\n')[0]})` : ''}`);
  return {
    score: result.total.points,
    execution_time: Math.round(result.durationMs / 100) / 10,
    output: labs.join('\n'),
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests,
  };
}
