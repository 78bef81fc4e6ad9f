/**
 * Notices when a submission changes JavaScript built-ins or tfjs (replacing Math.abs or
 * tf.Tensor.prototype.dataSync, say). Comparisons happen in the grading process, so this cannot
 * fool a check; but the change would leak into the next exercise run in the same process, so the
 * child reports it and the parent starts a fresh process.
 */

type Watched = [name: string, target: object];

export interface IntegrityWatch {
  /** Names of watched properties that were replaced, added or removed since the snapshot (at most 10). */
  changes(): string[];
}

function ownEntries(target: object): Map<PropertyKey, unknown> {
  const entries = new Map<PropertyKey, unknown>();
  for (const key of Reflect.ownKeys(target)) {
    const d = Object.getOwnPropertyDescriptor(target, key)!;
    // Accessors are compared by their functions, data properties by value.
    entries.set(key, 'value' in d ? d.value : [d.get, d.set]);
  }
  return entries;
}

function sameEntry(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a[0] === b[0] && a[1] === b[1];
  return Object.is(a, b);
}

export function watchIntegrity(watched: Watched[]): IntegrityWatch {
  // Some globals are lazy getters that turn into values when first read; read them all first.
  for (const key of Reflect.ownKeys(globalThis)) {
    try {
      void (globalThis as Record<PropertyKey, unknown>)[key];
    } catch {
      // a denied capability (see harden.ts)
    }
  }
  const snapshot = watched.map(([name, target]) => ({ name, target, entries: ownEntries(target) }));
  return {
    changes() {
      const changed: string[] = [];
      for (const { name, target, entries } of snapshot) {
        const now = ownEntries(target);
        for (const [key, value] of entries) if (!now.has(key) || !sameEntry(value, now.get(key))) changed.push(`${name}.${String(key)}`);
        // Names the submission added are its own text, so only their number is reported.
        const added = [...now.keys()].filter((k) => !entries.has(k)).length;
        if (added > 0) changed.push(`${added} new propert${added === 1 ? 'y' : 'ies'} on ${name}`);
        if (changed.length >= 10) break;
      }
      return changed.slice(0, 10);
    },
  };
}

/** The built-ins and tfjs objects that labgrade's encoding and tfjs's kernels rely on. */
export function standardWatchList(tf: { Tensor: { prototype: object }; Variable: { prototype: object } }): Watched[] {
  const typedArray = Object.getPrototypeOf(Float32Array) as { prototype: object };
  return [
    ['Math', Math],
    ['JSON', JSON],
    ['Object', Object],
    ['Object.prototype', Object.prototype],
    ['Array', Array],
    ['Array.prototype', Array.prototype],
    ['Function.prototype', Function.prototype],
    ['Number', Number],
    ['Number.prototype', Number.prototype],
    ['String.prototype', String.prototype],
    ['Promise.prototype', Promise.prototype],
    ['TypedArray', typedArray],
    ['TypedArray.prototype', typedArray.prototype],
    ['Float32Array.prototype', Float32Array.prototype],
    ['Int32Array.prototype', Int32Array.prototype],
    ['Uint8Array.prototype', Uint8Array.prototype],
    ['globalThis', globalThis],
    ['tf.Tensor.prototype', tf.Tensor.prototype],
    ['tf.Variable.prototype', tf.Variable.prototype],
  ];
}
