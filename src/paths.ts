/** Where labgrade's own files are, whether running from src/ (tests) or dist/src/ (the CLI). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'labgrade') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`labgrade's package.json not found above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const distDir = path.join(projectRoot, 'dist');
export const fixturesDir = path.join(projectRoot, 'fixtures');
export const schemasDir = path.join(projectRoot, 'schemas');
export const labgradeVersion: string = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version;

/** The shared data folder (datasets, reference files): LABGRADE_SHARED, else ../shared beside the project. */
export function sharedDir(): string {
  return path.resolve(process.env.LABGRADE_SHARED ?? path.join(projectRoot, '..', 'shared'));
}
