/**
 * Which sandbox a command runs submitted code (and model files) in. Grading on Linux uses
 * bubblewrap, and stops with the install step where it cannot start, unless the instructor opts
 * out with `--sandbox node` (recorded in every result). The bundled example submissions are
 * labgrade's own files and may run without it, saying so. `check` (a student's own code on their
 * own machine, any OS) keeps the permission model alone unless asked.
 */
import path from 'node:path';
import { realpathSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { bwrapStatus, INSTALL_BWRAP, parseSandboxKind, type SandboxKind } from '../sandbox/os-sandbox.js';

export interface SandboxChoice {
  kind: SandboxKind;
  /** Recorded in result.json, the reports and the class summary where the OS sandbox did not run. */
  note?: string;
}

const EXAMPLES = path.join(projectRoot, 'examples', 'submissions');

function isBundledExample(dir: string): boolean {
  try {
    const rel = path.relative(realpathSync(EXAMPLES), realpathSync(dir));
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  } catch {
    return false;
  }
}

export const OPTED_OUT = "graded under Node's permission model alone (--sandbox node): no OS sandbox, so the submission's code had network access and saw the file system the permission model allows";

export function chooseSandbox(requested: string | undefined, use: 'grade' | 'check', submissionDirs: readonly string[] = []): SandboxChoice {
  const kind = requested === undefined ? undefined : parseSandboxKind(requested);
  if (kind === 'node') return use === 'check' ? { kind } : { kind, note: OPTED_OUT };
  if (kind === undefined && use === 'check') return { kind: 'node' };
  const status = bwrapStatus();
  if (status.available) return { kind: 'bwrap' };
  if (kind === undefined && submissionDirs.length > 0 && submissionDirs.every(isBundledExample)) {
    const note = `${status.reason}; the bundled example submissions are labgrade's own files, so they ran under Node's permission model alone`;
    process.stderr.write(`labgrade: ${note}.\n`);
    return { kind: 'node', note };
  }
  throw new UsageError(
    `the OS sandbox for submitted code cannot start: ${status.reason}. Install it (${INSTALL_BWRAP}), or pass --sandbox node to rely on Node's permission model alone (recorded in result.json, the reports and the class summary)`,
  );
}
