/**
 * The recipe's shuffles, whatever seed a submission passes: while a case that trains runs,
 * randomMiniBatches' k-th call shuffles with seed `first + k` (the recipe's `seed += 1` before each
 * epoch's call gives the same seeds). A correct training is then the same computation as the
 * reference's, whether its seed is advanced before the call, after it or not at all, so the grader
 * can check that the returned parameters are where that computation leads. Not part of what a
 * submission may import: labgrade's process sets it around a call.
 */
let next: number | null = null;

/** From now on the k-th shuffle uses seed first + k; null gives the seeds passed back. */
export function useRecipeShuffles(first: number | null): void {
  next = first;
}

/** The seed this shuffle uses: the recipe's next one while a training case runs, else the one given. */
export function shuffleSeed(given: number): number {
  if (next === null) return given;
  return next++;
}
