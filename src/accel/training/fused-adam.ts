/**
 * Adam with one update for all variables instead of one per variable. tfjs's AdamOptimizer runs
 * 14 kernels per variable (ResNet50: 214 variables, 3,000 dispatches a step), and on an H100 a
 * WebGPU step's time goes to dispatches (0.15–0.35 ms each). This flattens the gradients into one
 * tensor, updates the moments and computes the step there (a dozen kernels), and adds each
 * variable's part of the step: the same arithmetic as tf.train.adam. On WebGPU the variables are
 * kept flat too (from the last step's update), and the moments and the variables updated in one
 * shader (AdamFlat), then split back (FlatConcat and FlatSplit: webgpu/training-kernels.ts):
 * ResNet50's update takes 3 kernels and 31 shaders (15 for each flat kernel over lavapipe, which
 * takes 16 storage buffers a shader) instead of 3,000 kernels. Elsewhere it is four kernels a
 * variable (reshape, slice, reshape, add).
 *
 * Where dispatches are costly it wins: on an H100 (WebGPU) a ResNet50 step took 1.70 s instead of
 * 3.64 s. Where they are cheap it loses: on wasm slicing the 23.6M-value step costs seconds, and
 * over lavapipe the update takes 4.5 s instead of 0.9 s. So training uses it on WebGPU only
 * (adamForBackend in training-code.ts).
 */
import type * as tfType from '@tensorflow/tfjs';
import { ADAM_FLAT, FLAT_CONCAT, FLAT_SPLIT, hasKernel } from '../kernel-names.js';
import type { AdamFlatAttrs } from '../webgpu/training-kernels.js';

type Tf = typeof tfType;

export interface FusedAdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Makes a fused Adam optimizer for `tf` (the class extends that tfjs instance's Optimizer). */
export function fusedAdam(tf: Tf, options: FusedAdamOptions): tfType.Optimizer {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? tf.backend().epsilon();

  class FusedAdam extends tf.Optimizer {
    static get className(): string {
      return 'FusedAdam';
    }

    /** Read each step, so ReduceLROnPlateau can change it (as with tfjs's own optimizers). */
    learningRate = options.learningRate;
    private firstMoment: tfType.Variable | null = null;
    private secondMoment: tfType.Variable | null = null;
    /**
     * β1^t and β2^t for the coming step, kept here rather than on the device: the same float32
     * products tfjs's Adam accumulates there (a product of two float32s is exact in a double, so
     * rounding it once gives the float32 product), without a kernel a step for each.
     */
    private accBeta1 = Math.fround(beta1);
    private accBeta2 = Math.fround(beta2);
    /** The variables' names and sizes in the flat layout, fixed at the first step. */
    private layout: { name: string; size: number }[] | null = null;
    /**
     * WebGPU: the variables' values in the flat layout, kept from the last step, and the tensors
     * the variables were given then. While each variable still holds that tensor (nothing else
     * assigned it: a variable's value changes only by assign) the flat values are current, and the
     * step needs no FlatConcat of the variables (ResNet50: 15 shaders over lavapipe).
     */
    private flatVariables: tfType.Tensor1D | null = null;
    private assigned: tfType.DataId[] = [];

    applyGradients(variableGradients: tfType.NamedTensorMap | { name: string; tensor: tfType.Tensor }[]): void {
      const named = Array.isArray(variableGradients) ? variableGradients.map((g) => [g.name, g.tensor] as const) : Object.entries(variableGradients);
      const present = named.filter(([, g]) => g != null);
      if (this.layout === null) this.layout = present.map(([name, g]) => ({ name, size: g.size }));
      const layout = this.layout;
      if (present.length !== layout.length || present.some(([name], i) => name !== layout[i].name)) {
        throw new Error('FusedAdam: the variables being trained changed between steps');
      }
      const variables = layout.map(({ name }) => tf.engine().registeredVariables[name]);
      // FlatConcat, FlatSplit and AdamFlat are registered together (WebGPU).
      const flatKernels = hasKernel(tf, ADAM_FLAT);
      // 1 − β^t as tfjs's Adam computes it from its float32 β^t, in float32.
      const oneMinusAccBeta1 = Math.fround(1 - this.accBeta1);
      const oneMinusAccBeta2 = Math.fround(1 - this.accBeta2);
      tf.tidy(() => {
        const gradient =
          flatKernels
            ? (tf.engine().runKernel(FLAT_CONCAT, Object.fromEntries(present.map(([, g], i) => [i, g]))) as tfType.Tensor1D)
            : tf.concat(present.map(([, g]) => tf.reshape(g, [-1])));
        const total = gradient.size;
        this.firstMoment ??= tf.variable(tf.zeros([total]), false);
        this.secondMoment ??= tf.variable(tf.zeros([total]), false);
        if (flatKernels) {
          const current = variables.every((variable, i) => variable.dataId === this.assigned[i]) && this.flatVariables ? this.flatVariables : (tf.engine().runKernel(FLAT_CONCAT, Object.fromEntries(variables.map((v, i) => [i, v]))) as tfType.Tensor1D);
          const attrs: AdamFlatAttrs = { beta1, beta2, epsilon, learningRate: this.learningRate };
          const biasCorrections = tf.tensor1d([oneMinusAccBeta1, oneMinusAccBeta2]);
          const [m, v, updated] = tf.engine().runKernel(ADAM_FLAT, { gradient, m: this.firstMoment, v: this.secondMoment, variables: current, biasCorrections }, attrs as unknown as tfType.NamedAttrMap) as tfType.Tensor[];
          this.firstMoment.assign(m);
          this.secondMoment.assign(v);
          const parts = tf.engine().runKernel(FLAT_SPLIT, { flat: updated }, { shapes: variables.map((variable) => variable.shape) } as unknown as tfType.NamedAttrMap) as tfType.Tensor[];
          variables.forEach((variable, i) => variable.assign(parts[i]));
          this.assigned = variables.map((variable) => variable.dataId);
          this.flatVariables?.dispose();
          this.flatVariables = tf.keep(updated as tfType.Tensor1D);
        } else {
          const m = tf.add(tf.mul(this.firstMoment, beta1), tf.mul(gradient, 1 - beta1));
          const v = tf.add(tf.mul(this.secondMoment, beta2), tf.mul(tf.square(gradient), 1 - beta2));
          this.firstMoment.assign(m);
          this.secondMoment.assign(v);
          const step = tf.mul(tf.div(tf.div(m, oneMinusAccBeta1), tf.add(tf.sqrt(tf.div(v, oneMinusAccBeta2)), epsilon)), -this.learningRate);
          // Slices, not tf.split: wasm's SplitV takes seconds on ResNet50's 23.6M values, slices take ms.
          let offset = 0;
          variables.forEach((variable, i) => {
            variable.assign(tf.add(variable, tf.reshape(tf.slice(step, offset, layout[i].size), variable.shape)));
            offset += layout[i].size;
          });
        }
      });
      this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(beta1));
      this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(beta2));
      this.incrementIterations();
    }

    dispose(): void {
      tf.dispose([...(this.firstMoment ? [this.firstMoment] : []), ...(this.secondMoment ? [this.secondMoment] : []), ...(this.flatVariables ? [this.flatVariables] : [])]);
    }

    getConfig(): tfType.serialization.ConfigDict {
      return { learningRate: this.learningRate, beta1, beta2, epsilon };
    }
  }
  return new FusedAdam();
}
