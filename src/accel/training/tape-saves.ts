/**
 * While tfjs records a gradient tape, it keeps each tensor a gradient will need through
 * engine.clone, which runs an Identity kernel and records a tape node for the copy: 1,240 of the
 * 4,262 kernels of labgrade's ResNet50 training step, each paying tfjs's per-kernel dispatch (on
 * WebGPU, the step's bottleneck). Every backend's Identity is a second reference to the same data
 * (wasm's too, once labgrade's kernel is registered), and no kernel writes into data it has
 * returned (a variable's assign swaps its data), so the reference is made here without a kernel.
 * The copy's tape node is left out: only a gradient of a gradient would read it, and training
 * takes none.
 */
import type * as tfType from '@tensorflow/tfjs';

type Tf = typeof tfType;

interface CloningEngine {
  clone(x: tfType.Tensor): tfType.Tensor;
  makeTensorFromTensorInfo(info: tfType.TensorInfo): tfType.Tensor;
  backend: { incRef(dataId: tfType.DataId): void };
  [BY_REFERENCE]?: true;
}

/** Marks the patched engine, so a second call (a training inside a training) leaves it be. */
const BY_REFERENCE = Symbol('labgrade tape saves by reference');

/** A second tensor over `x`'s data, made without a kernel (as every backend's Identity would make it). */
export function referenceTo(tf: Tf, x: tfType.Tensor): tfType.Tensor {
  const engine = tf.engine() as unknown as CloningEngine;
  engine.backend.incRef(x.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
}

/** Makes tfjs's tape keep tensors by reference until the returned restore function runs. */
export function keepTapeSavesByReference(tf: Tf): () => void {
  const engine = tf.engine() as unknown as CloningEngine;
  if (engine[BY_REFERENCE]) return () => undefined;
  const own = Object.prototype.hasOwnProperty.call(engine, 'clone');
  const original = engine.clone;
  engine.clone = function cloneByReference(this: CloningEngine, x: tfType.Tensor): tfType.Tensor {
    return referenceTo(tf, x);
  };
  engine[BY_REFERENCE] = true;
  return () => {
    if (own) engine.clone = original;
    else delete (engine as Partial<CloningEngine>).clone;
    delete engine[BY_REFERENCE];
  };
}
