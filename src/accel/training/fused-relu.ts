/**
 * A ReLU activation layer done by the layer before it, while labgrade trains on WebGPU: where a
 * batch normalization or an addition feeds one ReLU activation layer and nothing else (ResNet50:
 * 33 and 16 of its 49 ReLUs), that layer's kernel applies the ReLU and its gradient takes dy
 * through it, and the activation layer hands its input on. Same values: the ReLU as tfjs's (NaN
 * and −0 pass), its gradient dy·step at the ReLU's output, which is where its input is > 0.
 *
 * fuseRelus(model) marks the layers; useFusedRelus(tf) makes the additions and the activation
 * layers act on the marks (fused-batch-norm.ts's layer reads them itself). Marked layers without
 * labgrade's kernels (another backend), in inference and in validation run their own code.
 */
import type * as tfType from '@tensorflow/tfjs';
import { ADD_RELU, hasKernel, RELU_GRAD } from '../kernel-names.js';
import { referenceTo } from './tape-saves.js';

type Tf = typeof tfType;
type LayerCall<L> = (this: L, inputs: tfType.Tensor | tfType.Tensor[], kwargs: { training?: boolean }) => tfType.Tensor;

/** The parts of tfjs-layers' Layer and Node that reveal what a layer's output feeds. */
interface GraphLayer {
  getClassName(): string;
  inboundNodes: unknown[];
  outboundNodes: { outboundLayer: GraphLayer }[];
  output: unknown;
  activation?: { getClassName(): string };
}

/** Layers whose output feeds a ReLU activation layer and nothing else (fuseRelus). */
const RELU_AFTER = new WeakSet<object>();
/** Outputs of those layers that went through the ReLU already: their activation layer passes them on. */
const RELU_APPLIED = new WeakSet<tfType.Tensor>();

const FUSED_CLASSES = new Set(['BatchNormalization', 'Add']);

const isReluActivation = (layer: GraphLayer) => layer.getClassName() === 'Activation' && layer.activation?.getClassName() === 'relu';

/**
 * Marks the batch normalizations and additions of `model` that feed one ReLU activation layer and
 * nothing else (not a model output either), until the returned function runs. The mark is the
 * layer's: meanwhile, another model sharing the layer and training would get its ReLU'd values.
 */
export function fuseRelus(model: tfType.LayersModel): () => void {
  const outputs = new Set<unknown>(model.outputs);
  const marked = (model.layers as unknown as GraphLayer[]).filter((layer) => {
    if (!FUSED_CLASSES.has(layer.getClassName()) || layer.inboundNodes.length !== 1 || layer.outboundNodes.length !== 1) return false;
    const next = layer.outboundNodes[0].outboundLayer;
    return isReluActivation(next) && next.inboundNodes.length === 1 && !outputs.has(layer.output);
  });
  for (const layer of marked) RELU_AFTER.add(layer);
  return () => {
    for (const layer of marked) RELU_AFTER.delete(layer);
  };
}

/** Whether `layer` is marked to apply the ReLU after it. */
export function reluFollows(layer: object): boolean {
  return RELU_AFTER.has(layer);
}

/** Records that `output` of a marked layer went through the ReLU: the activation layer hands it on. */
export function markReluApplied(output: tfType.Tensor): void {
  RELU_APPLIED.add(output);
}

/** Marks the patched calls, so a second useFusedRelus (a training inside a training) leaves them be. */
const FUSED = Symbol('labgrade fused ReLU');

/**
 * Until the returned function runs: a marked addition of two float32 tensors of one shape, in
 * training where the backend has labgrade's AddRelu kernel, runs it (one shader for tfjs-layers'
 * clone, add and the ReLU's); an activation layer given a tensor that went through its ReLU
 * already hands it back (tfjs-layers' apply then clones it: an Identity kernel, no shader).
 */
export function useFusedRelus(tf: Tf): () => void {
  const classes = tf.serialization.SerializationMap.getMap().classNameMap;
  const [add, activation] = [classes.Add, classes.Activation] as unknown as ([{ prototype: object }] | undefined)[];
  if (!add || !activation) throw new Error("tfjs-layers' Add or Activation is not registered: is @tensorflow/tfjs-layers loaded?");
  const addPrototype = add[0].prototype as { call: LayerCall<GraphLayer> & { [FUSED]?: true } };
  const activationPrototype = activation[0].prototype as { call: LayerCall<GraphLayer> };
  if (addPrototype.call[FUSED]) return () => undefined;
  const ownAddCall = Object.hasOwn(addPrototype, 'call');
  const originalAdd = addPrototype.call;
  const originalActivation = activationPrototype.call;
  const fusedAdd: LayerCall<GraphLayer> = function fusedAdd(inputs, kwargs) {
    if (!kwargs?.training || !RELU_AFTER.has(this) || !hasKernel(tf, ADD_RELU) || !Array.isArray(inputs) || inputs.length !== 2) return originalAdd.call(this, inputs, kwargs);
    const [a, b] = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.join() !== b.shape.join()) return originalAdd.call(this, inputs, kwargs);
    // tfjs picks what to save for the gradient when the kernel runs: it must be registered first.
    registerAddReluGradient(tf);
    const output = tf.engine().runKernel(ADD_RELU, { a, b }) as tfType.Tensor;
    RELU_APPLIED.add(output);
    return output;
  };
  const passingCall: LayerCall<GraphLayer> = function passingCall(inputs, kwargs) {
    const input = Array.isArray(inputs) && inputs.length === 1 ? inputs[0] : inputs;
    if (!Array.isArray(input) && RELU_APPLIED.has(input) && isReluActivation(this)) return input;
    return originalActivation.call(this, inputs, kwargs);
  };
  addPrototype.call = Object.assign(fusedAdd, { [FUSED]: true as const });
  activationPrototype.call = passingCall;
  return () => {
    if (ownAddCall) addPrototype.call = originalAdd;
    else delete (addPrototype as Partial<typeof addPrototype>).call;
    activationPrototype.call = originalActivation;
  };
}

/** AddRelu's gradient: dy through the ReLU (ReluGrad at the saved output), to both inputs. Registered once. */
function registerAddReluGradient(tf: Tf): void {
  if (tf.getGradient(ADD_RELU)) return;
  tf.registerGradient({
    kernelName: ADD_RELU,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [output] = saved;
      const d = tf.engine().runKernel(RELU_GRAD, { dy: dy as tfType.Tensor, x: output }) as tfType.Tensor;
      return { a: () => d, b: () => referenceTo(tf, d) };
    },
  });
}
