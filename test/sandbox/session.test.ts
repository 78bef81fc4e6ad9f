/** The submission's process: limits on time, memory and output, and the kill that enforces them. */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleSubmission } from '../../src/sandbox/bundle.js';
import { DEFAULT_LIMITS, SandboxSession } from '../../src/sandbox/session.js';
import { childPermissionFlags } from '../../src/sandbox/permissions.js';
import { isChildMessage } from '../../src/sandbox/protocol-checks.js';
import { WEIGHTS_SAMPLE_SIZE } from '../../src/models/weights-sample.js';
import { openSubmission } from '../../src/engine/grade-submission.js';
import { SANDBOX } from '../sandbox-kind.js';
import { createChildCgroup } from '../../src/sandbox/cgroup.js';
import { descendants } from '../../src/sandbox/spawn-child.js';
import { execa } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { makeSubmission } from '../grading/submissions.js';

async function start(source: string, limits = DEFAULT_LIMITS) {
  const dir = makeSubmission({ 'lab.ts': source });
  const started = await SandboxSession.start(await bundleSubmission(openSubmission(dir), 'lab.ts'), { sandbox: SANDBOX, backend: 'cpu' }, limits);
  if (started.kind !== 'loaded') throw new Error(`did not load: ${JSON.stringify(started)}`);
  return started.session;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a process is this test's to answer for: started under this test process, or orphaned (a
 * sandbox left behind is reparented to init). Children of other test files or of other graders on
 * the machine hang under their own jest worker or labgrade command, and are not.
 */
function oursOrOrphaned(pid: number): boolean {
  for (let at = pid, steps = 0; steps < 64; steps++) {
    const stat = readFileSync(`/proc/${at}/stat`, 'utf8');
    at = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (at === process.pid || at <= 1) return true;
    if (/processChild\.js|labgrade\.js|jest\.js/.test(readFileSync(`/proc/${at}/cmdline`, 'utf8'))) return false;
  }
  return true;
}

