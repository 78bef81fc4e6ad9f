/**
 * Identity on wasm as a second reference to the same memory, as the cpu backend does it, instead of
 * a copy. tfjs runs Identity for tf.clone and for every tensor its tape keeps for the backward
 * pass (engine.clone), so training copied each saved activation: 18 copies a Lab 2 step (1.6 ms
 * of 46), 1,240 a ResNet50 step. Sharing is safe because no tfjs kernel writes into its inputs
 * (a variable's assign swaps its memory rather than writing into it), and wasm counts references
 * as Reshape already shares memory this way.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;

interface RefCountingBackend {
  incRef(dataId: tfType.DataId): void;
}

export function registerSharedIdentityKernel(tf: Tf, backendName: string): void {
  tf.unregisterKernel('Identity', backendName);
  tf.registerKernel({
    kernelName: 'Identity',
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tfType.TensorInfo;
      (backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
