/**
 * Turns a submission's TypeScript file into one CommonJS string for its process: types are stripped
 * (type errors cost no points), its own relative imports are inlined, and `@tensorflow/tfjs` stays
 * external (with the course helpers, labgrade/course-utils) so it resolves to labgrade's tfjs
 * wherever the submission lives.
 *
 * esbuild runs in a process of its own per bundle (bundle-worker.ts), under a time limit, and is
 * given nothing of the file system: labgrade resolves every import itself (a file of the submission
 * by its own rules: the path, or the path with .ts, .js, .mjs, .cjs or .json, or its index.ts or
 * index.js; a .js import may name the .ts file) and this process reads it through SubmissionFiles
 * and hands it over, so esbuild never reads a tsconfig.json (it would follow "extends" anywhere on
 * the host), a package.json or a folder. Every name tried is recorded, so that adding a file an
 * import would now resolve to is noticed by a class run's rerun. Any other import (`node:fs`, a
 * package) becomes a module that throws when it is used, naming the import: a debugging import
 * left at the top costs only the functions using it.
 */
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import type { Loader } from 'esbuild';
import { SubmissionFileError, type SubmissionFiles } from '../submission/submission-files.js';
import { distDir } from '../paths.js';
import { SourceMap, type SourceMapPayload } from 'node:module';

export interface SubmissionBundle {
  code: string;
  /** The submission file's path, used as the module's filename so stack traces name it. */
  filename: string;
  /** esbuild's source map of `code`, to turn bundle positions in stack traces into the student's lines. */
  sourceMap: SourceMapPayload;
  /** The text of each of the submission's own files the code was built from (the lab file first), by path in the folder. */
  sources: ReadonlyMap<string, string>;
}

/** What a submission may import besides its own files; its process serves these itself. */
export const PROVIDED_IMPORTS = new Set(['@tensorflow/tfjs', '@tensorflow/tfjs-core', 'labgrade/course-utils']);

/** A lab file, or a file it imports, may be this large at most (the largest fixture file a kit ships is 1.4 MB). */
export const MAX_SOURCE_BYTES = 4 << 20;

