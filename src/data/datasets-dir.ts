/**
 * Where the datasets are. Apart from the loaders: a submission's process loads those, and may not
 * look for labgrade's project root.
 */
import path from 'node:path';
import { sharedDir } from '../paths.js';

/** The datasets folder: --data, else LABGRADE_DATA, else the shared datasets beside the project. */
export function datasetsDir(flag?: string): string {
  return path.resolve(flag ?? process.env.LABGRADE_DATA ?? path.join(sharedDir(), 'datasets'));
}
