/**
 * ResNet50's 53 filter gradients on WebGPU, tfjs's shader against labgrade's tiled one
 * (src/accel/webgpu/filter-gradient.ts), each shape's GPU time (timestamp queries, where the
 * adapter has them; else wall time) as the median of BENCH_RUNS (default 3) runs after a warm-up. The shapes are
 * recorded from one training step at batch BENCH_BATCH (default 4). Over lavapipe
 * (`source .ci/lavapipe.sh`) it says how a CPU runs the shaders, not how a GPU does.
 *
 * Usage: node dist/bench/webgpu-filter-gradient.js
 */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/backends/choice.js';
import { TILED_FILTER_GRADIENT_FLAG } from '../src/accel/webgpu/filter-gradient.js';
import { useLabgradeWebgpuKernels } from '../src/accel/training/webgpu-kernel-swaps.js';
import { median } from '../src/median.js';
import { resNet50 } from '../solutions/residual-networks.js';

const batch = Number(process.env.BENCH_BATCH ?? 4);
const runs = Number(process.env.BENCH_RUNS ?? 3);

const active = await activateBackend(tf, 'webgpu', 'train');
console.log(`backend ${active.name}: ${active.device}`);

interface Call {
  xShape: number[];
  dyShape: number[];
  attrs: tf.NamedAttrMap;
}

// The calls of one training step, through a kernel that records them and runs tfjs's.
const stock = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!;
const calls: Call[] = [];
tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
tf.registerKernel({ ...stock, kernelFunc: (args) => (calls.push({ xShape: args.inputs.x!.shape, dyShape: args.inputs.dy!.shape, attrs: { ...args.attrs } }), stock.kernelFunc(args)) });
try {
  const model = resNet50();
  const [x, y] = [tf.randomUniform([batch, 64, 64, 3]), tf.oneHot(tf.zeros([batch], 'int32') as tf.Tensor1D, 6)];
  model.compile({ optimizer: tf.train.sgd(0), loss: 'categoricalCrossentropy' });
  await model.trainOnBatch(x, y);
  tf.dispose([x, y]);
  model.dispose();
} finally {
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel(stock);
}

// GPU time from timestamp queries where the adapter has them (lavapipe does), else wall time.
const timestamps = (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true;
console.log(`each shape: the median ${timestamps ? 'GPU' : 'wall'} time of ${runs} runs after a warm-up`);

/** Median milliseconds of the kernel on `call`'s shapes. */
async function timeOf(call: Call): Promise<number> {
  const [x, dy] = [tf.randomNormal(call.xShape), tf.randomNormal(call.dyShape)];
  const once = async () => {
    let dw: tf.Tensor | null = null;
    const start = performance.now();
    const timing = tf.time(() => void (dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, call.attrs) as tf.Tensor));
    await dw!.data();
    const wallMs = performance.now() - start;
    dw!.dispose();
    const { kernelMs } = await timing;
    return timestamps && typeof kernelMs === 'number' ? kernelMs : wallMs;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  tf.dispose([x, dy]);
  return median(times);
}

const restore = useLabgradeWebgpuKernels(tf);
const totals = { tfjs: 0, labgrade: 0 };
try {
  for (const call of calls) {
    tf.env().set(TILED_FILTER_GRADIENT_FLAG, false);
    const tfjsMs = await timeOf(call);
    tf.env().set(TILED_FILTER_GRADIENT_FLAG, true);
    const labgradeMs = await timeOf(call);
    totals.tfjs += tfjsMs;
    totals.labgrade += labgradeMs;
    const filter = call.attrs.filterShape as number[];
    console.log(`${filter.join('×')} stride ${call.attrs.strides} x [${call.xShape}]: tfjs ${tfjsMs.toFixed(1)} ms, labgrade ${labgradeMs.toFixed(1)} ms (${(tfjsMs / labgradeMs).toFixed(2)}×)`);
  }
} finally {
  restore();
}
console.log(`${calls.length} filter gradients at batch ${batch}: tfjs ${totals.tfjs.toFixed(0)} ms, labgrade ${totals.labgrade.toFixed(0)} ms (${(totals.tfjs / totals.labgrade).toFixed(2)}×)`);
