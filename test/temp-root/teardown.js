import { rmSync } from 'node:fs';

export default function teardown() {
  const root = process.env.LABGRADE_TEST_TMP_ROOT;
  if (!root) return;
  if (process.env.LABGRADE_KEEP_TEST_TMP === '1') console.log(`\nThe test run's temporary folders are kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
