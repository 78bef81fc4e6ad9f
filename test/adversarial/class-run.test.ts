/**
 * A class run with hostile students in it, graded as instructors grade (the CLI, two jobs): every
 * clean classmate gets full marks (the shared trained weights' 15 / 15 included), every class file
 * is written, duplicate ids and files shared by a hard link are flagged, nothing a student wrote
 * reaches the terminal raw, and a rerun grades again exactly the students whose graded files changed
 * (a dot file a lab file imports, a file an import would now resolve to).
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { projectRoot } from '../../src/paths.js';
import { CLASS_FILES } from '../../src/class/class-outputs.js';
import { CALIBRATION } from '../../src/engine/calibration.js';
import { convStepByStep } from '../../graders/conv-step-by-step.js';
import { REFERENCE } from '../grading/submissions.js';
import { SANDBOX } from '../sandbox-kind.js';
import { sharedFile } from '../shared-data.js';
import { writeKerasWeights } from '../models/keras-weights-file.js';
import { findChromium } from '../report/browser.js';

const BIN = path.join(projectRoot, 'bin', 'labgrade.js');
const weights = sharedFile('models/resnet50_signs_weights.h5');
const testSet = sharedFile('datasets/signs/test_signs.h5');
const dataDir = testSet ? path.resolve(testSet, '..', '..') : undefined;
const LAB3_STUB = 'export {};\n';

function student(root: string, folder: string, files: Record<string, string>, id?: string): string {
  const dir = path.join(root, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  if (id) writeFileSync(path.join(dir, 'student.json'), JSON.stringify({ id }));
  return dir;
}

const malformedFrame = REFERENCE.replace(
  'export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {',
  'export function zeroPad(X: tf.Tensor4D, pad: number): tf.Tensor4D {\n  new ((process.stdout as any).constructor)({ fd: 3, readable: false, writable: true }).write(Uint8Array.from([0, 0, 0, 16, 0xff, 0x0f, 0x6f, 0x22, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));',
);

describe('a class run with hostile students', () => {
  const run = dataDir && weights ? test : test.skip;
  run(
    'clean classmates get full marks, every class file is written, duplicates are flagged, reruns regrade what changed',
    async () => {
      const root = mkdtempSync(path.join(os.tmpdir(), 'labgrade-hostile-class-'));
      const cls = path.join(root, 'class');
      student(cls, 'clean-lab1', { 'conv-step-by-step.ts': REFERENCE }, 'clean1');
      copyFileSync(weights!, path.join(student(cls, 'clean-lab3', { 'residual-networks.ts': LAB3_STUB }, 'clean3'), 'resnet50.h5'));
      student(cls, 'raw-ipc-frame', { 'conv-step-by-step.ts': malformedFrame }, 'raw');
      execFileSync('mkfifo', [path.join(student(cls, 'fifo-lab-file', {}, 'fifo'), 'conv-step-by-step.ts')]);
      symlinkSync('/dev/zero', path.join(student(cls, 'dev-zero', {}, 'zero'), 'conv-step-by-step.ts'));
      student(cls, 'upsampling-model', {
        'residual-networks.ts': LAB3_STUB,
        'resnet50/model.json': JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'UpSampling2D', config: { size: [64, 64], batch_input_shape: [null, 64, 64, 3] } }] } }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }),
        'resnet50/weights.bin': '',
      }, 'ups');
      await writeKerasWeights(path.join(student(cls, 'gzip-bomb', { 'residual-networks.ts': LAB3_STUB }, 'bomb'), 'resnet50.h5'), [{ name: 'conv1', weights: [{ name: 'kernel', shape: [7, 7, 3, 64] }] }], 'chunked-gzip');
      student(cls, 'twin-a', { 'conv-step-by-step.ts': REFERENCE }, 'dup');
      student(cls, 'twin-b', { 'conv-step-by-step.ts': REFERENCE }, 'dup');
      // A lab file whose code is in a dot file; a folder name with a terminal escape in it.
      const dotted = student(cls, 'dot-import', { 'conv-step-by-step.ts': "export * from './.impl';\n", '.impl.ts': REFERENCE }, 'dotted');
      student(cls, 'esc\u001b[2Jape', { 'conv-step-by-step.ts': REFERENCE });
      // A student whose lab file is a hard link to a classmate's: neither can zero the other; both are flagged.
      const hardA = student(cls, 'hard-a', { 'conv-step-by-step.ts': REFERENCE }, 'harda');
      linkSync(path.join(hardA, 'conv-step-by-step.ts'), path.join(student(cls, 'hard-b', {}, 'hardb'), 'conv-step-by-step.ts'));
      // './impl' is impl/index.ts now; an impl.ts added later comes first, and a rerun must notice it.
      const resolving = student(cls, 'resolution-order', { 'conv-step-by-step.ts': "export * from './impl';\n", 'impl/index.ts': REFERENCE }, 'resolve');

      const out = path.join(root, 'graded');
      const grade = () => execaNode(BIN, ['grade-class', cls, '--out', out, '--jobs', '2', '--lab', 'conv-step-by-step', 'residual-networks', '--data', dataDir!, '--sandbox', SANDBOX], { reject: false, all: true, timeout: 600_000 });
      const first = await grade();
      expect({ exitCode: first.exitCode, output: first.all?.slice(-2000) }).toEqual({ exitCode: 0, output: expect.any(String) });
      for (const file of Object.values(CLASS_FILES)) expect([file, existsSync(path.join(out, file))]).toEqual([file, true]);
      const result = (folder: string) => JSON.parse(readFileSync(path.join(out, 'students', folder, 'result.json'), 'utf8'));
      const lab = (folder: string, id: string) => result(folder).labs.find((l: { id: string }) => l.id === id);
      expect(lab('clean-lab1', 'conv-step-by-step').points).toBe(50);
      // The time limits came from the reference's own time here: tighter than the fixed ones, above the floors.
      expect(first.stdout).toMatch(/conv-step-by-step: time limits from the reference's \d+\.\d s here: \d+ s a lab/);
      const limits = lab('clean-lab1', 'conv-step-by-step').limits;
      expect(limits.calibrated).toBe(true);
      expect(limits.labMs).toBeGreaterThanOrEqual(CALIBRATION.labFloorMs);
      expect(limits.labMs).toBeLessThanOrEqual(convStepByStep.timeouts.labMs);
      expect(lab('clean-lab3', 'residual-networks').exercises.find((e: { id: string }) => e.id === 'trainedModel').points).toBe(15);
      expect(lab('raw-ipc-frame', 'conv-step-by-step').exercises[0].status).toBe('error');
      expect(lab('fifo-lab-file', 'conv-step-by-step').message).toContain('is a FIFO (named pipe), not a regular file');
      expect(lab('dev-zero', 'conv-step-by-step').message).toContain('is a link that leads out of the submission folder');
      expect(lab('upsampling-model', 'residual-networks').exercises.find((e: { id: string }) => e.id === 'trainedModel').points).toBe(0);
      expect(lab('gzip-bomb', 'residual-networks').exercises.find((e: { id: string }) => e.id === 'trainedModel').checks[0].message).toContain('stored chunked or compressed');
      expect(lab('dot-import', 'conv-step-by-step').points).toBe(50);
      expect(lab('resolution-order', 'conv-step-by-step').points).toBe(50);
      expect([lab('hard-a', 'conv-step-by-step').points, lab('hard-b', 'conv-step-by-step').points]).toEqual([50, 50]);
      expect([result('hard-a').submission.sharedWith, result('hard-b').submission.sharedWith]).toEqual([['hard-b'], ['hard-a']]);
      // Duplicate ids: flagged in the gradebook, the summary and on the terminal.
      const gradebook = readFileSync(path.join(out, CLASS_FILES.gradebook), 'utf8');
      expect(gradebook.split('\n').filter((row) => row.includes(',dup,') && row.includes('duplicate id'))).toHaveLength(2);
      expect(readFileSync(path.join(out, CLASS_FILES.report), 'utf8')).toMatch(/Student ids claimed by more than one folder\n\n- dup: twin-a, twin-b/);
      expect(first.stderr).toContain('student id dup is claimed by 2 folders (twin-a, twin-b)');
      expect(gradebook.split('\n').find((row) => row.includes(',harda,'))).toContain('shares a file with hard-b (a hard link)');
      expect(gradebook.split('\n').find((row) => row.includes(',clean3,'))).toContain('trained model: the published weights');
      expect(readFileSync(path.join(out, CLASS_FILES.report), 'utf8')).toContain('- clean-lab3: the published weights\n');
      expect(readFileSync(path.join(out, CLASS_FILES.report), 'utf8')).toContain('- hard-a: hard-b\n- hard-b: hard-a\n');
      // Nothing a student named reaches the terminal raw.
      expect(first.all).not.toContain('\u001b');
      expect(first.all).toContain('esc\\x1b[2Jape');

      // The rerun keeps everyone unchanged but the student whose imported dot file changed.
      const notDividing = REFERENCE.replace('const average = dz / (nH * nW);', 'const average = dz;');
      writeFileSync(path.join(dotted, '.impl.ts'), notDividing);
      writeFileSync(path.join(resolving, 'impl.ts'), notDividing);
      const second = await grade();
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toMatch(/dot-import: \d+(\.\d+)? \/ \d+ \(\d+\.\d s\)/);
      expect(second.stdout).toMatch(/resolution-order: \d+(\.\d+)? \/ \d+ \(\d+\.\d s\)/);
      expect(second.stdout).toContain('clean-lab1: 50 / 100 (unchanged, kept)');
      expect(second.stdout).toContain('hard-b: 50 / 100 (unchanged, kept)');
      // distributeValue no longer divides: it and poolBackward's average-mode checks lose their points
      // (its 1×1 hidden case still passes, but an edge case a stub also passes unlocks nothing).
      expect(lab('dot-import', 'conv-step-by-step').points).toBe(46);
      expect(lab('resolution-order', 'conv-step-by-step').points).toBe(46);
    },
    900_000,
  );
});

describe('a class run whose hostile students reach for the bundler, folder names and the PDF printer', () => {
  test('each costs only itself: a file that crashes the bundler, a folder name that is not UTF-8, names that lead elsewhere in a file URL, a student not on the roster', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'labgrade-hostile-names-'));
    const cls = path.join(root, 'class');
    student(cls, 'bob', { 'conv-step-by-step.ts': REFERENCE }, 'bob-id');
    // Chromium reads a backslash in a file URL as a slash, climbs `..`, and stops the path at `?`.
    student(cls, 'a\\..\\bob', { 'conv-step-by-step.ts': REFERENCE });
    student(cls, 'b\\..\\..\\..\\..\\..\\..\\..\\..\\etc\\passwd?', { 'conv-step-by-step.ts': REFERENCE });
    student(cls, 'hash#', { 'conv-step-by-step.ts': REFERENCE });
    // 1,990,000 nested arrays crashed the esbuild process every bundle of the class run shared.
    const n = 1_990_000;
    student(cls, 'deep-bundle', { 'conv-step-by-step.ts': `import { d } from './deep';\nvoid d;\n${REFERENCE}`, 'deep.ts': `export const d = ${'['.repeat(n)}${']'.repeat(n)};\n` });
    student(cls, 'zz-after', { 'conv-step-by-step.ts': REFERENCE }, 'after');
    // Bytes that are not UTF-8: listed as a name that opens nothing.
    const notUtf8 = Buffer.concat([Buffer.from(`${cls}/`), Buffer.from([0xff, 0xfe])]);
    mkdirSync(notUtf8);
    writeFileSync(Buffer.concat([notUtf8, Buffer.from('/conv-step-by-step.ts')]), REFERENCE);
    const roster = path.join(root, 'roster.csv');
    writeFileSync(roster, 'folder,id,name,email\nbob,bob-id,Bob,bob@example.edu\n');
    const chromium = await findChromium();
    const out = path.join(root, 'graded');
    const r = await execaNode(BIN, ['grade-class', cls, '--out', out, '--jobs', '2', '--lab', 'conv-step-by-step', '--fixed-limits', '--roster', roster, '--sandbox', SANDBOX, ...(chromium ? ['--pdf'] : [])], { reject: false, all: true, timeout: 600_000 });
    expect({ exitCode: r.exitCode, output: r.all?.slice(-1500) }).toEqual({ exitCode: 0, output: expect.any(String) });
    const result = (folder: string) => JSON.parse(readFileSync(path.join(out, 'students', folder, 'result.json'), 'utf8'));
    for (const folder of ['bob', 'a\\..\\bob', 'hash#', 'zz-after']) expect([folder, result(folder).total.points]).toEqual([folder, 50]);
    expect(result('deep-bundle').labs[0].message).toMatch(/could not be compiled:\nthe bundler \(esbuild\) stopped on this submission's files: it runs out of stack or memory/);
    // A student off the roster with a student.json of its own is graded, under that id.
    expect(result('zz-after').student.id).toBe('after');
    const ungradable = JSON.parse(readFileSync(path.join(out, 'students', '\uFFFD\uFFFD', 'ungradable.json'), 'utf8'));
    expect(ungradable).toMatchObject({ retry: false, reason: expect.stringContaining('not valid UTF-8') });
    if (!chromium) return;
    const pdfText = (folder: string) => execFileSync('pdftotext', [path.join(out, 'students', folder, 'report.pdf'), '-'], { encoding: 'utf8' });
    expect(pdfText('bob')).toContain('bob-id');
    // Each PDF is its own report: not a classmate's, not a file of the host.
    expect(pdfText('a\\..\\bob')).not.toContain('bob-id');
    expect(pdfText('a\\..\\bob')).toContain('50 / 50');
    expect(pdfText('b\\..\\..\\..\\..\\..\\..\\..\\..\\etc\\passwd?')).not.toContain('root:');
    expect(pdfText('hash#')).toContain('50 / 50');
  }, 600_000);
});