/** Processes running labgrade's child entry point that this test answers for. */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('sandbox/child.js') && oursOrOrphaned(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function eventually(condition: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

/** Linux's USER_HZ, the unit of /proc's CPU times, on every architecture Node runs on. */
const CLOCK_TICKS = 100;

/** Whether sandboxes get a CPU quota here (bubblewrap with a cpu cgroup): the quota's test skips, saying so, where not. */
const withCpuQuota = (() => {
  if (SANDBOX !== 'bwrap') return false;
  const probe = createChildCgroup({ memoryMb: 64, pids: 16, cpus: 1 });
  probe?.remove();
  if (probe?.cpus) return true;
  console.warn('SKIPPED: no cpu cgroup can be made here, so no sandbox gets a CPU quota');
  return false;
})();

describe('the permission model under the hardening', () => {
  // The submission cannot reach fs at all (see harden.ts); this checks the layer beneath on its own.
  test.each([
    ['the hidden fixtures', 'ERR_ACCESS_DENIED', path.join(projectRoot, 'fixtures', 'conv-step-by-step', 'hidden.expected.json')],
    ['the reference solution', 'ERR_ACCESS_DENIED', path.join(projectRoot, 'solutions', 'conv-step-by-step.ts')],
    ['a submission folder', 'ERR_ACCESS_DENIED', path.join(projectRoot, 'examples', 'submissions', 'correct-vectorized', 'conv-step-by-step.ts')],
    ['tfjs', 'readable', path.join(projectRoot, 'node_modules', '@tensorflow', 'tfjs', 'package.json')],
  ])('with the child\'s flags, reading %s gives %s', async (_what, outcome, file) => {
    const probe = `try { require('fs').readFileSync(${JSON.stringify(file)}); console.log('readable'); } catch (e) { console.log(e.code); }`;
    const r = await execa(process.execPath, [...childPermissionFlags(), '--disable-warning=ExperimentalWarning', '-e', probe], { reject: false });
    expect(r.stdout.trim()).toBe(outcome);
    const write = await execa(process.execPath, [...childPermissionFlags(), '--disable-warning=ExperimentalWarning', '-e', "try { require('fs').writeFileSync('/tmp/labgrade-probe', 'x'); console.log('written'); } catch (e) { console.log(e.code); }"], { reject: false });
    expect(write.stdout.trim()).toBe('ERR_ACCESS_DENIED');
  });
});

describe('SandboxSession', () => {
  test('a call that runs past its time limit is killed, process and all', async () => {
    const session = await start('export function spin() { for (;;) {} }');
    const pid = session.pid!;
    const outcome = await session.call('spin', [], 500);
    expect(outcome.kind).toBe('timeout');
    expect(session.alive).toBe(false);
    expect(await eventually(() => !isRunning(pid))).toBe(true);
  });

  test('a process that does not start in time is killed, not left behind', async () => {
    const dir = makeSubmission({ 'lab.ts': 'export const x = 1;' });
    const bundle = await bundleSubmission(openSubmission(dir), 'lab.ts');
    const before = new Set(childPids());
    const started = await SandboxSession.start(bundle, { sandbox: SANDBOX, backend: 'cpu' }, { ...DEFAULT_LIMITS, startupTimeoutMs: 20 });
    expect(started).toMatchObject({ kind: 'crashed', reason: expect.stringContaining('did not start within 20 ms') });
    expect(await eventually(() => childPids().every((pid) => before.has(pid)))).toBe(true);
  });

  test('memory outside the V8 heap (tensor data) is capped by the RSS watchdog', async () => {
    const session = await start(
      "import * as tf from '@tensorflow/tfjs';\nexport function hog() { const keep = []; for (let i = 0; i < 100; i++) keep.push(tf.zeros([64, 1024, 1024]).add(1)); return keep.length; }",
      { ...DEFAULT_LIMITS, rssMb: 400 },
    );
    const outcome = await session.call('hog', [], 60_000);
    expect(outcome).toMatchObject({ kind: 'crashed', reason: expect.stringContaining('used more than 400 MB of memory') });
  });

  test('running out of V8 heap is reported as such', async () => {
    const session = await start('export function grow() { const a: number[][] = []; for (;;) a.push(new Array(1e5).fill(1)); }', { ...DEFAULT_LIMITS, heapMb: 64, rssMb: 4096 });
    const outcome = await session.call('grow', [], 60_000);
    expect(outcome).toMatchObject({ kind: 'crashed', reason: expect.stringContaining('ran out of memory') });
  });

  test('no code is built from a string or bytes: eval, every Function constructor and the WebAssembly compilers throw, and functions still are functions, their constructors named as ever', async () => {
    const session = await start(`export function probe(): string[] {
  const built: string[] = [];
  const attempts: Record<string, () => unknown> = {
    eval: () => eval('1 + 1'),
    indirectEval: () => (0, globalThis.eval)('1 + 1'),
    Function: () => new Function('return 1')(),
    constructorOfAFunction: () => (() => 0).constructor('return 1')(),
    async: () => (async () => 0).constructor('return 1'),
    generator: () => function* () {}.constructor('yield 1'),
    asyncGenerator: () => async function* () {}.constructor('yield 1'),
    reflect: () => Reflect.construct(Object.getPrototypeOf(() => 0).constructor, ['return 1']),
    // The smallest WebAssembly module: code from bytes.
    wasmModule: () => new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
    wasmInstantiate: () => WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
    wasmCompile: () => WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
  };
  for (const [name, attempt] of Object.entries(attempts)) {
    try {
      attempt();
      built.push(name);
    } catch {}
  }
  if (!((() => 0) instanceof Function)) built.push('instanceof broke');
  const names = [Function, (() => 0).constructor, (async () => 0).constructor, function* () {}.constructor, async function* () {}.constructor].map((c) => c.name + '/' + c.length);
  if (names.join() !== 'Function/1,Function/1,AsyncFunction/1,GeneratorFunction/1,AsyncGeneratorFunction/1') built.push('names changed: ' + names.join());
  return built;
}`);
    expect(await session.call('probe', [], 10_000)).toMatchObject({ kind: 'value', value: [] });
    session.close();
  });

  test('printing is captured up to a cap and the call still returns', async () => {
    const session = await start("export function chatty() { for (let i = 0; i < 20000; i++) console.log('x'.repeat(100)); return 7; }", { ...DEFAULT_LIMITS, outputCapBytes: 4096 });
    expect(await session.call('chatty', [], 30_000)).toMatchObject({ kind: 'value', value: 7 });
    expect(session.capturedOutput().length).toBeLessThanOrEqual(4096);
    session.close();
  });

  test('values that cannot cross the boundary are named, not trusted', async () => {
    const session = await start('export function f() { return { fn: () => 1, n: undefined, t: new Float32Array(2) }; }');
    expect(await session.call('f', [], 5000)).toMatchObject({
      kind: 'value',
      value: { fn: { $unsupported: 'a function' }, n: { $unsupported: 'undefined' }, t: { $unsupported: expect.stringContaining('Float32Array') } },
    });
    session.close();
  });

  test('messages that do not follow the protocol, or that the role may not send, are rejected', () => {
    expect(isChildMessage(null, 'submission')).toBe(false);
    expect(isChildMessage({ type: 'result' }, 'submission')).toBe(false);
    expect(isChildMessage({ type: 'loaded', exports: { f: 1 } }, 'submission')).toBe(false);
    expect(isChildMessage({ type: 'nonsense' }, 'submission')).toBe(false);
    expect(isChildMessage({ type: 'result', id: 3, value: 1, durationMs: 1 }, 'submission')).toBe(true);
    // A submission's process cannot pass a model evaluator's verdict off as its own.
    const evaluated = { type: 'evaluated', id: 3, scores: { test: { correct: 120, total: 120 } }, weightsSha256: 'ab'.repeat(32), weightsSample: [0.5, -0.25], channelNorms: [0.1, 0.2], durationMs: 1 };
    expect(isChildMessage(evaluated, 'submission')).toBe(false);
    expect(isChildMessage(evaluated, 'evaluator')).toBe(true);
    expect(isChildMessage({ ...evaluated, scores: { test: { correct: 121, total: 120 } } }, 'evaluator')).toBe(false);
    // The weights' identity is part of the verdict: without it, or unbounded, the message is refused.
    expect(isChildMessage({ ...evaluated, weightsSha256: undefined }, 'evaluator')).toBe(false);
    expect(isChildMessage({ ...evaluated, weightsSample: new Array(WEIGHTS_SAMPLE_SIZE + 1).fill(0) }, 'evaluator')).toBe(false);
    expect(isChildMessage({ ...evaluated, weightsSample: [Number.NaN] }, 'evaluator')).toBe(false);
    expect(isChildMessage({ ...evaluated, channelNorms: [-1] }, 'evaluator')).toBe(false);
  });

  test('with the threaded wasm backend, a submission finds no way to start a worker of its own', async () => {
    // Workers start without the hardening of the submission's thread (process.kill, dlopen...).
    const source = `import * as tf from '@tensorflow/tfjs';
export function probe(): string[] {
  const found: string[] = [];
  const look = (where: string) => {
    try {
      if ((globalThis as any).Worker !== undefined) found.push(where);
    } catch {}
  };
  look('globalThis.Worker');
  let caught: unknown;
  try {
    Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => caught, set: (v) => { caught = v; } });
  } catch {}
  const seen = new Set<unknown>();
  const walk = (value: any, where: string, depth: number): void => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || depth > 4 || ArrayBuffer.isView(value)) return;
    seen.add(value);
    if (typeof value === 'function' && /Worker/.test(value.name)) found.push(where);
    if (typeof value.postMessage === 'function' || typeof value.terminate === 'function') found.push(where);
    for (const key of Object.getOwnPropertyNames(value)) {
      let child: unknown;
      try { child = value[key]; } catch { continue; }
      walk(child, where + '.' + key, depth + 1);
    }
  };
  walk(tf.backend(), 'tf.backend()', 0);
  // Starting the backend again would set Emscripten's global Worker for its new pool.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const factory = tf.findBackendFactory('wasm');
  try {
    const started = factory?.();
    if (started instanceof Promise) started.catch(() => undefined);
  } catch {}
  look('globalThis.Worker after calling the wasm factory');
  if (caught !== undefined) found.push('a Worker caught by a setter on globalThis');
  return found;
}`;
    const dir = makeSubmission({ 'lab.ts': source });
    const started = await SandboxSession.start(await bundleSubmission(openSubmission(dir), 'lab.ts'), { sandbox: SANDBOX, backend: 'wasm', wasmThreads: 2 });
    expect(started).toMatchObject({ kind: 'loaded', device: 'WebAssembly SIMD, 2 threads' });
    if (started.kind !== 'loaded') return;
    expect(await started.session.call('probe', [], 30_000)).toMatchObject({ kind: 'value', value: [] });
    started.session.close();
  });

  /** CPU seconds a process and everything under it have used (Linux counts every thread, gone ones too, in its process's stat). */
  const treeCpuSeconds = (pid: number) =>
    [pid, ...descendants(pid)].reduce((sum, p) => {
      try {
        const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
        return sum + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      } catch {
        return sum;
      }
    }, 0);

  test('Node\'s libuv pool, which runs WebCrypto and zlib jobs on threads of its own, is one thread in a submission\'s process', async () => {
    const session = await start('export const x = 1;');
    try {
      const node = [session.pid!, ...descendants(session.pid!)].find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('sandbox/child.js'))!;
      // libuv reads the variable when the pool starts (Node's default is 4 threads).
      expect(readFileSync(`/proc/${node}/environ`, 'utf8').split('\0')).toContain('UV_THREADPOOL_SIZE=1');
    } finally {
      session.close();
    }
  });

  (withCpuQuota ? test : test.skip)('work a submission hands to threads it did not start (WebCrypto on libuv\'s pool) stays within its CPU quota', async () => {
    // Six PBKDF2 jobs on Node's four pool threads while the main thread spins: 5 CPUs without the quota, where the machine has them.
    const session = await start(`void crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']).then((key) => {
  for (let i = 0; i < 6; i++) void crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 50_000_000 }, key, 256);
});
export function burn(ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  return ms;
}`);
    let used: number;
    let wall: number;
    try {
      expect(session.cpuQuota).toBe(1.5);
      const before = treeCpuSeconds(session.pid!);
      const started = Date.now();
      expect(await session.call('burn', [3000], 30_000)).toMatchObject({ kind: 'value', value: 3000 });
      used = treeCpuSeconds(session.pid!) - before;
      wall = (Date.now() - started) / 1000;
    } finally {
      session.close();
    }
    // An upper bound: a busy machine can only make it smaller. The kernel holds the quota over each 100 ms period.
    expect(used! / wall!).toBeLessThan(1.5 + 0.25);
  });

  test('a module that throws while loading is a load failure with the student\'s line', async () => {
    const dir = makeSubmission({ 'lab.ts': "const x: number = 1;\nthrow new Error('top-level ' + x);\n" });
    const started = await SandboxSession.start(await bundleSubmission(openSubmission(dir), 'lab.ts'), { sandbox: SANDBOX, backend: 'cpu' });
    expect(started.kind).toBe('load-failed');
    if (started.kind === 'load-failed') expect(started.error.stack).toContain('lab.ts:2:');
  });
});
