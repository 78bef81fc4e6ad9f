/**
 * require for packages labgrade loads at run time, resolved from labgrade's own folder: tfjs
 * (tfjs.ts says why not import()), course-utils' random generator (loaded at first use) and the
 * threaded wasm build's files. Code in the GPU device script's bundle imports tfjs's backends
 * with import() instead, which esbuild bundles; the bundle carries the generator beside itself
 * (bench/gpu/bundle.sh).
 */
import { createRequire } from 'node:module';

export const requirePackage = createRequire(import.meta.url);
