/**
 * A trainer's job (`labgrade train`, in its own sandboxed process, running no submitted code): the
 * model a submission built arrives as its topology only, is rebuilt here by tfjs from that data,
 * must be the course's architecture (its summary row by row, as the resNet50 check compares it), and
 * is then trained with labgrade's recipe and tfjs's own fit and save: nothing the submission
 * returned is ever called.
 */
import type * as tfType from '@tensorflow/tfjs';
import { compareSummaries } from '../compare/compare-summaries.js';
import { summarizeModel, withoutInitializers, type ModelSummary } from '../contract/summary.js';
import { trainModel, type EpochProgress, type TrainedModel, type TrainOptions } from './train-model.js';

export class NotTheCourseModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotTheCourseModelError';
  }
}

/** The layer classes a topology declares, read before anything is built. */
function declaredClasses(topology: unknown): string[] | null {
  const layers = (topology as { config?: { layers?: unknown } })?.config?.layers;
  if (!Array.isArray(layers) || layers.length > 1000) return null;
  const classes = layers.map((l: { class_name?: unknown }) => l?.class_name);
  return classes.every((c) => typeof c === 'string') ? (classes as string[]) : null;
}

export async function trainTopology(
  tf: typeof tfType,
  topology: string,
  expected: ModelSummary,
  x: tfType.Tensor,
  y: tfType.Tensor,
  options: TrainOptions,
  onProgress: (p: EpochProgress) => void,
): Promise<TrainedModel> {
  const json = JSON.parse(topology) as unknown;
  // The layer classes first: a model of another kind (a huge Dense, say) is refused before it is built.
  const classes = declaredClasses(json);
  const wanted = expected.rows.map((row) => String(row[0]));
  if (!classes || classes.join() !== wanted.join()) {
    const at = classes ? classes.findIndex((c, i) => c !== wanted[i]) : -1;
    throw new NotTheCourseModelError(
      classes
        ? `the model is not the course's ResNet50: it has ${classes.length} layers (expected ${wanted.length})${at >= 0 ? `, and layer ${at + 1} is a ${classes[at].slice(0, 40)} where the course has a ${wanted[at]}` : ''}`
        : "the model's topology is not a tfjs layers model",
    );
  }
  const model = (await tf.models.modelFromJSON(json as tfType.io.ModelJSON['modelTopology'] as never)) as tfType.LayersModel;
  try {
    // The initializers are not compared: the topology's are rebuilt as their serialized base class, and training starts afresh anyway.
    const { differences } = compareSummaries(withoutInitializers(expected), withoutInitializers(summarizeModel(model)));
    if (differences.length > 0) {
      // Loaded only here: the formatter is not needed for a model that fits.
      const { english } = await import('../i18n/messages.js');
      throw new NotTheCourseModelError(`the model is not the course's ResNet50: ${differences.slice(0, 3).map(english).join('; ')}`);
    }
    return await trainModel(tf, model, x, y, options, onProgress);
  } finally {
    model.dispose();
  }
}
