// Seeded randomness for tests: every random case is reproducible from its seed.
import { seededRandom } from '../../engine/common/seeded-random.js';

/** A small, fast, seeded PRNG (mulberry32). Returns floats in [0, 1). */
export const rng = seededRandom;

/** An integer in [0, n). */
export function randInt(r: () => number, n: number): number {
  return Math.floor(r() * n);
}

/** `len` random bytes drawn from `alphabet` (default: all 256 values). */
export function randBytes(r: () => number, len: number, alphabet?: Uint8Array): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = alphabet ? alphabet[randInt(r, alphabet.length)]! : randInt(r, 256);
  return out;
}

/** Bytes of an ASCII string. */
export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
