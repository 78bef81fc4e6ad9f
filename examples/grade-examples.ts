/**
 * `npm run examples`: grades a small example class on all three labs with the real commands
 * (grade-class, export) and writes what an instructor gets, in out/examples/. The class is made
 * here from labgrade's own files: the Lab 1 example submissions, the reference solutions, the
 * reference with a mistake the course's sample lab report made, and the shared trained ResNet50
 * weights where the shared folder has them. What cannot run here (no SIGNS data, no weights, no
 * Chromium, no bubblewrap) is said, and the rest still runs.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, sharedDir } from '../src/paths.js';
import { datasetsDir } from '../src/data/datasets-dir.js';
import { bwrapStatus } from '../src/sandbox/os-sandbox.js';

/** `--out <dir>` moves everything written (the test suite writes to a temporary folder). */
const outAt = process.argv.indexOf('--out');
const OUT = outAt > 0 && process.argv[outAt + 1] ? path.resolve(process.argv[outAt + 1]) : path.join(projectRoot, 'out', 'examples');
const CLASS = path.join(OUT, 'submissions');
const GRADED = path.join(OUT, 'graded');
const EXAMPLES = path.join(projectRoot, 'examples');
const TRAINED_WEIGHTS = path.join(sharedDir(), 'models', 'resnet50_signs_weights.h5');

/** A file of the example class: copied from labgrade's own files, with named replacements. */
interface ClassFile {
  from: string;
  /** [what, with what, why]: each `what` must occur in the file; every occurrence is replaced. */
  mistakes?: [string, string, string][];
}

const STUDENTS: Record<string, Record<string, ClassFile>> = {
  'ada-vectorized': {
    'student.json': { from: 'examples/submissions/correct-vectorized/student.json' },
    'conv-step-by-step.ts': { from: 'examples/submissions/correct-vectorized/conv-step-by-step.ts' },
    'conv-application.ts': { from: 'solutions/conv-application.ts' },
    'residual-networks.ts': { from: 'solutions/residual-networks.ts' },
  },
  'sample-report': {
    'student.json': { from: 'examples/submissions/sample-report-mistakes/student.json' },
    'conv-step-by-step.ts': { from: 'examples/submissions/sample-report-mistakes/conv-step-by-step.ts' },
    'conv-application.ts': {
      from: 'solutions/conv-application.ts',
      mistakes: [["tf.maxPool(A2, 4, 4, 'same')", "tf.maxPool(A2, 8, 8, 'same')", "the second max pool copies the first one's 8×8 window (the recipe's is 4×4)"]],
    },
    'residual-networks.ts': {
      from: 'solutions/residual-networks.ts',
      mistakes: [['[512, 512, 2048]', '[256, 256, 2048]', "stage 5's filters are the old notebook's [256, 256, 2048], as in the sample lab report"]],
    },
  },
};

function say(line: string): void {
  process.stdout.write(`examples: ${line}\n`);
}

function writeClass(): void {
  // Only what an earlier run wrote is removed: --out may name a folder that holds other things.
  for (const earlier of [CLASS, GRADED]) rmSync(earlier, { recursive: true, force: true });
  for (const [student, files] of Object.entries(STUDENTS)) {
    const dir = path.join(CLASS, student);
    mkdirSync(dir, { recursive: true });
    for (const [name, file] of Object.entries(files)) {
      let text = readFileSync(path.join(projectRoot, file.from), 'utf8');
      for (const [what, withWhat, why] of file.mistakes ?? []) {
        if (!text.includes(what)) throw new Error(`examples: ${file.from} no longer holds "${what}" (the mistake "${why}" cannot be made)`);
        text = text.split(what).join(withWhat);
        say(`${student}/${name}: ${why}`);
      }
      writeFileSync(path.join(dir, name), text);
    }
  }
  if (existsSync(TRAINED_WEIGHTS)) {
    // A copy, not a link: submissions are regular files with one link.
    copyFileSync(TRAINED_WEIGHTS, path.join(CLASS, 'ada-vectorized', 'resnet50.h5'));
    say(`ada-vectorized/resnet50.h5: the shared trained ResNet50 (${TRAINED_WEIGHTS}), which labgrade recognises as the course's published weights`);
  } else {
    say(`skipped: no trained ResNet50 at ${TRAINED_WEIGHTS} (set LABGRADE_SHARED to the shared folder), so nobody hands in a trained model and Lab 3's trained-model check scores nothing`);
  }
  if (!existsSync(path.join(datasetsDir(), 'signs'))) {
    say(`skipped: no SIGNS data in ${datasetsDir()} (set LABGRADE_SHARED or LABGRADE_DATA), so Lab 2's training and Lab 3's trained model are reported as skipped`);
  }
}

/** Runs the CLI as a user would; `stdoutFile` keeps what it prints (a student's terminal) in a file. */
function labgrade(args: string[], stdoutFile?: string): void {
  const shown = args.map((a) => path.isAbsolute(a) ? path.relative(projectRoot, a) || '.' : a).join(' ');
  say(`labgrade ${shown}${stdoutFile ? ` > ${path.relative(projectRoot, stdoutFile)}` : ''}`);
  const stdout = stdoutFile ? openSync(stdoutFile, 'w') : 'inherit';
  const run = spawnSync(process.execPath, [path.join(projectRoot, 'bin', 'labgrade.js'), ...args], { stdio: ['ignore', stdout, 'inherit'] });
  if (typeof stdout === 'number') closeSync(stdout);
  // grade-class exits 1 when a student fails a check, as it should in CI; the examples have failures on purpose.
  if (run.status !== 0 && run.status !== 1) throw new Error(`examples: labgrade ${args[0]} ended with ${run.signal ?? `exit code ${run.status}`}`);
}

function main(): void {
  writeClass();
  const bwrap = bwrapStatus();
  const sandbox = bwrap.available ? [] : ['--sandbox', 'node'];
  if (!bwrap.available) say(`${bwrap.reason}: the example class is labgrade's own files, so it runs under Node's permission model alone (real submissions need bubblewrap)`);
  const roster = path.join(EXAMPLES, 'roster.csv');
  labgrade([
    'grade-class', CLASS, '--out', GRADED,
    '--config', path.join(EXAMPLES, 'labgrade.config.json'), '--roster', roster,
    // The reference's own timing run would train Lab 2 a second time; the fixed limits are generous.
    '--fixed-limits', '--pdf', ...sandbox,
  ]);
  // What a student sees: the public checks, and Lab 2's training with its cost curve (a graded hidden case keeps its numbers out of reports).
  labgrade(['check', path.join(CLASS, 'ada-vectorized', 'conv-application.ts'), ...sandbox], path.join(OUT, 'check-ada-conv-application.txt'));
  labgrade(['export', 'canvas', GRADED, '--out', path.join(OUT, 'canvas.csv'), '--roster', roster]);
  labgrade(['export', 'moodle', GRADED, '--out', path.join(OUT, 'moodle.csv'), '--roster', roster]);
  say(`done: open ${path.relative(process.cwd(), path.join(GRADED, 'summary.html'))}; README's "The examples, a tour" says what each file is`);
}

main();