export const SUBMISSION_NAMESPACE = 'submission';
export const REFUSED_NAMESPACE = 'labgrade-refused-import';
const EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.json'];
export const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

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
export function refusedModule(specifier: string, importer: string): string {
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

/** The most a bundle may read: files, and bytes over all of them. */
export const BUNDLE_LIMITS = { files: 500, totalBytes: 32 << 20, lookups: 5000 } as const;

/** How long bundling may take at most, and the memory its process may hold (esbuild's own is held to a soft limit). */
export const BUNDLE_TIMEOUT_MS = 60_000;
const WORKER_HEAP_MB = 1024;

type WorkerRequest = { type: 'isFile' | 'read'; job: number; id: number; name: string };
type WorkerReply = { type: 'built'; job: number; code: string; map: string } | { type: 'failed'; job: number; errors: string[] };

/**
 * Bundler processes (bundle-worker.ts), each running its own esbuild and one bundle at a time:
 * a bundle takes an idle one or starts another, so bundles running side by side (a class run's
 * jobs) never share a process. One that finishes a bundle waits for the next; one that failed,
 * crashed or ran out of time is killed with its esbuild, so whatever a submission did to it ends
 * there.
 */
const idle: ChildProcess[] = [];
let jobs = 0;

function startWorker(): ChildProcess {
  const worker = fork(path.join(distDir, 'src', 'sandbox', 'bundle-worker.js'), [], {
    execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`],
    // esbuild's Go process inherits this: its collector keeps the heap under it where it can.
    env: { ...process.env, GOMEMLIMIT: `${WORKER_HEAP_MB}MiB` },
    // Its own process group: killing it kills its esbuild too.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  // A worker that dies (killed, out of memory) leaves the pool, and its errors (a closed channel, a
  // failed fork) are the bundle's own: a bundle in progress hears them through 'exit'.
  worker.on('error', () => killWorker(worker));
  worker.once('exit', () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  });
  return worker;
}

/** An idle worker that can still take a bundle. */
function takeIdle(): ChildProcess | undefined {
  for (let worker = idle.pop(); worker; worker = idle.pop()) {
    if (worker.connected && worker.exitCode === null && worker.signalCode === null) return worker;
  }
  return undefined;
}

function killWorker(worker: ChildProcess): void {
  try {
    if (worker.pid) process.kill(-worker.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** An idle worker keeps no grading process alive. */
function setIdle(worker: ChildProcess, isIdle: boolean): void {
  const handles = [worker, worker.channel, worker.stderr] as ({ ref(): void; unref(): void } | null | undefined)[];
  for (const h of handles) (isIdle ? h?.unref() : h?.ref());
}

/**
 * Bundles in a bundler process of its own; this process serves every file it reads, by the
 * submission's rules. A file that crashes esbuild, or makes it run for minutes or take gigabytes,
 * costs only its own submission. `timeoutMs` (what is left of the lab's time) bounds it.
 */
export async function bundleSubmission(files: SubmissionFiles, labFile: string, timeoutMs = BUNDLE_TIMEOUT_MS): Promise<SubmissionBundle> {
  const filename = path.join(files.root, labFile);
  const sources = new Map<string, string>();
  let bytes = 0;
  let lookups = 0;
  const serve = (request: WorkerRequest): { ok: boolean | string } | { error: string } => {
    if (request.type === 'isFile') {
      // Every name looked for is recorded in result.json, a miss too: so many and no more.
      if (++lookups > BUNDLE_LIMITS.lookups) return { error: `the submission's imports look for more than ${BUNDLE_LIMITS.lookups} files` };
      return { ok: resolveOwnFile(files, request.name) ?? false };
    }
    if (!sources.has(request.name) && sources.size >= BUNDLE_LIMITS.files) return { error: `the submission imports more than ${BUNDLE_LIMITS.files} files` };
    try {
      const contents = sources.get(request.name) ?? files.readText(request.name, MAX_SOURCE_BYTES);
      if (!sources.has(request.name)) {
        bytes += Buffer.byteLength(contents);
        if (bytes > BUNDLE_LIMITS.totalBytes) return { error: `the submission's files add up to more than ${BUNDLE_LIMITS.totalBytes >> 20} MB` };
        sources.set(request.name, contents);
      }
      return { ok: contents };
    } catch (err) {
      if (err instanceof SubmissionFileError) return { error: err.message };
      throw err;
    }
  };
  const worker = takeIdle() ?? startWorker();
  setIdle(worker, false);
  const job = ++jobs;
  let stderr = '';
  const onStderr = (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000));
  worker.stderr?.on('data', onStderr);
  let onMessage: (m: WorkerRequest | WorkerReply) => void = () => undefined;
  let onExit: (code: number | null, signal: string | null) => void = () => undefined;
  const reply = await new Promise<WorkerReply | { stopped: string }>((resolve) => {
    const seconds = timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : String(Math.round(timeoutMs / 1000));
    const timer = setTimeout(() => resolve({ stopped: `bundling the submission's files did not finish within ${seconds} s` }), Math.max(1, timeoutMs));
    const done = (r: WorkerReply | { stopped: string }) => {
      clearTimeout(timer);
      resolve(r);
    };
    onMessage = (m) => {
      if (m.job !== job) return;
      if (m.type === 'built' || m.type === 'failed') return done(m);
      try {
        worker.send({ job, id: m.id, ...serve(m) }, (err) => err && done({ stopped: `the bundler stopped on this submission's files (${err.message})` }));
      } catch (err) {
        done({ stopped: `labgrade could not serve the bundler: ${(err as Error).message}` });
      }
    };
    onExit = (code, signal) => {
      const last = stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? '';
      done({ stopped: `the bundler stopped on this submission's files (${signal ?? `exit code ${code}`})${/stack|overflow|memory/i.test(stderr) ? `: ${last.slice(0, 200)}` : ''}` });
    };
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.send({ type: 'bundle', job, labFile }, (err) => err && done({ stopped: `the bundler could not start on this submission (${err.message})` }));
  });
  worker.off('message', onMessage);
  worker.off('exit', onExit);
  worker.stderr?.off('data', onStderr);
  if ('stopped' in reply || reply.type === 'failed') killWorker(worker);
  else {
    setIdle(worker, true);
    idle.push(worker);
  }
  if ('stopped' in reply) throw new BundleError(reply.stopped);
  if (reply.type === 'failed') throw new BundleError(reply.errors.join('\n'));
  return { code: reply.code, filename, sourceMap: JSON.parse(reply.map), sources };
}

/** Rewrites "file:line:col" positions in the bundle into positions in the student's own files. */
export function mapStack(stack: string, bundle: SubmissionBundle): string {
  const map = new SourceMap(bundle.sourceMap);
  const escaped = bundle.filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return stack.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g'), (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!entry?.originalSource || entry.originalLine === undefined) return whole;
    return `${sourceName(entry.originalSource)}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
  });
}
