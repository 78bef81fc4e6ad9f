import { describe, expect, test } from '@jest/globals';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BundleError, bundleSubmission } from '../../src/sandbox/bundle.js';
import { openSubmission } from '../../src/engine/grade-submission.js';
import { projectRoot } from '../../src/paths.js';
import { makeSubmission } from '../grading/submissions.js';

const bundle = (dir: string, file = 'lab.ts', timeoutMs?: number) => bundleSubmission(openSubmission(dir), file, timeoutMs);

/** Runs a bundle's exported function the way a submission's process loads it (require gives tfjs only). */
function runExport(code: string, name: string): unknown {
  const module = { exports: {} as Record<string, () => unknown> };
  new Function('require', 'module', 'exports', code)(() => ({}), module, module.exports);
  return module.exports[name]();
}

describe('bundleSubmission', () => {
  test('keeps @tensorflow/tfjs external and inlines the submission\'s own files', async () => {
    const dir = makeSubmission({
      'lab.ts': "import * as tf from '@tensorflow/tfjs';\nimport { twice } from './helper';\nexport const f = (x: number): number => twice(x) + tf.version_core.length;\n",
      'helper.ts': 'export const twice = (x: number) => 2 * x;\n',
    });
    const bundled = await bundle(dir);
    expect(bundled.code).toContain('require("@tensorflow/tfjs")');
    expect(bundled.code).toMatch(/2 ?\* ?x/);
    expect(bundled.sourceMap.sources.some((s: string) => s.endsWith('helper.ts'))).toBe(true);
  });

  test.each([
    ["import * as fs from 'node:fs';", 'fs.readFileSync("x")', 'node:fs'],
    ["import { readFileSync } from 'fs';", 'readFileSync("x")', 'fs'],
    ["import lodash from 'lodash';", 'lodash.sum([1])', 'lodash'],
    ["import * as cp from 'child_process';", 'cp', 'child_process'],
  ])('a forbidden import (%s) bundles, and fails only where it is used', async (line, use, name) => {
    const dir = makeSubmission({ 'lab.ts': `${line}\nexport const uses = () => ${use};\nexport const fine = () => 42;\n` });
    const { code } = await bundle(dir);
    expect(runExport(code, 'fine')).toBe(42);
    if (use === 'cp') return; // merely referenced, never touched: nothing fails
    expect(() => runExport(code, 'uses')).toThrow(`Cannot use "${name}" (imported in lab.ts): a submission may import only @tensorflow/tfjs, labgrade/course-utils and its own files`);
  });

  test('a missing file of its own is an error, and so is a relative import out of the folder', async () => {
    const dir = makeSubmission({ 'lab.ts': "import { x } from './helper';\nexport const y = x;\n" });
    await expect(bundle(dir)).rejects.toThrow('Could not resolve "./helper": no such file in the submission');
    const outside = makeSubmission({ 'lab.ts': "import { x } from '../outside';\nexport const y = x;\n" });
    await expect(bundle(outside)).rejects.toThrow('../outside is outside the submission folder');
  });

  test('refuses a symlink that leads out of the submission folder', async () => {
    const dir = makeSubmission({ 'lab.ts': "export * from './linked';\n" });
    symlinkSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), path.join(dir, 'linked.ts'));
    await expect(bundle(dir)).rejects.toThrow(/linked\.ts is a link that leads out of the submission folder/);
  });

  test('refuses a hard link to a file elsewhere, a FIFO and a device behind a symlink', async () => {
    const elsewhere = makeSubmission({ 'secret.ts': 'export const s = 1;\n' });
    const dir = makeSubmission({ 'lab.ts': "export * from './hard';\n" });
    linkSync(path.join(elsewhere, 'secret.ts'), path.join(dir, 'hard.ts'));
    await expect(bundle(dir)).rejects.toThrow(/hard\.ts is a hard link shared with another file/);
    const fifo = makeSubmission({ 'lab.ts': "export * from './pipe';\n" });
    execFileSync('mkfifo', [path.join(fifo, 'pipe.ts')]);
    await expect(bundle(fifo)).rejects.toThrow(/pipe\.ts is a FIFO \(named pipe\), not a regular file/);
  });

  test('refuses an absolute import of labgrade\'s own files', async () => {
    const dir = makeSubmission({ 'lab.ts': `export * from ${JSON.stringify(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'))};\n` });
    await expect(bundle(dir)).rejects.toThrow(/outside the submission folder/);
  });

  test('a file that crashes the bundler fails its own bundle only: the next one builds', async () => {
    // 1,990,000 nested arrays: esbuild's parser ran out of stack, and its process (shared by a whole class run) stopped.
    const n = 1_990_000;
    const evil = makeSubmission({ 'lab.ts': "import { d } from './deep';\nexport const f = () => d;\n", 'deep.ts': `export const d = ${'['.repeat(n)}${']'.repeat(n)};\n` });
    await expect(bundle(evil)).rejects.toThrow(BundleError);
    const fine = makeSubmission({ 'lab.ts': 'export const f = () => 42;\n' });
    expect(runExport((await bundle(fine)).code, 'f')).toBe(42);
  }, 60_000);

  test('a bundler process that died while it waited for work is not given the next bundle', async () => {
    const dir = makeSubmission({ 'lab.ts': 'export const f = () => 7;\n' });
    await bundle(dir);
    // The idle worker is killed (the OOM killer, say): the next bundle starts another.
    for (const line of execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' }).split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      // This test's own workers only: the other test worker's bundles go on.
      if (ppid === process.pid && line.includes('bundle-worker.js')) process.kill(pid, 'SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runExport((await bundle(dir)).code, 'f')).toBe(7);
  });

  test('bundling stops at its time limit, and a file of nested blocks stays small', async () => {
    // export * diamonds: esbuild's time doubles with each level (26 levels took a minute).
    const levels = 24;
    const files: Record<string, string> = { 'lab.ts': "import * as deep from './a1';\nexport const f = () => deep;\n" };
    for (let i = 1; i <= levels; i++) {
      const next = i === levels ? '' : `export * from './a${i + 1}';\nexport * from './b${i + 1}';\n`;
      files[`a${i}.ts`] = `${next}export const x${i} = ${i};\n`;
      files[`b${i}.ts`] = `${next}export const y${i} = ${i};\n`;
    }
    const started = performance.now();
    await expect(bundle(makeSubmission(files), 'lab.ts', 500)).rejects.toThrow(/did not finish within 0\.5 s/);
    expect(performance.now() - started).toBeLessThan(10_000);
    // 15,000 nested blocks printed with their indentation made a 450 MB bundle.
    const nested = makeSubmission({ 'lab.ts': `export const f = () => { ${'{'.repeat(15_000)}${'}'.repeat(15_000)} return 1; };\n` });
    expect((await bundle(nested)).code.length).toBeLessThan(100_000);
  }, 60_000);

  test('an import path longer than 300 characters is refused (every name tried is recorded in result.json)', async () => {
    const deep = `${'d'.repeat(200)}/${'e'.repeat(200)}`;
    const dir = makeSubmission({ 'lab.ts': `import { x } from './${deep}/x';\nexport const f = () => x;\n` });
    await expect(bundle(dir)).rejects.toThrow(/an import path longer than 300 characters/);
  });

  test('a syntax error names file, line and column', async () => {
    const dir = makeSubmission({ 'lab.ts': 'export const a = 1;\nexport const b = (2;\n' });
    const error = await bundle(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as Error).message).toMatch(/^lab\.ts:2:\d+: Expected "\)"/);
  });

  test('files in sub-folders of the submission may be imported, and every file read is recorded', async () => {
    const dir = makeSubmission({ 'lab.ts': "export { z } from './lib/z';\nexport { d } from './.dot';\n", '.dot.ts': 'export const d = 4;\n' });
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'z.ts'), 'export const z = 3;\n');
    const files = openSubmission(dir);
    await expect(bundleSubmission(files, 'lab.ts')).resolves.toHaveProperty('code');
    expect(files.manifest().files.map((f) => f.name)).toEqual(['.dot.ts', 'lab.ts', 'lib/z.ts']);
  });
});
