/**
 * Starts a sandboxed process (child.ts): Node under its permission model, inside bubblewrap with a
 * cgroup and rlimits (`bwrap`), or under the permission model alone (`node`). Its stdin is closed,
 * stdout and stderr are pipes (capped by the session), and fd 3 is the protocol's channel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { distDir } from '../paths.js';
import { candidates, type BackendChoice, type BackendPurpose } from '../backends/choice.js';
import { WASM_THREADS_VARIABLE } from '../backends/wasm-threads.js';
import { createChildCgroup, type ChildCgroup } from './cgroup.js';
import { BWRAP, bwrapArguments, limitedCommand, vulkanView, type SandboxKind } from './os-sandbox.js';
import { childPermissionFlags, childReadablePaths, needsNativeAddons, type ChildRole } from './permissions.js';

const CHILD_ENTRY = path.join(distDir, 'src', 'sandbox', 'child.js');

/** What a GPU backend's driver needs to be found (the Vulkan loader and ICD, CUDA): the rest of the environment stays out. */
const DRIVER_VARIABLES = ['LD_LIBRARY_PATH', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_LAYER_PATH', 'CUDA_VISIBLE_DEVICES'];

export interface ChildSpec {
  sandbox: SandboxKind;
  role: ChildRole;
  backend: BackendChoice;
  purpose: BackendPurpose;
  /** Threads for the wasm backend (1: no worker pool). */
  wasmThreads: number;
  /** Load course-utils' generator before hardening (labs whose calls shuffle data). */
  preloadGenerator: boolean;
  heapMb: number;
  memoryMb: number;
}

export interface SpawnedChild {
  process: ChildProcess;
  /** The kernel's memory and process limits, where a cgroup could be made. */
  cgroup: ChildCgroup | null;
}

/** A process's descendants, from /proc (every thread's children): empty where /proc cannot tell. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && found.length < 10_000) {
    const p = stack.pop()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
          if (child) {
            found.push(Number(child));
            stack.push(Number(child));
          }
        }
      } catch {
        // gone meanwhile
      }
    }
  }
  return found;
}

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
};

/**
 * Kills a sandboxed process and everything under it. bubblewrap's process inside the namespaces
 * outlives the one we started (it is reparented, not killed, when that dies), so the one we started
 * is stopped first (it can fork nothing more), then everything under it is killed, the namespace's
 * first process taking the rest with it; then what is left in its cgroup, where there is one.
 */
export function killChild(child: SpawnedChild): void {
  const pid = child.process.pid;
  if (pid !== undefined && child.process.exitCode === null && child.process.signalCode === null) {
    signal(pid, 'SIGSTOP');
    for (const p of descendants(pid)) signal(p, 'SIGKILL');
    signal(pid, 'SIGKILL');
  }
  child.cgroup?.killAll();
}

/** Processes and threads a sandboxed Node may run at once: its own threads, wasm's pool, and room to spare. */
const PIDS_MAX = 256;

/**
 * CPU beyond the process's own threads, for V8's helper threads (garbage collection, compiling)
 * beside a busy main thread: with none, a Lab 1 class run took 5% longer. Side by side, sandboxes'
 * cgroups share a busy machine's CPU equally whatever their threads, so this gives a student no
 * more than a fair share of it.
 */
const CPU_HEADROOM = 0.5;

export function spawnChild(spec: ChildSpec): SpawnedChild {
  const threadedWasm = spec.wasmThreads > 1 && candidates(spec.backend, spec.purpose, true).includes('wasm');
  const threads = threadedWasm ? spec.wasmThreads : 1;
  const addons = needsNativeAddons(spec.backend, spec.purpose);
  const nodeArgs = [
    ...childPermissionFlags({ addons, workers: threadedWasm }),
    `--max-old-space-size=${spec.heapMb}`,
    '--disable-warning=ExperimentalWarning',
    // The permission model warns that --allow-addons and --allow-worker weaken it, once per thread: labgrade takes both away again (harden.ts).
    '--disable-warning=SecurityWarning',
    CHILD_ENTRY,
    spec.backend,
    spec.purpose,
    spec.role,
    spec.preloadGenerator ? 'preload' : '',
  ];
  const env = {
    NODE_ENV: 'production',
    ...Object.fromEntries(DRIVER_VARIABLES.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!])),
    [WASM_THREADS_VARIABLE]: String(threads),
    // One thread in Node's libuv pool, which runs WebCrypto, zlib and async fs jobs beside the main
    // thread (four by default): the bound on those where no cgroup's CPU quota is.
    UV_THREADPOOL_SIZE: '1',
  };
  const stdio: ['ignore', 'pipe', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe', 'pipe'];
  if (spec.sandbox === 'node') {
    return { process: spawn(process.execPath, nodeArgs, { stdio, env, cwd: os.tmpdir() }), cgroup: null };
  }
  // A process with a GPU driver runs no submitted code, and a software Vulkan driver (lavapipe) needs the machine's cores.
  const cpus = addons ? null : threads + CPU_HEADROOM;
  const cgroup = createChildCgroup({ memoryMb: spec.memoryMb, pids: PIDS_MAX, cpus });
  const view = addons ? vulkanView() : { readable: [] };
  const bwrap = bwrapArguments({ readable: [...childReadablePaths(), ...view.readable], devices: view.devices });
  const { command, args } = limitedCommand(cgroup?.procsFiles ?? [], BWRAP, [...bwrap, '--', realpathSync(process.execPath), ...nodeArgs], addons);
  return { process: spawn(command, args, { stdio, env }), cgroup };
}
