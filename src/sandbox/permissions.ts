/**
 * What a sandboxed process may read, for both layers: Node's permission model (--allow-fs-read)
 * and bubblewrap's read-only view. A submission's process reads labgrade's runtime code and the
 * packages it loads; never the submission's folder (its code arrives over the channel), the
 * datasets (their tensors arrive over the channel too), fixtures/ or solutions/. Model
 * evaluators and trainers read no more: what they work on arrives over the channel as well.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { distDir, projectRoot } from '../paths.js';
import { catalogueFile } from '../i18n/messages.js';
import { candidates, type BackendChoice, type BackendPurpose } from '../backends/choice.js';

/** A submission's process; a model evaluator (model files as data); a trainer (a submitted model's topology, rebuilt and trained by labgrade). */
export type ChildRole = 'submission' | 'evaluator' | 'trainer';

/**
 * The folders of a package and of everything it depends on, found the way Node resolves them
 * (node_modules folders upwards), so that labgrade's dependencies are readable whether they sit in
 * its own node_modules or are hoisted into the project that installed it.
 */
export function dependencyClosure(name: string, fromDir: string, found = new Set<string>()): Set<string> {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) {
      const real = realpathSync(candidate);
      if (found.has(real)) return found;
      found.add(real);
      // Reached through a link (a linked node_modules, pnpm): the link's path is read too, on the way.
      if (real !== candidate) found.add(candidate);
      const manifest = JSON.parse(readFileSync(path.join(real, 'package.json'), 'utf8'));
      for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) dependencyClosure(dep, real, found);
      return found;
    }
    if (path.dirname(dir) === dir) return found; // not installed (an optional dependency)
  }
}

/** Packages a child loads: tfjs, the backends it may be asked to start (optional ones only where installed), the HDF5 reader (evaluators), the mini-batch shuffler and the message formatter (a training child says in English why a model is not the course's). */
const CHILD_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', 'jsfive', '@stdlib/random-base-mt19937', 'intl-messageformat'];

let runtimePaths: string[] | undefined;

export function childReadablePaths(): string[] {
  runtimePaths ??= [
    path.join(distDir, 'src'),
    path.join(projectRoot, 'package.json'),
    catalogueFile('en'),
    ...new Set(CHILD_PACKAGES.flatMap((name) => [...dependencyClosure(name, projectRoot)])),
  ];
  return runtimePaths;
}

/** Whether a child starting `choice` for `purpose` may need to load a native addon (dawn.node) that is installed. */
export function needsNativeAddons(choice: BackendChoice, purpose: BackendPurpose): boolean {
  return candidates(choice, purpose, true).some((name) => name === 'webgpu' && dependencyClosure('webgpu', projectRoot).size > 0);
}

/**
 * Node's permission model for a child: it reads only childReadablePaths(), writes nothing and
 * spawns nothing; it loads addons only for WebGPU (before hardening takes process.dlopen away) and
 * starts workers only for the threaded wasm backend's pool (before hardening takes Worker away).
 */
export function childPermissionFlags(options: { addons?: boolean; workers?: boolean } = {}): string[] {
  return [
    '--experimental-permission',
    ...childReadablePaths().map((p) => `--allow-fs-read=${p}`),
    ...(options.addons ? ['--allow-addons'] : []),
    ...(options.workers ? ['--allow-worker'] : []),
  ];
}
