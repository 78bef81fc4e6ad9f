/**
 * require for the packages labgrade loads at run time (tfjs and its backends), resolved from
 * labgrade's own folder. Their Node builds are CommonJS: see tfjs.ts for why not import().
 */
import { createRequire } from 'node:module';

export const requirePackage = createRequire(import.meta.url);
