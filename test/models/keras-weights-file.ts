/** Writes Keras 2 weights files (the layout of model.save_weights) for the tests, with h5wasm. */
import h5wasm from 'h5wasm/node';

export interface LayerToWrite {
  name: string;
  weights: { name: string; shape: number[]; values?: Float32Array }[];
}

/** `storage` 'chunked-gzip' writes every dataset chunked and compressed, as Keras never does. */
export async function writeKerasWeights(file: string, layers: LayerToWrite[], storage: 'contiguous' | 'chunked-gzip' = 'contiguous'): Promise<void> {
  await h5wasm.ready;
  const h5 = new h5wasm.File(file, 'w');
  try {
    h5.create_attribute('layer_names', layers.map((l) => l.name));
    h5.create_attribute('backend', 'tensorflow');
    h5.create_attribute('keras_version', '2.2.4');
    for (const layer of layers) {
      const group = h5.create_group(layer.name);
      group.create_attribute('weight_names', layer.weights.map((w) => `${layer.name}/${w.name}:0`));
      const inner = group.create_group(layer.name);
      for (const w of layer.weights) {
        const size = w.shape.reduce((a, b) => a * b, 1);
        const layout = storage === 'chunked-gzip' ? { chunks: w.shape.map((d) => Math.max(1, d)), compression: 9 } : {};
        inner.create_dataset({ name: `${w.name}:0`, data: w.values ?? new Float32Array(size).fill(0.5), shape: w.shape, dtype: '<f', ...layout });
      }
    }
  } finally {
    h5.close();
  }
}
