/**
 * A bundler process (bundle.ts): runs esbuild over a submission whose every file it asks the
 * grading process for, over IPC, and answers with the bundle or esbuild's errors; then waits for
 * the next bundle. A file that crashes esbuild, or holds it for minutes, ends this process alone.
 */
import path from 'node:path';
import * as esbuild from 'esbuild';
import { LOADERS, PROVIDED_IMPORTS, REFUSED_NAMESPACE, refusedModule, sourceName, SUBMISSION_NAMESPACE } from './bundle.js';

/** The most a bundle and its source map may hold together (a lab's files are 32 MB at most). */
const MAX_BUNDLE_CHARS = 64 << 20;
/** The longest path inside the submission an import may name. */
const MAX_PATH_CHARS = 300;

let job = 0;
let labFile = '';
let nextId = 0;
const pending = new Map<number, (reply: { ok?: string | boolean; error?: string }) => void>();
const ask = (type: 'isFile' | 'read', name: string) =>
  new Promise<{ ok?: string | boolean; error?: string }>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    process.send!({ type, job, id, name });
  });

const confine: esbuild.Plugin = {
  name: 'labgrade-confine',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind === 'entry-point') return { path: labFile, namespace: SUBMISSION_NAMESPACE };
      if (PROVIDED_IMPORTS.has(args.path)) return { path: args.path, external: true };
      if (!args.path.startsWith('./') && !args.path.startsWith('../')) {
        if (path.isAbsolute(args.path)) return { errors: [{ text: `${path.basename(args.path).slice(0, 100)} is outside the submission folder (an absolute import): import the submission's own files by relative paths` }] };
        return { path: args.path, namespace: REFUSED_NAMESPACE, pluginData: args.importer };
      }
      const wanted = path.posix.normalize(path.posix.join(path.posix.dirname(args.importer), args.path));
      // Every name tried is recorded in result.json: a path may not be a novel.
      if (wanted.length > MAX_PATH_CHARS) return { errors: [{ text: `an import path longer than ${MAX_PATH_CHARS} characters (${wanted.slice(0, 60)}…)` }] };
      if (wanted.startsWith('../') || wanted === '..') return { errors: [{ text: `${args.path.slice(0, 100)} is outside the submission folder` }] };
      const found = await ask('isFile', wanted);
      if (found.error) return { errors: [{ text: found.error }] };
      if (typeof found.ok !== 'string') return { errors: [{ text: `Could not resolve "${args.path.slice(0, 100)}": no such file in the submission (tried ${wanted}, with .ts, .js, .mjs, .cjs, .json and index.ts)` }] };
      return { path: found.ok, namespace: SUBMISSION_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: REFUSED_NAMESPACE }, (args) => ({ contents: refusedModule(args.path, args.pluginData as string), loader: 'js' }));
    build.onLoad({ filter: /.*/, namespace: SUBMISSION_NAMESPACE }, async (args) => {
      const read = await ask('read', args.path);
      if (typeof read.ok !== 'string') return { errors: [{ text: read.error ?? `${args.path} could not be read` }] };
      return { contents: read.ok, loader: LOADERS[path.posix.extname(args.path)] ?? 'ts' };
    });
  },
};

/** esbuild's process died under the submission's files ("The service was stopped"): say what that usually means. */
function bundlerStopped(message: string): string {
  const died = /service (was stopped|is no longer running)/i.test(message);
  return died
    ? "the bundler (esbuild) stopped on this submission's files: it runs out of stack or memory on code nested thousands of levels deep"
    : `the bundler failed on this submission's files: ${message.split('\n')[0].slice(0, 300)}`;
}

async function bundle(): Promise<object> {
  try {
    const result = await esbuild.build({
      entryPoints: [labFile],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      // No tsconfig.json is read: these are the only settings.
      tsconfigRaw: {},
      // Whitespace only: nested blocks printed with their indentation grow with the square of the
      // depth (15,000 empty blocks made 450 MB). Stack traces go through the source map anyway.
      minifyWhitespace: true,
      sourcemap: 'external',
      sourcesContent: false,
      outfile: 'submission.bundle.js',
      absWorkingDir: '/',
      logLevel: 'silent',
      plugins: [confine],
    });
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!.text;
    if (code.length + map.length > MAX_BUNDLE_CHARS) return { type: 'failed', job, errors: [`the compiled submission is larger than ${MAX_BUNDLE_CHARS >> 20} MB`] };
    return { type: 'built', job, code, map };
  } catch (err) {
    const failure = err as esbuild.BuildFailure;
    const errors = failure.errors
      ? failure.errors.slice(0, 5).map((e) => {
          const where = e.location ? `${sourceName(e.location.file)}:${e.location.line}:${e.location.column + 1}: ` : '';
          const code = e.location?.lineText ? `\n    ${e.location.lineText.trim().slice(0, 200)}` : '';
          return `${where}${e.text.slice(0, 500)}${code}`;
        })
      : [bundlerStopped(String((err as Error).message ?? err))];
    return { type: 'failed', job, errors };
  }
}

process.on('message', (m: { type?: 'bundle'; job: number; labFile?: string; id?: number; ok?: string | boolean; error?: string }) => {
  if (m.type === 'bundle') {
    job = m.job;
    labFile = m.labFile!;
    void bundle().then((reply) => process.send!(reply));
    return;
  }
  if (m.job !== job || m.id === undefined) return;
  pending.get(m.id)?.(m);
  pending.delete(m.id);
});

// The grading process is gone (or let this worker go): esbuild's process ends with this one.
process.on('disconnect', () => process.exit(0));
