/**
 * A sandboxed process that bubblewrap fails to start (here: every other start after the first,
 * failing as bwrap does when the kernel has no namespace to give) is started again: the student
 * loses nothing to it. Without the retry the hidden process's failed start withheld every public
 * point of the lab (public checks pay only with a hidden one passed).
 */
import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { withBwrap } from '../sandbox-kind.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');

describe('a process bubblewrap fails to start', () => {
  (withBwrap ? test : test.skip)('is started again, and the grade is what it would have been', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'labgrade-flaky-bwrap-'));
    const calls = path.join(dir, 'calls');
    mkdirSync(calls);
    const flaky = path.join(dir, 'bwrap');
    // The first call is labgrade's probe; of the sandboxes after it, every first attempt fails. The
    // calls are counted in folders: the sandbox's file size limit (0) stops a write first.
    writeFileSync(flaky, `#!/bin/sh\nn=1\nwhile ! mkdir '${calls}'/$n 2>/dev/null; do n=$((n + 1)); done\nif [ "$n" -gt 1 ] && [ $((n % 2)) -eq 0 ]; then echo 'bwrap: Creating new namespace failed: No space left on device' >&2; exit 1; fi\nexec bwrap "$@"\n`);
    chmodSync(flaky, 0o755);
    const out = path.join(dir, 'out');
    const graded = await execaNode(BIN, ['grade', path.join(projectRoot, 'examples', 'submissions', 'sample-report-mistakes'), '--lab', 'conv-step-by-step', '--out', out, '--sandbox', 'bwrap'], { reject: false, all: true, env: { LABGRADE_BWRAP: flaky } });
    expect(graded.all).toContain('example-sample-report: 39 / 50 points');
    // The probe, then the public and the hidden process, each started twice.
    expect(readdirSync(calls)).toHaveLength(5);
  }, 120_000);
});
