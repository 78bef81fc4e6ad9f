/**
 * A grader killed before its exit handler ran leaves its sandboxes' cgroups behind (thousands had
 * piled up on one machine). The next grader removes those whose grader is gone, and only those.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createChildCgroup, sweepOrphanedCgroups } from '../../src/sandbox/cgroup.js';

const made = createChildCgroup({ memoryMb: 64, pids: 16, cpus: 1.5 });
if (!made) console.warn('SKIPPED: no cgroup can be made here, so there are none to sweep');
const parent = made ? path.dirname(path.dirname(made.procsFiles[0])) : '';

const deadPid = () => spawnSync('true').pid!;
const ownNamespace = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1];
const group = (pid: number, n: number, namespace = ownNamespace) => {
  const dir = path.join(parent, `labgrade-${namespace}-${pid}-${n}`);
  mkdirSync(dir);
  return dir;
};

afterAll(() => made?.remove());

describe('a sandbox\'s cgroup', () => {
  (made?.cpus ? test : test.skip)('holds the CPU quota it was given', () => {
    const dir = path.dirname(made!.procsFiles[made!.procsFiles.length - 1]);
    const v2 = existsSync(path.join(dir, 'cpu.max'));
    const quota = readFileSync(path.join(dir, v2 ? 'cpu.max' : 'cpu.cfs_quota_us'), 'utf8').trim();
    expect(quota).toBe(v2 ? '150000 100000' : '150000');
  });
});

describe('sweepOrphanedCgroups', () => {
  (made ? test : test.skip)('removes the empty groups of graders that are gone, and leaves the rest', async () => {
    const orphan = group(deadPid(), 1);
    const living = group(process.ppid, 900_001);
    const busy = group(deadPid(), 2);
    // A grader in another container may share the hierarchy: its pids mean nothing here.
    const elsewhere = group(deadPid(), 3, '1');
    const sleeper = spawn('sleep', ['60']);
    try {
      writeFileSync(path.join(busy, 'cgroup.procs'), String(sleeper.pid));
      // Too young to be taken: another grader may only just have made it.
      sweepOrphanedCgroups(parent);
      expect(existsSync(orphan)).toBe(true);

      // At least 1: a grader beside this one may have left its own.
      expect(sweepOrphanedCgroups(parent, 0)).toBeGreaterThanOrEqual(1);
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(living)).toBe(true);
      expect(existsSync(busy)).toBe(true);
      expect(existsSync(elsewhere)).toBe(true);
      expect(existsSync(path.dirname(made!.procsFiles[0]))).toBe(true);
    } finally {
      const gone = new Promise((resolve) => sleeper.once('exit', resolve));
      sleeper.kill('SIGKILL');
      await gone;
      for (const dir of [living, busy, elsewhere]) rmdirSync(dir);
    }
  });
});
