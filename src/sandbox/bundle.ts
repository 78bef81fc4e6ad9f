/**
 * Turns a submission's TypeScript file into one CommonJS string for its process: types are stripped
 * (type errors cost no points), its own relative imports are inlined, and `@tensorflow/tfjs` stays
 * external (with the course helpers, labgrade/course-utils) so it resolves to labgrade's tfjs
 * wherever the submission lives. Anything else it
 * imports, or any file outside its folder (symlinks included), is refused with a clear message.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { SubmissionBundle } from './session.js';

/** What a submission may import besides its own files; its process serves these itself. */
const PROVIDED_IMPORTS = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-core', 'labgrade/course-utils']);

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export async function bundleSubmission(file: string): Promise<SubmissionBundle> {
  const root = realpathSync(path.dirname(file));
  const confine: esbuild.Plugin = {
    name: 'labgrade-confine',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (PROVIDED_IMPORTS.has(args.path)) return { path: args.path, external: true };
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) {
          return { errors: [{ text: `imports "${args.path}": a submission may import only @tensorflow/tfjs, labgrade/course-utils and files in its own folder` }] };
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/ }, (args) => {
        let real: string;
        try {
          real = realpathSync(args.path);
        } catch {
          return undefined;
        }
        if (!isInside(root, real)) {
          return { errors: [{ text: `${path.relative(root, args.path)} is outside the submission folder (it resolves to a file elsewhere)` }] };
        }
        return undefined;
      });
    },
  };
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      resolveExtensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      sourcemap: 'external',
      sourcesContent: false,
      outfile: path.join(root, 'submission.bundle.js'),
      logLevel: 'silent',
      plugins: [confine],
    });
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    if (!failure.errors) throw err;
    const lines = failure.errors.slice(0, 5).map((e) => {
      const where = e.location ? `${path.basename(e.location.file)}:${e.location.line}:${e.location.column + 1}: ` : '';
      const code = e.location?.lineText ? `\n    ${e.location.lineText.trim()}` : '';
      return `${where}${e.text}${code}`;
    });
    throw new BundleError(lines.join('\n'));
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text;
  return { code, filename: file, sourceMap: JSON.parse(map) };
}
