/**
 * A sandboxed process that bubblewrap fails to start (failing as bwrap does when the kernel has no
 * namespace to give) is started again: the student loses nothing to it. Without the retry the
 * hidden process's failed start withheld every public point of the lab (public checks pay only
 * with a hidden one passed). Where it cannot be started at all, the lab is marked incomplete, so a
 * class run grades it again.
 */
import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { withBwrap } from '../sandbox-kind.js';
import type { GradeResult } from '../../src/contract/result.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');

/** A bwrap that fails the calls `fails(n)` says (n counts from 1, the first being labgrade's probe), and the folder that counts them. */
function flakyBwrap(fails: string): { bwrap: string; calls: string; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-flaky-bwrap-'));
  const calls = path.join(dir, 'calls');
  mkdirSync(calls);
  const bwrap = path.join(dir, 'bwrap');
  // The calls are counted in folders: the sandbox's file size limit (0) stops a write first.
  writeFileSync(bwrap, `#!/bin/sh\nn=1\nwhile ! mkdir '${calls}'/$n 2>/dev/null; do n=$((n + 1)); done\nif ${fails}; then echo 'bwrap: Creating new namespace failed: No space left on device' >&2; exit 1; fi\nexec bwrap "$@"\n`);
  chmodSync(bwrap, 0o755);
  return { bwrap, calls, out: path.join(dir, 'out') };
}

const gradeLab1 = (bwrap: string, out: string) =>
  execaNode(BIN, ['grade', path.join(projectRoot, 'examples', 'submissions', 'sample-report-mistakes'), '--lab', 'conv-step-by-step', '--out', out, '--sandbox', 'bwrap'], { reject: false, all: true, env: { LABGRADE_BWRAP: bwrap } });

describe('a process bubblewrap fails to start', () => {
  (withBwrap ? test : test.skip)('is started again, and the grade is what it would have been', async () => {
    // Of the sandboxes after the probe, every first attempt fails.
    const { bwrap, calls, out } = flakyBwrap('[ "$n" -gt 1 ] && [ $((n % 2)) -eq 0 ]');
    const graded = await gradeLab1(bwrap, out);
    expect(graded.all).toContain('example-sample-report: 39 / 50 points');
    // The probe, then the public and the hidden process, each started twice.
    expect(readdirSync(calls)).toHaveLength(5);
  }, 120_000);

  (withBwrap ? test : test.skip)('three times over: the lab is marked incomplete, for a class run to grade again', async () => {
    // The public process (calls 2–4), then only the hidden one (calls 3–5, the public one started).
    for (const [fails, status] of [['[ "$n" -gt 1 ]', 'error'], ['[ "$n" -gt 2 ]', 'graded']]) {
      const { bwrap, calls, out } = flakyBwrap(fails);
      await gradeLab1(bwrap, out);
      const lab = (JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8')) as GradeResult).labs[0];
      expect([lab.status, lab.incomplete]).toEqual([status, true]);
      expect(readdirSync(calls)).toHaveLength(status === 'error' ? 4 : 5);
    }
  }, 120_000);
});
