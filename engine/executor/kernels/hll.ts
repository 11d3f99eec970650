// countApproxDistinct's sketch on the TypeScript side: the register-update kernels'
// wrappers (kernels/hll.ts), Spark's precision rule, the merge of partition sketches
// and the estimate. Policy: HyperLogLog with HLL++'s 64-bit hash, so no large-range
// correction is needed; the estimate is Ertl's improved raw estimator ("New
// cardinality estimation algorithms for HyperLogLog sketches", 2017, section 4: the
// register histogram with the sigma and tau series), which is unbiased over the
// whole range from a handful of values to 2^64 without HLL++'s empirical bias tables
// and linear-counting threshold. HLL++'s sparse representation is not used: a dense
// sketch is at most 2^18 bytes.
import type { KernelRuntime } from './runtime.js';
import { decodeStatus } from './status.js';

/** Smallest and largest precision (log2 of the register count). */
export const HLL_MIN_PRECISION = 4;
/** 2^18 registers: 256 KiB per sketch. */
export const HLL_MAX_PRECISION = 18;
/** XXH64 seed of string keys (hashed as raw UTF-8, as the tokenizer's words are). */
export const HLL_STRING_SEED = 0x2545f491;
/** XXH64 seed of other keys (hashed as their canonical key bytes). */
export const HLL_KEY_SEED = 0x6a09e667;

/**
 * Spark's precision for a relative standard deviation (RDD.countApproxDistinct):
 * p = ceil(2 log2(1.054 / relativeSD)), at least 4. Null when relativeSD is out of the
 * range kiln supports (precision above 18, or relativeSD not in (0, 0.39]).
 */
export function hllPrecision(relativeSD: number): number | null {
  if (!(relativeSD > 0) || relativeSD > 0.39) return null;
  const p = Math.max(HLL_MIN_PRECISION, Math.ceil((2 * Math.log(1.054 / relativeSD)) / Math.LN2));
  return p > HLL_MAX_PRECISION ? null : p;
}

/** Adds keys laid out as in xxh64Batch (offsets u32[n + 1] relative to data) to the registers at `regs`. */
export function hllAddBatch(rt: KernelRuntime, regs: number, data: number, offsets: number, n: number, p: number, seed: number): void {
  decodeStatus('hllAddBatch', rt.exports.hllAddBatch(regs, data, offsets, n, p, seed), { n, p });
}

/** Adds keys given as tokenizer (start, end) pairs relative to `base` to the registers at `regs`. */
export function hllAddPairs(rt: KernelRuntime, regs: number, base: number, pairs: number, n: number, p: number, seed: number): void {
  decodeStatus('hllAddPairs', rt.exports.hllAddPairs(regs, base, pairs, n, p, seed), { n, p });
}

/** Merges sketch `b` into `a` (register-wise maximum); both of one precision. */
export function mergeRegisters(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`cannot merge HyperLogLog sketches of ${a.length} and ${b.length} registers`);
  for (let i = 0; i < a.length; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
  return a;
}

/** Ertl's improved raw estimate of the distinct count from `registers` (2^p of them). */
export function hllEstimate(registers: Uint8Array, p: number): number {
  const m = 1 << p;
  if (registers.length !== m) throw new RangeError(`a precision-${p} sketch has ${m} registers, got ${registers.length}`);
  const q = 64 - p;
  const counts = new Float64Array(q + 2);
  for (let i = 0; i < m; i++) counts[registers[i]!]!++;
  let z = m * tau(1 - counts[q + 1]! / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + counts[k]!);
  z += m * sigma(counts[0]! / m);
  return (m * m) / (2 * Math.LN2 * z);
}

/** sigma(x) = x + sum_k x^(2^k) 2^(k-1) (Ertl, eq. 46). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

/** tau(x) = (1 - x - sum_k (1 - x^(2^-k))^2 2^-k) / 3 (Ertl, eq. 50). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === prev) return z / 3;
  }
}
