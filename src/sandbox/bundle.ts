/**
 * Turns a submission's TypeScript file into one CommonJS string for its process: types are stripped
 * (type errors cost no points), its own relative imports are inlined, and `@tensorflow/tfjs` stays
 * external (with the course helpers, labgrade/course-utils) so it resolves to labgrade's tfjs
 * wherever the submission lives. Every file is read through SubmissionFiles (regular files inside
 * the folder only). Any other import (`node:fs`, a package) becomes a module that throws when it is
 * used, naming the import: a debugging import left at the top costs only the functions that use it.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { SubmissionFileError, type SubmissionFiles } from '../submission/submission-files.js';
import type { SubmissionBundle } from './session.js';

/** What a submission may import besides its own files; its process serves these itself. */
const PROVIDED_IMPORTS = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-core', 'labgrade/course-utils']);

/** A lab file, or a file it imports, may be this large at most (the largest fixture file a kit ships is 1.4 MB). */
export const MAX_SOURCE_BYTES = 4 << 20;

const REFUSED_NAMESPACE = 'labgrade-refused-import';

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/**
 * A module standing in for an import a submission may not make: loading it does nothing, and any
 * use of what it exports throws, naming the import and where it is.
 */
function refusedModule(specifier: string, importer: string): string {
  const message = `Cannot use "${specifier.slice(0, 100)}" (imported in ${importer.slice(0, 100)}): a submission may import only @tensorflow/tfjs, labgrade/course-utils and its own files`;
  return `const message = ${JSON.stringify(message)};
const refuse = () => { throw new Error(message); };
const quiet = (key) => key === '__esModule' || key === 'then' || typeof key === 'symbol';
const refused = new Proxy(() => {}, {
  get: (_, key) => (quiet(key) ? undefined : refuse()),
  set: refuse, apply: refuse, construct: refuse, has: () => false, ownKeys: () => [],
  getPrototypeOf: () => refused,
});
module.exports = refused;`;
}

export async function bundleSubmission(files: SubmissionFiles, labFile: string): Promise<SubmissionBundle> {
  const file = path.join(files.root, labFile);
  const confine: esbuild.Plugin = {
    name: 'labgrade-confine',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (PROVIDED_IMPORTS.has(args.path)) return { path: args.path, external: true };
        if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) {
          return { path: args.path, namespace: REFUSED_NAMESPACE, pluginData: files.relative(args.importer) };
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: REFUSED_NAMESPACE }, (args) => ({ contents: refusedModule(args.path, args.pluginData as string), loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const rel = files.relative(args.path);
        if (rel.startsWith('..') || path.isAbsolute(rel)) return { errors: [{ text: `${path.basename(args.path)} is outside the submission folder (a link to a file elsewhere): submit the file itself` }] };
        try {
          const contents = files.readText(rel, MAX_SOURCE_BYTES);
          const loader = (/\.(ts|js|mjs|cjs|json)$/.exec(rel)?.[1] ?? 'ts') as 'ts' | 'js' | 'json';
          return { contents, loader: loader === 'js' || loader === 'ts' || loader === 'json' ? loader : 'js' };
        } catch (err) {
          if (err instanceof SubmissionFileError) return { errors: [{ text: err.message }] };
          throw err;
        }
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
      outfile: path.join(files.root, 'submission.bundle.js'),
      logLevel: 'silent',
      plugins: [confine],
    });
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    if (!failure.errors) throw err;
    const lines = failure.errors.slice(0, 5).map((e) => {
      const where = e.location ? `${path.basename(e.location.file)}:${e.location.line}:${e.location.column + 1}: ` : '';
      const code = e.location?.lineText ? `\n    ${e.location.lineText.trim().slice(0, 200)}` : '';
      return `${where}${e.text.slice(0, 500)}${code}`;
    });
    throw new BundleError(lines.join('\n'));
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text;
  return { code, filename: file, sourceMap: JSON.parse(map) };
}
