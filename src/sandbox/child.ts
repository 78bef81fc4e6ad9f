/**
 * Entry point of a sandboxed process. It runs under Node's permission model (and bubblewrap: see
 * spawn-child.ts), talks to the grading process only in frames on fd 3 (channel.ts), and plays one
 * role: a submission's process (evaluates the bundled submission, answers calls with encoded
 * return values, never sees expected outputs), a model evaluator, or a trainer (neither runs
 * submitted code; both handle what a submission handed in, as data).
 */
import net from 'node:net';
import vm from 'node:vm';
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';
import { decodeToTf, encodeValue } from './codec.js';
import { type Value } from '../contract/values.js';
import type { ChildMessage, DatasetRef, ParentMessage, ThrownError } from './protocol.js';
import type { DatasetTensor } from '../data/dataset-tensors.js';
import { activateBackend, parseBackendChoice, type ActiveBackend, type BackendPurpose } from '../backends/choice.js';
import * as courseUtils from '../course-utils/index.js';
import { useRecipeShuffles } from '../course-utils/recipe-shuffles.js';
import { hardenProcess, submissionTf } from './harden.js';
import { loadMt19937 } from '../rng/random-state.js';
import { standardWatchList, watchIntegrity, type IntegrityWatch } from './integrity.js';
import { CHANNEL_FD, encodeFrame, FrameReader } from './channel.js';
import type { ChildRole } from './permissions.js';
import { evaluateModelFile } from '../models/evaluate-model-file.js';
import { trainTopology } from '../training/train-topology.js';

// The channel is opened before anything else, and kept in this module's scope only.
const channel = new net.Socket({ fd: CHANNEL_FD, readable: true, writable: true });
channel.on('error', () => process.exit(0));
// The parent is the only reason to live: exit when it goes.
channel.on('end', () => process.exit(0));

let submission: Record<string, unknown> | null = null;
let integrity: IntegrityWatch | null = null;
let submissionFile = '';
let datasetValues: Record<string, DatasetTensor> = {};
/** Dataset tensors, made on first use and kept across calls (made again if a call disposed them). */
const datasetTensors = new Map<string, tfType.Tensor>();

// argv: backend choice, purpose ('grade' or 'train'), role, 'preload' (labs whose calls shuffle data).
const [backendArg = 'cpu', purposeArg = 'grade', roleArg = 'submission', preloadArg = ''] = process.argv.slice(2);
const role = roleArg as ChildRole;
// The backend starts before hardening: native backends (dawn.node) load through process.dlopen,
// which hardening then takes away.
const backend: { active: ActiveBackend } | { failure: string } = await activateBackend(tf, parseBackendChoice(backendArg), purposeArg as BackendPurpose, true).then(
  (active) => ({ active }),
  (err: Error) => ({ failure: err.message }),
);
// Labs with data shuffle with course-utils' generator: it loads here, before hardening and before
// any submitted code runs, rather than at its first use.
if (preloadArg === 'preload') loadMt19937();
hardenProcess(tf);
const tfForSubmissions = submissionTf(tf);

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.write(encodeFrame(message), (err) => (err ? reject(err) : resolve()));
  });
}

