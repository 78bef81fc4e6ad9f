import { describe, expect, test } from '@jest/globals';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BundleError, bundleSubmission } from '../../src/sandbox/bundle.js';
import { projectRoot } from '../../src/paths.js';
import { makeSubmission } from '../grading/submissions.js';

describe('bundleSubmission', () => {
  test('keeps @tensorflow/tfjs external and inlines the submission\'s own files', async () => {
    const dir = makeSubmission({
      'lab.ts': "import * as tf from '@tensorflow/tfjs';\nimport { twice } from './helper';\nexport const f = (x: number): number => twice(x) + tf.version_core.length;\n",
      'helper.ts': 'export const twice = (x: number) => 2 * x;\n',
    });
    const bundle = await bundleSubmission(path.join(dir, 'lab.ts'));
    expect(bundle.code).toContain('require("@tensorflow/tfjs")');
    expect(bundle.code).toContain('2 * x');
    expect(bundle.sourceMap.sources.some((s: string) => s.endsWith('helper.ts'))).toBe(true);
  });

  test.each([
    ["import x from 'node:fs';", 'imports "node:fs"'],
    ["import x from 'lodash';", 'imports "lodash"'],
    ["import { x } from '../outside';", 'Could not resolve'],
  ])('refuses %s', async (line, message) => {
    // TypeScript drops unused imports, so the import is used.
    const dir = makeSubmission({ 'lab.ts': `${line}\nexport const y = x;\n` });
    await expect(bundleSubmission(path.join(dir, 'lab.ts'))).rejects.toThrow(message);
  });

  test('refuses a symlink that leads out of the submission folder', async () => {
    const dir = makeSubmission({ 'lab.ts': "export * from './linked';\n" });
    symlinkSync(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'), path.join(dir, 'linked.ts'));
    await expect(bundleSubmission(path.join(dir, 'lab.ts'))).rejects.toThrow(/outside the submission folder/);
  });

  test('refuses an absolute import of labgrade\'s own files', async () => {
    const dir = makeSubmission({ 'lab.ts': `export * from ${JSON.stringify(path.join(projectRoot, 'solutions', 'conv-step-by-step.ts'))};\n` });
    await expect(bundleSubmission(path.join(dir, 'lab.ts'))).rejects.toThrow(/outside the submission folder/);
  });

  test('a syntax error names file, line and column', async () => {
    const dir = makeSubmission({ 'lab.ts': 'export const a = 1;\nexport const b = (2;\n' });
    const error = await bundleSubmission(path.join(dir, 'lab.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as Error).message).toMatch(/^lab\.ts:2:\d+: Expected "\)"/);
  });

  test('files in sub-folders of the submission may be imported', async () => {
    const dir = makeSubmission({ 'lab.ts': "export { z } from './lib/z';\n" });
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'z.ts'), 'export const z = 3;\n');
    await expect(bundleSubmission(path.join(dir, 'lab.ts'))).resolves.toHaveProperty('code');
  });
});
