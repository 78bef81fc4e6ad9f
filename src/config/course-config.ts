/**
 * A course's grading settings, in one file (labgrade.config.json, checked by
 * schemas/config.schema.json): which labs were assigned, points per exercise, when students see
 * hidden tests on Gradescope, deadlines with a late policy, and the similarity threshold. Every
 * command that grades or summarizes reads it (`--config`, else ./labgrade.config.json where there is one).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { labs as knownLabs } from '../../graders/index.js';
import type { LabDefinition } from '../engine/lab-definition.js';
import { compileSchema, SchemaError } from '../schema.js';
import { UsageError } from '../errors.js';
import { parseSubmittedAt } from '../submission/roster.js';

export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

export interface LatePolicy {
  percentPerDay: number;
  capPercent?: number;
  graceMinutes?: number;
  slackDays?: number;
}

export interface CourseConfig {
  labs?: string[];
  points?: Record<string, Record<string, number>>;
  visibility?: { public?: Visibility; hidden?: Visibility; stdout?: Visibility };
  deadlines?: Record<string, string>;
  latePolicy?: LatePolicy;
  similarityThreshold?: number;
}

export const CONFIG_FILE = 'labgrade.config.json';

const validateConfig = compileSchema<CourseConfig>('config.schema.json');

/** Names in the config that the schema cannot know: exercises of each lab, and a policy without deadlines. */
function checkNames(config: CourseConfig, source: string): void {
  for (const [labId, points] of Object.entries(config.points ?? {})) {
    const lab = knownLabs.find((l) => l.id === labId)!;
    for (const exercise of Object.keys(points)) {
      if (!lab.exercises.some((x) => x.id === exercise)) {
        throw new UsageError(`${source}: points.${labId} names "${exercise}", which is not an exercise of that lab (${lab.exercises.map((x) => x.id).join(', ')})`);
      }
    }
  }
  for (const [labId, due] of Object.entries(config.deadlines ?? {})) parseSubmittedAt(due, `${source}: deadlines.${labId}`);
  if (config.latePolicy && Object.keys(config.deadlines ?? {}).length === 0) {
    throw new UsageError(`${source}: latePolicy needs deadlines to apply to`);
  }
}

export function readCourseConfig(file: string): CourseConfig {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`the config ${file} could not be read: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  try {
    const config = validateConfig(data, file);
    checkNames(config, file);
    return config;
  } catch (err) {
    if (err instanceof SchemaError) throw new UsageError(err.message);
    throw err;
  }
}

/** The config named, else ./labgrade.config.json where there is one, else none (an empty config). */
export function loadCourseConfig(named: string | undefined): CourseConfig {
  if (named !== undefined) return readCourseConfig(named);
  return existsSync(CONFIG_FILE) ? readCourseConfig(path.resolve(CONFIG_FILE)) : {};
}

/** The labs with the config's points per exercise in place of the course's. */
export function withConfiguredPoints(labs: readonly LabDefinition[], config: CourseConfig): LabDefinition[] {
  return labs.map((lab) => {
    const points = config.points?.[lab.id];
    if (!points) return lab;
    const exercises = lab.exercises.map((x) => (x.id in points ? { ...x, points: points[x.id] } : x));
    const sum = (list: readonly { points: number }[]) => list.reduce((total, x) => total + x.points, 0);
    return { ...lab, points: lab.points - sum(lab.exercises) + sum(exercises), exercises };
  });
}

/** What in the config decides a grade (a rerun with another grades again). */
export function gradingPart(config: CourseConfig): unknown {
  return [config.points ?? null, config.deadlines ?? null, config.latePolicy ?? null];
}
