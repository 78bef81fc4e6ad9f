/** How many images of a labelled set a trained SIGNS classifier gets right, measured by labgrade. */
import type * as tfType from '@tensorflow/tfjs';
import { setTensors, type LabelledImages } from '../data/signs-arrays.js';

/** Larger batches gain nothing on wasm (2.8 s for the 120 images either way) and cost memory. */
const BATCH = 40;

export async function countCorrect(tf: typeof tfType, model: tfType.LayersModel, set: LabelledImages): Promise<number> {
  const { x, y } = setTensors(tf, set);
  const labels = tf.tidy(() => tf.argMax(y, 1));
  try {
    let correct = 0;
    for (let start = 0; start < set.m; start += BATCH) {
      const size = Math.min(BATCH, set.m - start);
      const hits = tf.tidy(() => {
        const predicted = tf.argMax(model.predict(tf.slice(x, start, size)) as tfType.Tensor, 1);
        return tf.sum(tf.cast(tf.equal(predicted, tf.slice(labels, start, size)), 'int32'));
      });
      correct += (await hits.data())[0];
      hits.dispose();
    }
    return correct;
  } finally {
    tf.dispose([x, y, labels]);
  }
}
