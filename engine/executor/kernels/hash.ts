// XXH64 hashing through the kernel, batched: one JS->WASM call hashes many keys,
// because one call costs more than hashing a short key.
import type { KernelRuntime } from './runtime.js';
import { decodeStatus } from './status.js';

/** Hashes keys laid out as in {@link KernelExports.xxh64Batch}: offsets u32[n+1] relative to `data`. */
export function hashBatch(rt: KernelRuntime, data: number, offsets: number, n: number, out: number, seed = 0): void {
  decodeStatus('xxh64Batch', rt.exports.xxh64Batch(data, offsets, n, out, seed), { n });
}

/** Hashes `n` keys of `width` bytes each, back to back at `data`, into u64s at `out`. */
export function hashFixed(rt: KernelRuntime, data: number, width: number, n: number, out: number, seed = 0): void {
  decodeStatus('xxh64Fixed', rt.exports.xxh64Fixed(data, width, n, out, seed), { width, n });
}

/** Reduce partitions (XXH64 mod `partitions`) of keys laid out as in {@link hashBatch}, as u32s at `out`. */
export function hashPartitions(rt: KernelRuntime, data: number, offsets: number, n: number, partitions: number, out: number): void {
  decodeStatus('xxh64Partitions', rt.exports.xxh64Partitions(data, offsets, n, partitions, out), { n, partitions });
}

/** XXH64 of one byte string (copies it into kernel memory; for tests and the driver, not hot paths). */
export function hashBytes(rt: KernelRuntime, bytes: Uint8Array, seed = 0n): bigint {
  const region = rt.allocator.alloc(bytes.length);
  try {
    rt.u8.set(bytes, region.ptr);
    return BigInt.asUintN(64, rt.exports.xxh64(region.ptr, bytes.length, seed));
  } finally {
    rt.allocator.release(region);
  }
}
