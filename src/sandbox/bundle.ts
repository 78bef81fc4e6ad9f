/**
 * Turns a submission's TypeScript file into one CommonJS string for its process: types are stripped
 * (type errors cost no points), its own relative imports are inlined, and `@tensorflow/tfjs` stays
 * external (with the course helpers, labgrade/course-utils) so it resolves to labgrade's tfjs
 * wherever the submission lives.
 *
 * esbuild runs in the grading process, so it is given nothing of the file system: labgrade resolves
 * every import itself (a file of the submission by its own rules: the path, or the path with .ts,
 * .js, .mjs, .cjs or .json, or its index.ts or index.js; a .js import may name the .ts file) and
 * reads it through SubmissionFiles, in a namespace of its own, so esbuild never reads a
 * tsconfig.json (it would follow "extends" anywhere on the host), a package.json or a folder.
 * Every name tried is recorded, so that adding a file an import would now resolve to is noticed by
 * a class run's rerun. Any other import (`node:fs`, a package) becomes a module that throws when it
 * is used, naming the import: a debugging import left at the top costs only the functions using it.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { SubmissionFileError, type SubmissionFiles } from '../submission/submission-files.js';
import type { SubmissionBundle } from './session.js';

/** What a submission may import besides its own files; its process serves these itself. */
const PROVIDED_IMPORTS = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-core', 'labgrade/course-utils']);

/** A lab file, or a file it imports, may be this large at most (the largest fixture file a kit ships is 1.4 MB). */
export const MAX_SOURCE_BYTES = 4 << 20;

const SUBMISSION_NAMESPACE = 'submission';
const REFUSED_NAMESPACE = 'labgrade-refused-import';
const EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.json'];
const LOADERS: Record<string, esbuild.Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

/** A file's name in messages and stack traces: its path inside the submission, without esbuild's namespace. */
export function sourceName(bundled: string): string {
  return bundled.startsWith(`${SUBMISSION_NAMESPACE}:`) ? bundled.slice(SUBMISSION_NAMESPACE.length + 1) : path.basename(bundled);
}

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

/** The submission's file an import names (a '/'-separated path inside the folder), or null; every name tried is recorded. */
function resolveOwnFile(files: SubmissionFiles, wanted: string): string | null {
  const ext = path.posix.extname(wanted);
  const candidates = [
    ...(ext in LOADERS ? [wanted] : []),
    // TypeScript's own convention: import './helper.js' for helper.ts.
    ...(['.js', '.mjs', '.cjs'].includes(ext) ? [`${wanted.slice(0, -ext.length)}.${ext === '.js' ? 'ts' : ext === '.mjs' ? 'mts' : 'cts'}`] : []),
    ...EXTENSIONS.map((e) => `${wanted}${e}`),
    `${wanted}/index.ts`,
    `${wanted}/index.js`,
  ];
  return candidates.find((candidate) => files.isFile(candidate)) ?? null;
}

export async function bundleSubmission(files: SubmissionFiles, labFile: string): Promise<SubmissionBundle> {
  const filename = path.join(files.root, labFile);
  const sources = new Map<string, string>();
  const confine: esbuild.Plugin = {
    name: 'labgrade-confine',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return { path: labFile, namespace: SUBMISSION_NAMESPACE };
        if (PROVIDED_IMPORTS.has(args.path)) return { path: args.path, external: true };
        if (!args.path.startsWith('./') && !args.path.startsWith('../')) {
          if (path.isAbsolute(args.path)) return { errors: [{ text: `${path.basename(args.path).slice(0, 100)} is outside the submission folder (an absolute import): import the submission's own files by relative paths` }] };
          return { path: args.path, namespace: REFUSED_NAMESPACE, pluginData: args.importer };
        }
        const wanted = path.posix.normalize(path.posix.join(path.posix.dirname(args.importer), args.path));
        if (wanted.startsWith('../') || wanted === '..') return { errors: [{ text: `${args.path.slice(0, 100)} is outside the submission folder` }] };
        const found = resolveOwnFile(files, wanted);
        if (!found) return { errors: [{ text: `Could not resolve "${args.path.slice(0, 100)}": no such file in the submission (tried ${wanted}, with .ts, .js, .mjs, .cjs, .json and index.ts)` }] };
        return { path: found, namespace: SUBMISSION_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: REFUSED_NAMESPACE }, (args) => ({ contents: refusedModule(args.path, args.pluginData as string), loader: 'js' }));
      build.onLoad({ filter: /.*/, namespace: SUBMISSION_NAMESPACE }, (args) => {
        try {
          const contents = files.readText(args.path, MAX_SOURCE_BYTES);
          sources.set(args.path, contents);
          return { contents, loader: LOADERS[path.posix.extname(args.path)] ?? 'ts' };
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
      entryPoints: [labFile],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      // No tsconfig.json is read: these are the only settings.
      tsconfigRaw: {},
      sourcemap: 'external',
      sourcesContent: false,
      outfile: 'submission.bundle.js',
      absWorkingDir: files.root,
      logLevel: 'silent',
      plugins: [confine],
    });
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    if (!failure.errors) throw err;
    const lines = failure.errors.slice(0, 5).map((e) => {
      const where = e.location ? `${sourceName(e.location.file)}:${e.location.line}:${e.location.column + 1}: ` : '';
      const code = e.location?.lineText ? `\n    ${e.location.lineText.trim().slice(0, 200)}` : '';
      return `${where}${e.text.slice(0, 500)}${code}`;
    });
    throw new BundleError(lines.join('\n'));
  }
  const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text;
  return { code, filename, sourceMap: JSON.parse(map), sources };
}