/** A short string, whatever the submission put there (an object, a getter that throws, a huge string). */
function boundedText(value: unknown, max: number): string {
  try {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    return text.slice(0, max);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Only bounded strings leave the process: a thrown value is the submission's, and could be anything. */
function describeThrown(thrown: unknown): ThrownError {
  if (thrown instanceof Error) {
    const stack = boundedText(thrown.stack ?? '', 20_000);
    const frames = stack.split('\n').filter((line) => submissionFile && /^\s+at /.test(line) && line.includes(submissionFile)).slice(0, 20);
    return { name: boundedText(thrown.name, 100), message: boundedText(thrown.message, 2000), stack: frames.length ? frames.join('\n') : undefined };
  }
  return { name: 'NonErrorThrown', message: `threw a non-Error value: ${boundedText(thrown, 200)}` };
}

/** Only labgrade's own tfjs (and course helpers) can be imported, so submissions share one tfjs instance and backend. */
function submissionRequire(id: string): unknown {
  if (id === '@tensorflow/tfjs' || id === '@tensorflow/tfjs-core') return tfForSubmissions;
  if (id === 'labgrade/course-utils') return courseUtils;
  throw new Error(`Cannot import "${id.slice(0, 100)}": a submission may import only @tensorflow/tfjs, labgrade/course-utils and its own files`);
}

function isDatasetRef(arg: unknown): arg is DatasetRef {
  return typeof arg === 'object' && arg !== null && typeof (arg as DatasetRef).$dataset === 'string';
}

function datasetTensor(name: string): tfType.Tensor {
  const kept = datasetTensors.get(name);
  if (kept && !kept.isDisposed) return kept;
  const value = datasetValues[name];
  if (!value) throw new Error(`labgrade: dataset ${name} was asked for, but the grader did not send it`);
  // Kept: they outlive the call's scope.
  const tensor = tf.keep(tf.tensor(value.data, value.shape, value.dtype));
  datasetTensors.set(name, tensor);
  return tensor;
}

async function load(code: string, filename: string): Promise<void> {
  submissionFile = filename;
  integrity = watchIntegrity(standardWatchList(tf));
  const module = { exports: {} as Record<string, unknown> };
  try {
    const fn = vm.compileFunction(code, ['require', 'module', 'exports'], { filename });
    fn(submissionRequire, module, module.exports);
  } catch (thrown) {
    await send({ type: 'load-failed', error: describeThrown(thrown) });
    return;
  }
  submission = module.exports;
  const exports: Record<string, string> = {};
  for (const [name, value] of Object.entries(submission).slice(0, 1000)) exports[name.slice(0, 200)] = typeof value;
  await send({ type: 'loaded', exports });
}

/** Changes made outside any call (e.g. in a timer): nothing here can be trusted to run the next one. */
async function staleBefore(id: number): Promise<boolean> {
  const changed = integrity?.changes() ?? [];
  if (changed.length > 0) await send({ type: 'stale', id, tampered: changed });
  return changed.length > 0;
}

async function call(id: number, fnName: string, args: (Value | DatasetRef)[], shuffleFrom: number | undefined): Promise<void> {
  const fn = submission?.[fnName];
  const start = performance.now();
  if (await staleBefore(id)) return;
  tf.engine().startScope();
  useRecipeShuffles(shuffleFrom ?? null);
  let reply: ChildMessage;
  try {
    if (typeof fn !== 'function') throw new Error(`${fnName} is not an exported function`);
    const inputs = args.map((a) => (isDatasetRef(a) ? datasetTensor(a.$dataset) : decodeToTf(tf, a)));
    const returned = fn(...inputs);
    reply = { type: 'result', id, value: encodeValue(tf, returned), durationMs: performance.now() - start };
  } catch (thrown) {
    reply = { type: 'threw', id, error: describeThrown(thrown), durationMs: performance.now() - start };
  } finally {
    useRecipeShuffles(null);
    tf.engine().endScope();
  }
  const changed = integrity?.changes() ?? [];
  await send(changed.length > 0 ? { ...reply, tampered: changed } : reply);
}

/** The most topology text a model may have (ResNet50's is about 150 kB). */
const MAX_TOPOLOGY_CHARS = 4 << 20;

/** Builds the submission's model and hands over its topology: labgrade train rebuilds and trains it elsewhere, never calling what the submission returned. */
async function topology(id: number, fnName: string): Promise<void> {
  const start = performance.now();
  if (await staleBefore(id)) return;
  try {
    const build = submission?.[fnName];
    if (typeof build !== 'function') throw new Error(`${fnName} is not an exported function`);
    const model = build();
    if (!(model instanceof tf.LayersModel)) throw new Error(`${fnName} must return a tf.LayersModel (tf.model({inputs, outputs}))`);
    const text = JSON.stringify(tf.LayersModel.prototype.toJSON.call(model, undefined, false));
    if (typeof text !== 'string' || text.length > MAX_TOPOLOGY_CHARS) throw new Error(`${fnName}'s model is too large to be the course's ResNet50`);
    await send({ type: 'topology', id, topology: text, durationMs: performance.now() - start });
  } catch (thrown) {
    await send({ type: 'threw', id, error: describeThrown(thrown), durationMs: performance.now() - start });
  }
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'datasets':
      datasetValues = message.tensors;
      for (const t of datasetTensors.values()) t.dispose();
      datasetTensors.clear();
      return;
    case 'load':
      return role === 'submission' ? load(message.code, message.filename) : undefined;
    case 'call':
      return role === 'submission' ? call(message.id, message.fn, message.args, typeof message.shuffleFrom === 'number' ? message.shuffleFrom : undefined) : undefined;
    case 'topology':
      return role === 'submission' ? topology(message.id, message.fn) : undefined;
    case 'train': {
      if (role !== 'trainer') return;
      const start = performance.now();
      const x = datasetTensor('signs/train/x');
      const y = datasetTensor('signs/train/y');
      await trainTopology(tf, message.topology, message.expected, x, y, message.options, (p) => void send({ type: 'progress', id: message.id, ...p })).then(
        (trained) => send({ type: 'trained', id: message.id, ...trained, durationMs: performance.now() - start }),
        (thrown) => send({ type: 'threw', id: message.id, error: describeThrown(thrown), durationMs: performance.now() - start }),
      );
      return;
    }
    case 'evaluate': {
      if (role !== 'evaluator') return;
      const start = performance.now();
      const outcome = await evaluateModelFile(tf, message.model, message.architecture, message.sets);
      const durationMs = performance.now() - start;
      await send('rejected' in outcome ? { type: 'rejected', id: message.id, reason: outcome.rejected, durationMs } : { type: 'evaluated', id: message.id, scores: outcome.scores, weightsSha256: outcome.weightsSha256, weightsSample: outcome.weightsSample, channelNorms: outcome.channelNorms, durationMs });
    }
  }
}

// Messages are handled one at a time, in order.
let queue = Promise.resolve();
const reader = new FrameReader(
  2 ** 31,
  (message) => {
    queue = queue
      .then(() => handle(message as ParentMessage))
      .catch((err) => {
        // A reply that cannot be sent means the parent is gone or the value could not be serialized.
        process.stderr.write(`labgrade child: ${String(err)}\n`);
        process.exit(70);
      });
  },
  () => process.exit(70),
);
channel.on('data', (chunk: Buffer) => reader.push(chunk));

if ('failure' in backend) await send({ type: 'backend-failed', reason: backend.failure.slice(0, 2000) });
else {
  const passedOver = backend.active.passedOver?.join('; ').replace(/[^\w .,:;?()+-]/g, ' ').slice(0, 300);
  await send({ type: 'ready', backend: backend.active.name, device: backend.active.device, tfjsVersion: tf.version.tfjs, ...(passedOver ? { passedOver } : {}) });
}
