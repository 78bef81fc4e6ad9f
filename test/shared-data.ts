/**
 * Test access to the read-only shared data (../shared or LABGRADE_SHARED). A test that needs a
 * missing file says so and skips; with LABGRADE_REQUIRE_SHARED=1 (CI) a missing file fails instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from '../src/paths.js';

export function sharedFile(relative: string): string | null {
  const file = path.join(sharedDir(), relative);
  if (existsSync(file)) return file;
  const message = `shared data ${file} is missing (set LABGRADE_SHARED to the shared folder)`;
  if (process.env.LABGRADE_REQUIRE_SHARED === '1') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  return null;
}

export function readSharedJson<T>(relative: string): T | null {
  const file = sharedFile(relative);
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as T) : null;
}
