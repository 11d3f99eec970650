// Plain-TypeScript HyperLogLog register updates, the reference the hllAdd kernels are
// checked against: XXH64 (the BigInt reference), top p bits pick the register, the
// rank is the 1-based position of the first 1 bit of the other 64 - p bits.
import { xxh64Reference } from './xxh64.js';

/** Adds the keys (byte strings) to `regs` (2^p u8 registers) as the kernel does. */
export function hllAddReference(regs: Uint8Array, keys: readonly Uint8Array[], p: number, seed: number): void {
  const q = 64 - p;
  for (const key of keys) {
    const h = xxh64Reference(key, BigInt(seed));
    const index = Number(h >> BigInt(q));
    const rest = h & ((1n << BigInt(q)) - 1n);
    let rank = q + 1;
    for (let bit = q - 1; bit >= 0; bit--) {
      if ((rest >> BigInt(bit)) & 1n) {
        rank = q - bit;
        break;
      }
    }
    if (regs[index]! < rank) regs[index] = rank;
  }
}
