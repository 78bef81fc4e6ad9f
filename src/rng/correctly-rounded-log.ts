/**
 * Natural logarithm rounded correctly to the nearest double.
 *
 * numpy's legacy Gaussian calls the C library's `log`, which is (almost always) correctly rounded;
 * V8's `Math.log` is an fdlibm port that differs from glibc's in the last bit for about 7% of
 * inputs in (0, 1) (measured), which would make `randn` drift from numpy. So the log is computed
 * here in double-double arithmetic (about 106 bits) and rounded once.
 */

interface DoubleDouble {
  hi: number;
  lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1, Dekker's split
const LN2: DoubleDouble = { hi: 0.6931471805599453, lo: 2.3190468138462996e-17 };
const SQRT2 = Math.SQRT2;
/** Terms of the atanh series; |s| <= 0.1716, so s^2 <= 0.0295 and 0.0295^24 < 2^-120. */
const SERIES_TERMS = 24;

function twoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function quickTwoSum(a: number, b: number): DoubleDouble {
  const s = a + b;
  return { hi: s, lo: b - (s - a) };
}

function split(a: number): [number, number] {
  const c = SPLITTER * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DoubleDouble {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function add(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const s = twoSum(a.hi, b.hi);
  return quickTwoSum(s.hi, s.lo + a.lo + b.lo);
}

function mul(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const p = twoProd(a.hi, b.hi);
  return quickTwoSum(p.hi, p.lo + a.hi * b.lo + a.lo * b.hi);
}

function div(a: DoubleDouble, b: DoubleDouble): DoubleDouble {
  const q = a.hi / b.hi;
  const r = add(a, mul({ hi: -q, lo: 0 }, b));
  return quickTwoSum(q, r.hi / b.hi);
}

/** 1 / (2k + 1) as a double-double. */
function reciprocalOdd(k: number): DoubleDouble {
  return div({ hi: 1, lo: 0 }, { hi: 2 * k + 1, lo: 0 });
}

const SERIES_COEFFICIENTS: DoubleDouble[] = Array.from({ length: SERIES_TERMS }, (_, k) => reciprocalOdd(k));

export function correctlyRoundedLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x); // NaN, 0, negatives, Infinity: no rounding question
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); subnormals are scaled into the normal range first.
  let e = 0;
  let m = x;
  if (m < 2.2250738585072014e-308) {
    m *= 2 ** 54;
    e -= 54;
  }
  const exponent = Math.floor(Math.log2(m));
  m /= 2 ** exponent;
  e += exponent;
  // Math.log2 may be off by one near powers of two; fix m into [1, 2) exactly, then centre it.
  while (m >= 2) { m /= 2; e += 1; }
  while (m < 1) { m *= 2; e -= 1; }
  if (m > SQRT2) { m /= 2; e += 1; }
  // log(m) = 2 atanh(s), s = (m - 1) / (m + 1); m - 1 is exact, m + 1 is kept as a double-double.
  const s = div({ hi: m - 1, lo: 0 }, twoSum(m, 1));
  const s2 = mul(s, s);
  let series = SERIES_COEFFICIENTS[SERIES_TERMS - 1];
  for (let k = SERIES_TERMS - 2; k >= 0; k--) series = add(mul(series, s2), SERIES_COEFFICIENTS[k]);
  const logM = mul({ hi: 2 * s.hi, lo: 2 * s.lo }, series);
  const result = add(mul({ hi: e, lo: 0 }, LN2), logM);
  return result.hi + result.lo;
}
