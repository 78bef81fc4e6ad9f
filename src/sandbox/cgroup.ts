/**
 * A memory, process-count and CPU cgroup for one sandboxed process, where the machine lets labgrade
 * make one (cgroup v2 with the controllers delegated to labgrade's own cgroup, or a writable
 * cgroup v1 hierarchy, as for root in a VM or container). The kernel then enforces the memory
 * limit at once, where the RSS watch (session.ts) only notices it within a poll; a fork bomb
 * meets pids.max; and threads a submission gets work done on without starting them (Node's libuv
 * pool for WebCrypto or zlib, V8's for garbage collection) share its CPU quota instead of taking
 * a classmate's cores. Where none can be made, the RSS watch is the memory limit and Node's
 * permission model the only bar to new processes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';
const MB = 1024 * 1024;

export interface ChildCgroup {
  /** The cgroup.procs files a process writes its pid into, before it starts the sandbox. */
  procsFiles: string[];
  /** The CPUs its processes may use together (a CFS quota), or null where the cpu controller is not there. */
  cpus: number | null;
  /** Whether the kernel killed a process of it for memory. */
  oomKilled(): boolean;
  /** Kills every process still in it. */
  killAll(): void;
  /** Removes the cgroup once its processes are gone (retried at exit otherwise). */
  remove(): void;
}

let counter = 0;
const leftovers = new Set<string>();
process.once('exit', () => {
  for (const dir of leftovers) tryRemove(dir);
});

function tryRemove(dir: string): boolean {
  try {
    rmdirSync(dir);
    leftovers.delete(dir);
    return true;
  } catch {
    return !existsSync(dir);
  }
}

function readNumberField(file: string, field: string): number {
  try {
    const m = new RegExp(`^${field} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** This process's cgroup paths, by controller ('' for the v2 unified hierarchy). */
function ownCgroups(): Map<string, string> {
  const found = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return found;
  }
  for (const line of text.trim().split('\n')) {
    const [, controllers, where] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (where === undefined) continue;
    for (const controller of controllers.split(',')) found.set(controller, where);
  }
  return found;
}

/**
 * This process's PID namespace, in its cgroups' names: a pid is only known to be gone within the
 * namespace it was seen in, and graders in other containers may share the cgroup hierarchy.
 */
const PID_NAMESPACE = (() => {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
})();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the cgroups that graders killed before their exit handler ran left in parent: named for
 * a pid of this PID namespace that is no longer running, empty (rmdir fails on one with processes
 * in it, which is left as it is), and older than minAgeMs, so that a group another grader has only
 * just made is never taken.
 */
export function sweepOrphanedCgroups(parent: string, minAgeMs = 60_000): number {
  let names: string[] = [];
  try {
    names = readdirSync(parent);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = /^labgrade-(\d+)-(\d+)-\d+$/.exec(name);
    if (!m || m[1] !== PID_NAMESPACE || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
    const dir = path.join(parent, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs < minAgeMs) continue;
      rmdirSync(dir);
      removed++;
    } catch {
      // in use, or gone meanwhile
    }
  }
  return removed;
}

const swept = new Set<string>();

function makeDir(parent: string): string | null {
  if (!swept.has(parent)) {
    swept.add(parent);
    sweepOrphanedCgroups(parent);
  }
  const dir = path.join(parent, `labgrade-${PID_NAMESPACE}-${process.pid}-${++counter}`);
  try {
    mkdirSync(dir);
    leftovers.add(dir);
    return dir;
  } catch {
    return null;
  }
}

function killProcessesIn(procsFile: string): void {
  let text = '';
  try {
    text = readFileSync(procsFile, 'utf8');
  } catch {
    return;
  }
  for (const pid of text.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function write(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

export interface ChildLimits {
  memoryMb: number;
  pids: number;
  /** CPUs its processes may use together; null: no quota. */
  cpus: number | null;
}

const CPU_PERIOD_US = 100_000;
const quotaUs = (cpus: number) => String(Math.round(cpus * CPU_PERIOD_US));

function v2(own: Map<string, string>, limits: ChildLimits): ChildCgroup | null {
  const where = own.get('');
  if (where === undefined || !existsSync(path.join(ROOT, 'cgroup.controllers'))) return null;
  const parent = path.join(ROOT, where);
  let delegated = '';
  try {
    delegated = readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8');
  } catch {
    return null;
  }
  if (!/\bmemory\b/.test(delegated)) return null;
  const dir = makeDir(parent);
  if (!dir) return null;
  const ok = write(path.join(dir, 'memory.max'), String(limits.memoryMb * MB)) && write(path.join(dir, 'memory.swap.max'), '0');
  if (/\bpids\b/.test(delegated)) write(path.join(dir, 'pids.max'), String(limits.pids));
  if (!ok) {
    tryRemove(dir);
    return null;
  }
  const cpus = limits.cpus !== null && /\bcpu\b/.test(delegated) && write(path.join(dir, 'cpu.max'), `${quotaUs(limits.cpus)} ${CPU_PERIOD_US}`) ? limits.cpus : null;
  return {
    procsFiles: [path.join(dir, 'cgroup.procs')],
    cpus,
    oomKilled: () => readNumberField(path.join(dir, 'memory.events'), 'oom_kill') > 0,
    killAll: () => {
      if (!write(path.join(dir, 'cgroup.kill'), '1')) killProcessesIn(path.join(dir, 'cgroup.procs'));
    },
    remove: () => void tryRemove(dir),
  };
}

/** A v1 group of one more controller with its one setting, or null (nothing left behind) where it cannot be made. */
function v1Group(own: Map<string, string>, controller: string, file: string, value: string): string | null {
  const where = own.get(controller);
  const dir = where === undefined ? null : makeDir(path.join(ROOT, controller, where));
  if (dir && write(path.join(dir, file), value)) return dir;
  if (dir) tryRemove(dir);
  return null;
}

function v1(own: Map<string, string>, limits: ChildLimits): ChildCgroup | null {
  const memoryBytes = String(limits.memoryMb * MB);
  const memory = v1Group(own, 'memory', 'memory.limit_in_bytes', memoryBytes);
  if (!memory) return null;
  // Swap counts too where the kernel accounts it.
  if (existsSync(path.join(memory, 'memory.memsw.limit_in_bytes'))) write(path.join(memory, 'memory.memsw.limit_in_bytes'), memoryBytes);
  const pidsDir = v1Group(own, 'pids', 'pids.max', String(limits.pids));
  const cpuDir = limits.cpus === null ? null : v1Group(own, 'cpu', 'cpu.cfs_quota_us', quotaUs(limits.cpus));
  const dirs = [memory, pidsDir, cpuDir].filter((d): d is string => d !== null);
  return {
    procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
    cpus: cpuDir ? limits.cpus : null,
    oomKilled: () => readNumberField(path.join(memory, 'memory.oom_control'), 'oom_kill') > 0,
    killAll: () => killProcessesIn(path.join(memory, 'cgroup.procs')),
    remove: () => {
      for (const dir of dirs) tryRemove(dir);
    },
  };
}

/** A fresh cgroup limiting memory (and processes and CPU, where those controllers are there too), or null where none can be made. */
export function createChildCgroup(limits: ChildLimits): ChildCgroup | null {
  if (process.platform !== 'linux') return null;
  const own = ownCgroups();
  return v2(own, limits) ?? v1(own, limits);
}
