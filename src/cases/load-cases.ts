/** A lab's cases for one grading: its recipes joined with the reference's expected outputs. */
import { existsSync } from 'node:fs';
import type { Visibility } from '../contract/result.js';
import { UsageError } from '../errors.js';
import { datasetRefsIn, type DatasetSpec } from '../data/dataset-tensors.js';
import { loadRecipes, recipeFilePath, type FixtureCase } from './recipes.js';
import { loadExpected, type ExpectedCase } from './expected.js';

export interface LoadedCase {
  fixture: FixtureCase;
  /** Absent where the reference is not run ahead (the exercise's judge decides). */
  expected?: ExpectedCase;
  /** Datasets its arguments name. */
  datasets: DatasetSpec[];
  /** The id results show: the recipe's for public cases; an opaque "<exercise>/hidden-<n>" for hidden ones. */
  checkId: string;
}

/** Recipes and expected outputs, joined; a recipe without expected output is a harness error. Self-check cases run only in public-only runs. */
export function loadCases(labId: string, checks: 'all' | 'public'): LoadedCase[] {
  const visibilities: Visibility[] = checks === 'all' ? ['public', 'hidden'] : ['public'];
  return visibilities.flatMap((visibility) => {
    if (!existsSync(recipeFilePath(labId, visibility))) {
      throw new UsageError(`this labgrade has no ${visibility} checks for ${labId} (a student kit has only the public ones): use \`labgrade check\`, or grade with --public-only`);
    }
    const expected = loadExpected(labId, visibility);
    const seen = new Map<string, number>();
    return loadRecipes(labId, visibility)
      .filter((fixture) => !(checks === 'all' && fixture.selfCheckOnly))
      .map((fixture) => {
        const e = expected.cases[fixture.key];
        if (!e && fixture.runReference !== false) throw new Error(`no expected output for ${labId} ${visibility} case ${fixture.key}: run \`labgrade fixtures generate\``);
        const n = (seen.get(fixture.exercise) ?? 0) + 1;
        seen.set(fixture.exercise, n);
        const checkId = visibility === 'public' ? fixture.key : `${fixture.exercise}/hidden-${n}`;
        return { fixture, expected: e, datasets: datasetRefsIn(fixture.args), checkId };
      });
  });
}
