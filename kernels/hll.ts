// HyperLogLog register updates: the per-record work of countApproxDistinct.
// Algorithm: HyperLogLog (Flajolet, Fusy, Gandouet, Meunier, 2007) with HLL++'s 64-bit
// hash (Heule, Nunkesser, Hall, EDBT 2013): each key is hashed with XXH64; the top p
// bits pick one of m = 2^p registers, and the register keeps the largest rank, the
// 1-based position of the first 1 bit in the remaining 64 - p bits (64 - p + 1 when
// they are all zero). The estimate is made in TypeScript from the registers
// (engine/executor/kernels/hll.ts). Registers are one u8 each.
// ABI (owned by engine/executor/kernels/hll.ts):
//   hllAddBatch(regs, data, offsets, n, p, seed) -> status: keys laid out as in
//     xxh64Batch (offsets u32[n + 1], relative to data).
//   hllAddPairs(regs, base, pairs, n, p, seed) -> status: keys as tokenizer output,
//     u32 (start, end) pairs relative to base.
//   STATUS_INVALID when p is outside [4, 18].
import { xxh64 } from "./hash";
import { STATUS_INVALID, STATUS_OK } from "./status";

// @ts-ignore: decorator
@inline function update(regs: usize, h: u64, p: u32): void {
  const index = <usize>(h >> (64 - <u64>p));
  const w = h << <u64>p;
  // w's low p bits are zero, so clz(w) <= 63 - p when w != 0.
  const rank: u8 = w == 0 ? <u8>(64 - p + 1) : <u8>(clz<u64>(w) + 1);
  const at = regs + index;
  if (load<u8>(at) < rank) store<u8>(at, rank);
}

/** Adds n keys (offsets u32[n + 1] relative to data) to the registers. */
export function hllAddBatch(regs: usize, data: usize, offsets: usize, n: u32, p: u32, seed: u32): i32 {
  if (p < 4 || p > 18) return STATUS_INVALID;
  let start = load<u32>(offsets);
  for (let i: usize = 0; i < <usize>n; i++) {
    const end = load<u32>(offsets + ((i + 1) << 2));
    update(regs, xxh64(data + start, end - start, <u64>seed), p);
    start = end;
  }
  return STATUS_OK;
}

/** Adds n keys given as (start, end) u32 pairs relative to base to the registers. */
export function hllAddPairs(regs: usize, base: usize, pairs: usize, n: u32, p: u32, seed: u32): i32 {
  if (p < 4 || p > 18) return STATUS_INVALID;
  for (let i: usize = 0; i < <usize>n; i++) {
    const s = load<u32>(pairs + (i << 3));
    const e = load<u32>(pairs + (i << 3), 4);
    update(regs, xxh64(base + s, e - s, <u64>seed), p);
  }
  return STATUS_OK;
}
