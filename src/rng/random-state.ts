/**
 * A port of numpy's legacy `np.random.RandomState` (MT19937 + the legacy Gaussian), bit-exact for
 * the draws the course's fixtures use: `seed(int)`, `rand`, `randn`, `randint`, `permutation`.
 *
 * The MT19937 core is @stdlib/random-base-mt19937; `seed(n)` maps to its integer seeding, which is
 * the same `init_genrand` that numpy's `_legacy_seeding` uses for an int seed.
 */
import { correctlyRoundedLog } from './correctly-rounded-log.js';
import type mt19937Module from '@stdlib/random-base-mt19937';
import { requirePackage } from '../require-package.js';

type Uint32Source = () => number;

const TWO_POW_26 = 67108864.0;
const TWO_POW_53 = 9007199254740992.0;
const UINT32_MAX = 0xffffffff;

let mt19937Loaded: typeof mt19937Module | null = null;
/**
 * Loaded at the first seeding, or by a process that will draw (loadMt19937): @stdlib's many small
 * modules take 60 ms to load, and Lab 1 submissions' processes never draw.
 */
function mt19937(): typeof mt19937Module {
  return (mt19937Loaded ??= requirePackage('@stdlib/random-base-mt19937') as typeof mt19937Module);
}

/** Loads the generator now (a submission's process does, before hardening, when its lab draws). */
export function loadMt19937(): void {
  mt19937();
}

export class RandomState {
  private next32: Uint32Source;
  /** The legacy polar method makes two Gaussians per accepted pair and caches the second. */
  private cachedGauss: number | null = null;

  constructor(seed: number) {
    this.next32 = RandomState.source(seed);
  }

  /** Reseeds, like `np.random.seed(seed)`; clears the cached Gaussian as numpy does. */
  seed(seed: number): void {
    this.next32 = RandomState.source(seed);
    this.cachedGauss = null;
  }

  private static source(seed: number): Uint32Source {
    if (!Number.isInteger(seed) || seed < 0 || seed > UINT32_MAX) {
      throw new RangeError(`RandomState seed must be an integer in [0, 2**32 - 1], got ${seed}`);
    }
    if (seed !== 0) return mt19937().factory({ seed });
    // The package takes only positive integer seeds; numpy's seed(0) is init_genrand(0), so that
    // state is written into a fresh generator's state array (layout: version, sections, N, state...).
    const state = mt19937().factory({ seed: 1 }).state;
    const N = state[2];
    let prev = 0;
    state[3] = 0;
    for (let i = 1; i < N; i++) {
      prev = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
      state[3 + i] = prev;
    }
    return mt19937().factory({ state, copy: false });
  }

  /** numpy's `legacy_double`: 53 random bits from two 32-bit draws. */
  private nextDouble(): number {
    const a = this.next32() >>> 5;
    const b = this.next32() >>> 6;
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  private nextGauss(): number {
    if (this.cachedGauss !== null) {
      const g = this.cachedGauss;
      this.cachedGauss = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2.0 * this.nextDouble() - 1.0;
      x2 = 2.0 * this.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * correctlyRoundedLog(r2)) / r2);
    this.cachedGauss = f * x1;
    return f * x2;
  }

  /** Uniform [0, 1) samples, `count` of them, C order (`rand(*shape)` is `rand(prod(shape))`). */
  rand(count: number): Float64Array {
    return fill(count, () => this.nextDouble());
  }

  /** Standard normal samples, `count` of them, C order (`randn(*shape)` draws prod(shape)). */
  randn(count: number): Float64Array {
    return fill(count, () => this.nextGauss());
  }

  /** `randint(low, high, size)`: integers in [low, high), numpy's masked rejection sampling. */
  randint(low: number, high: number, count: number): number[] {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
      throw new RangeError(`randint needs integers low < high, got low=${low}, high=${high}`);
    }
    const range = high - 1 - low;
    if (range > UINT32_MAX) throw new RangeError('randint ranges above 2**32 are not supported');
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(low + this.interval(range));
    return out;
  }

  /** `permutation(n)`: a shuffled `arange(n)` (numpy's Fisher-Yates from the end). */
  permutation(n: number): number[] {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`permutation needs n >= 0, got ${n}`);
    const arr = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }

  /** numpy's `random_interval` for max < 2**32: mask to the next power of two, reject above max. */
  private interval(max: number): number {
    if (max === 0) return 0;
    if (max === UINT32_MAX) return this.next32();
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.next32() & mask) >>> 0;
    } while (value > max);
    return value;
  }
}

function fill(count: number, draw: () => number): Float64Array {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`sample count must be >= 0, got ${count}`);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = draw();
  return out;
}
