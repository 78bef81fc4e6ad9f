// Every test run writes its temporary folders (submissions, class runs, Gradescope and kit installs of
// several hundred MB) under one folder of its own, which teardown.js removes: the suite must not fill
// the disk of a machine that runs it again and again. Set LABGRADE_KEEP_TEST_TMP=1 to keep it.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'labgrade-test-run-'));
  process.env.LABGRADE_TEST_TMP_ROOT = root;
  // Jest starts its workers after this, with this environment: os.tmpdir() is the folder in each of them.
  process.env.TMPDIR = root;
}
