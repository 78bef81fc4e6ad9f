/**
 * A hash of everything in a submission folder but dot files (relative paths, file contents, symlink targets), so
 * that a class run can tell an unchanged submission from a changed one and skip regrading it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export function hashSubmission(dir: string): string {
  const hash = createHash('sha256');
  const walk = (relative: string) => {
    // Dot files and folders (.git, .DS_Store) are not the submission.
    const entries = readdirSync(path.join(dir, relative))
      .filter((name) => !name.startsWith('.'))
      .sort();
    for (const name of entries) {
      const rel = path.join(relative, name);
      const full = path.join(dir, rel);
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) hash.update(`link\0${rel}\0${readlinkSync(full)}\0`);
      else if (stat.isDirectory()) walk(rel);
      else if (stat.isFile()) hash.update(`file\0${rel}\0${stat.size}\0`).update(readFileSync(full)).update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}
