/**
 * Entry point of a submission's process. It runs under Node's permission model (see session.ts),
 * evaluates the bundled submission, and answers calls with encoded return values. It never sees
 * expected outputs: the parent compares.
 */
import vm from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { decodeToTf, encodeValue, type Value } from '../engine/values.js';
import type { ChildMessage, ParentMessage, ThrownError } from './protocol.js';
import { hardenProcess } from './harden.js';
import { standardWatchList, watchIntegrity, type IntegrityWatch } from './integrity.js';

let submission: Record<string, unknown> | null = null;
let integrity: IntegrityWatch | null = null;
let submissionFile = '';

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

/** Only labgrade's own tfjs can be imported, so submissions share one tfjs instance and backend. */
function submissionRequire(id: string): unknown {
  if (id === '@tensorflow/tfjs' || id === '@tensorflow/tfjs-core') return tf;
  throw new Error(`Cannot import "${id}": a submission may import only @tensorflow/tfjs and its own files`);
}

async function load(code: string, filename: string, backend: string): Promise<void> {
  submissionFile = filename;
  await tf.setBackend(backend);
  await tf.ready();
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
  await send({ type: 'loaded', exports, backend: tf.getBackend(), tfjsVersion: tf.version.tfjs });
}

async function call(id: number, fnName: string, args: Value[]): Promise<void> {
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
    const inputs = args.map((a) => decodeToTf(tf, a));
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

process.on('message', (message: ParentMessage) => {
  const work = message.type === 'load' ? load(message.code, message.filename, message.backend) : call(message.id, message.fn, message.args);
  work.catch((err) => {
    // A reply that cannot be sent means the parent is gone or the value could not be serialized.
    process.stderr.write(`labgrade child: ${String(err)}\n`);
    process.exit(70);
  });
});
// The parent is the only reason to live: exit when it disconnects.
process.on('disconnect', () => process.exit(0));
void send({ type: 'ready' });
