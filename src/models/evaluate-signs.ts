/** A trained SIGNS classifier's accuracy on the official 120 test images, measured by labgrade. */
import type * as tfType from '@tensorflow/tfjs';
import { setTensors } from '../data/dataset-tensors.js';
import type { ImageSet } from '../data/signs.js';

export interface Evaluation {
  accuracy: number;
  correct: number;
  total: number;
  durationMs: number;
}

/** Larger batches gain nothing on wasm (2.8 s for the 120 images either way) and cost memory. */
const BATCH = 40;

/** `test`: the 120 images of signs/test_signs.h5, already read (readSignsH5, or cachedSigns(...).test). */
export async function evaluateOnSignsTest(tf: typeof tfType, model: tfType.LayersModel, test: ImageSet): Promise<Evaluation> {
  const started = performance.now();
  const data = setTensors(tf, test);
  const X = data.x;
  const labels = tf.tidy(() => tf.argMax(data.y, 1));
  const total = X.shape[0];
  try {
    let correct = 0;
    for (let start = 0; start < total; start += BATCH) {
      const size = Math.min(BATCH, total - start);
      const hits = tf.tidy(() => {
        const predicted = tf.argMax(model.predict(tf.slice(X, start, size)) as tfType.Tensor, 1);
        return tf.sum(tf.cast(tf.equal(predicted, tf.slice(labels, start, size)), 'int32'));
      });
      correct += (await hits.data())[0];
      hits.dispose();
    }
    return { accuracy: correct / total, correct, total, durationMs: Math.round(performance.now() - started) };
  } finally {
    tf.dispose([data.x, data.y, labels]);
  }
}
