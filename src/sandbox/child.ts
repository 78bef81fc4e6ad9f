/**
 * Entry point of a submission's process. It runs under Node's permission model (see session.ts),
 * evaluates the bundled submission, and answers calls with encoded return values. It never sees
 * expected outputs: the parent compares.
 */
import vm from 'node:vm';
import type * as tfType from '@tensorflow/tfjs';
import { tf } from '../tfjs.js';
import { decodeToTf, encodeValue, type Value } from '../engine/values.js';
import type { ChildMessage, DatasetRef, ParentMessage, ThrownError } from './protocol.js';
import { activateBackend, parseBackendChoice, type ActiveBackend, type BackendPurpose } from '../backends/backends.js';
import { isDatasetName, signsTensors } from '../data/dataset-tensors.js';
import * as courseUtils from '../course-utils/index.js';
import { trainModel, type TrainOptions } from '../training/train-model.js';
import { hardenProcess } from './harden.js';
import { loadMt19937 } from '../rng/random-state.js';
import { standardWatchList, watchIntegrity, type IntegrityWatch } from './integrity.js';

let submission: Record<string, unknown> | null = null;
let integrity: IntegrityWatch | null = null;
let submissionFile = '';
/** Dataset tensors, read on first use and kept across calls (read again if a call disposed them). */
let datasets: Record<string, tfType.Tensor> | null = null;

// argv: backend choice, purpose ('grade' or 'train'), datasets folder ('' for none).
const [backendArg = 'cpu', purposeArg = 'grade', dataArg = ''] = process.argv.slice(2);
const dataDir = dataArg || undefined;
// The backend starts before hardening: native backends (dawn.node, libtensorflow) load through
// process.dlopen, which hardening then takes away from the submission.
const backend: { active: ActiveBackend } | { failure: string } = await activateBackend(tf, parseBackendChoice(backendArg), purposeArg as BackendPurpose, true).then(
  (active) => ({ active }),
  (err: Error) => ({ failure: err.message }),
);

// Labs with data (and training) shuffle with course-utils' generator: it loads here, before
// hardening and before any submitted code runs, rather than at its first use.
if (dataDir || purposeArg === 'train') loadMt19937();
const sendToParent = hardenProcess();

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    sendToParent(message, (err) => (err ? reject(err) : resolve()));
  });
}

/** A short string, whatever the submission put there (an object, a getter that throws, a huge string). */
function boundedText(value: unknown, max: number): string {
  try {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
    return text.slice(0, max);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Only bounded strings leave the process: a thrown value is the submission's, and could be anything. */
function describeThrown(thrown: unknown): ThrownError {
  if (thrown instanceof Error) {
    const stack = boundedText(thrown.stack ?? '', 20_000);
    const frames = stack.split('\n').filter((line) => submissionFile && line.includes(submissionFile)).slice(0, 20);
    return { name: boundedText(thrown.name, 100), message: boundedText(thrown.message, 2000), stack: frames.length ? frames.join('\n') : undefined };
  }
  return { name: 'NonErrorThrown', message: `threw a non-Error value: ${boundedText(thrown, 200)}` };
}

/** Only labgrade's own tfjs (and course helpers) can be imported, so submissions share one tfjs instance and backend. */
function submissionRequire(id: string): unknown {
  if (id === '@tensorflow/tfjs' || id === '@tensorflow/tfjs-core') return tf;
  if (id === 'labgrade/course-utils') return courseUtils;
  throw new Error(`Cannot import "${id}": a submission may import only @tensorflow/tfjs, labgrade/course-utils and its own files`);
}

function isDatasetRef(arg: unknown): arg is DatasetRef {
  return typeof arg === 'object' && arg !== null && typeof (arg as DatasetRef).$dataset === 'string';
}

function datasetTensor(name: string): tfType.Tensor {
  if (!dataDir) throw new Error(`labgrade: dataset ${name} was asked for, but no datasets folder was given`);
  if (!isDatasetName(name)) throw new Error(`labgrade: unknown dataset ${name}`);
  if (!datasets || Object.values(datasets).some((t) => t.isDisposed)) {
    // Kept: they outlive the call's scope.
    datasets = Object.fromEntries(Object.entries(signsTensors(tf, dataDir)).map(([k, t]) => [k, tf.keep(t)]));
  }
  return datasets[name];
}

async function load(code: string, filename: string): Promise<void> {
  submissionFile = filename;
  if ('failure' in backend) {
    await send({ type: 'backend-failed', reason: backend.failure.slice(0, 2000) });
    return;
  }
  const { active } = backend;
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
  await send({ type: 'loaded', exports, backend: active.name, device: active.device, tfjsVersion: tf.version.tfjs });
}

async function call(id: number, fnName: string, args: (Value | DatasetRef)[]): Promise<void> {
  const fn = submission?.[fnName];
  const start = performance.now();
  const changedBefore = integrity?.changes() ?? [];
  if (changedBefore.length > 0) {
    // Changed outside any call (e.g. in a timer): nothing here can be trusted to run this call.
    await send({ type: 'stale', id, tampered: changedBefore });
    return;
  }
  tf.engine().startScope();
  let reply: ChildMessage;
  try {
    if (typeof fn !== 'function') throw new Error(`${fnName} is not an exported function`);
    const inputs = args.map((a) => (isDatasetRef(a) ? datasetTensor(a.$dataset) : decodeToTf(tf, a)));
    const returned = fn(...inputs);
    reply = { type: 'result', id, value: encodeValue(tf, returned), durationMs: performance.now() - start };
  } catch (thrown) {
    reply = { type: 'threw', id, error: describeThrown(thrown), durationMs: performance.now() - start };
  } finally {
    tf.engine().endScope();
  }
  const changed = integrity?.changes() ?? [];
  await send(changed.length > 0 ? { ...reply, tampered: changed } : reply);
}

/** Builds the submission's model and trains it with labgrade's recipe (labgrade train). */
async function train(id: number, fnName: string, args: Value[], options: TrainOptions): Promise<void> {
  const start = performance.now();
  try {
    const build = submission?.[fnName];
    if (typeof build !== 'function') throw new Error(`${fnName} is not an exported function`);
    const model = build(...args.map((a) => decodeToTf(tf, a)));
    if (!(model instanceof tf.LayersModel)) throw new Error(`${fnName} must return a tf.LayersModel (tf.model({inputs, outputs}))`);
    const trained = await trainModel(tf, model, datasetTensor('signs/train/x'), datasetTensor('signs/train/y'), options, (p) => {
      void send({ type: 'progress', id, ...p });
    });
    await send({ type: 'trained', id, ...trained, durationMs: performance.now() - start });
  } catch (thrown) {
    await send({ type: 'threw', id, error: describeThrown(thrown), durationMs: performance.now() - start });
  }
}

process.on('message', (message: ParentMessage) => {
  const work =
    message.type === 'load'
      ? load(message.code, message.filename)
      : message.type === 'train'
        ? train(message.id, message.fn, message.args, message.options)
        : call(message.id, message.fn, message.args);
  work.catch((err) => {
    // A reply that cannot be sent means the parent is gone or the value could not be serialized.
    process.stderr.write(`labgrade child: ${String(err)}\n`);
    process.exit(70);
  });
});
// The parent is the only reason to live: exit when it disconnects.
process.on('disconnect', () => process.exit(0));
void send({ type: 'ready' });
