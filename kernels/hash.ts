// xxHash64 (XXH64), the 64-bit hash of every key in kiln: partitioning, the combiner
// table and shuffle blocks all use it, so a key hashes the same everywhere.
// Algorithm: Yann Collet, "xxHash - Extremely fast hash algorithm", XXH64 as specified
// in https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (v0.1.1).
// Checked against the spec's published values and the xxhash-wasm package in
// test/hash.test.ts. Policy: pure functions over (pointer, length); no allocation.

// @ts-ignore: decorator
@inline export const P1: u64 = 0x9E3779B185EBCA87;
// @ts-ignore: decorator
@inline export const P2: u64 = 0xC2B2AE3D27D4EB4F;
// @ts-ignore: decorator
@inline export const P3: u64 = 0x165667B19E3779F9;
// @ts-ignore: decorator
@inline export const P4: u64 = 0x85EBCA77C2B2AE63;
// @ts-ignore: decorator
@inline export const P5: u64 = 0x27D4EB2F165667C5;

// @ts-ignore: decorator
@inline function round(acc: u64, input: u64): u64 {
  return rotl<u64>(acc + input * P2, 31) * P1;
}

// @ts-ignore: decorator
@inline function mergeRound(acc: u64, val: u64): u64 {
  return (acc ^ round(0, val)) * P1 + P4;
}

/** XXH64's final mix (xxhash_spec.md section 2.5). */
// @ts-ignore: decorator
@inline function avalanche(h: u64): u64 {
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  return h ^ (h >> 32);
}

/** XXH64 of `len` bytes at `ptr` with `seed`. Inlined into the kernels that hash keys. */
// @ts-ignore: decorator
@inline export function xxh64(ptr: usize, len: usize, seed: u64): u64 {
  const end = ptr + len;
  let h: u64;
  if (len >= 32) {
    const limit = end - 32;
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    do {
      v1 = round(v1, load<u64>(ptr));
      v2 = round(v2, load<u64>(ptr, 8));
      v3 = round(v3, load<u64>(ptr, 16));
      v4 = round(v4, load<u64>(ptr, 24));
      ptr += 32;
    } while (ptr <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = seed + P5;
  }
  h += <u64>len;
  while (ptr + 8 <= end) {
    h = rotl<u64>(h ^ round(0, load<u64>(ptr)), 27) * P1 + P4;
    ptr += 8;
  }
  if (ptr + 4 <= end) {
    h = rotl<u64>(h ^ (<u64>load<u32>(ptr) * P1), 23) * P2 + P3;
    ptr += 4;
  }
  while (ptr < end) {
    h = rotl<u64>(h ^ (<u64>load<u8>(ptr) * P5), 11) * P1;
    ptr++;
  }
  return avalanche(h);
}

/** Mask of the first `len` bytes of a u64 (all of it when len >= 8). */
// @ts-ignore: decorator
@inline export function lowMask(len: u32): u64 {
  // For len >= 8 the shift amount wraps (wasm shifts mod 64); select discards it.
  return select<u64>(<u64>-1, (<u64>1 << (<u64>len << 3)) - 1, len >= 8);
}

/**
 * XXH64 (seed 0) of a key of `len` < 16 bytes given as its zero-padded halves lo (bytes
 * 0-7) and hi (bytes 8-15): the same steps as xxh64() in hash.ts, taken or skipped with
 * `select` instead of branches. Word lengths are random, so xxh64's length branches
 * mispredict about once per step; here the chain is longer but never flushes.
 */
// @ts-ignore: decorator
@inline export function xxh64Short(lo: u64, hi: u64, len: u32): u64 {
  let h: u64 = P5 + <u64>len;
  const has8 = len >= 8;
  h = select<u64>(rotl<u64>(h ^ (rotl<u64>(lo * P2, 31) * P1), 27) * P1 + P4, h, has8);
  let rest = select<u64>(hi, lo, has8);
  const r = len & 7;
  const has4 = r >= 4;
  h = select<u64>(rotl<u64>(h ^ ((rest & 0xFFFFFFFF) * P1), 23) * P2 + P3, h, has4);
  rest = select<u64>(rest >> 32, rest, has4);
  const b = r & 3;
  h = select<u64>(rotl<u64>(h ^ ((rest & 0xFF) * P5), 11) * P1, h, b >= 1);
  h = select<u64>(rotl<u64>(h ^ (((rest >> 8) & 0xFF) * P5), 11) * P1, h, b >= 2);
  h = select<u64>(rotl<u64>(h ^ (((rest >> 16) & 0xFF) * P5), 11) * P1, h, b >= 3);
  return avalanche(h);
}

/**
 * Hashes `n` keys laid out back to back: key i is bytes [offsets[i], offsets[i+1]) of
 * `data` (offsets: u32[n + 1], relative to `data`). Writes u64 hashes to `out`.
 */
export function xxh64Batch(data: usize, offsets: usize, n: u32, out: usize, seed: u32): i32 {
  let start = load<u32>(offsets);
  for (let i: usize = 0; i < <usize>n; i++) {
    const end = load<u32>(offsets + ((i + 1) << 2));
    store<u64>(out + (i << 3), xxh64(data + start, end - start, seed));
    start = end;
  }
  return 0;
}

/** Hashes `n` fixed-width keys of `width` bytes each, back to back at `data`; u64 hashes to `out`. */
export function xxh64Fixed(data: usize, width: u32, n: u32, out: usize, seed: u32): i32 {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<u64>(out + (i << 3), xxh64(data + i * width, width, seed));
  }
  return 0;
}

/**
 * Reduce partition of each of `n` keys (laid out as in xxh64Batch): XXH64 (seed 0)
 * mod `partitions`, computed on the unsigned hash (Spark's nonNegativeMod). Writes
 * u32 partition ids to `out`. Saves the JS side a BigInt per key.
 */
export function xxh64Partitions(data: usize, offsets: usize, n: u32, partitions: u32, out: usize): i32 {
  if (partitions == 0) return -1;
  let start = load<u32>(offsets);
  for (let i: usize = 0; i < <usize>n; i++) {
    const end = load<u32>(offsets + ((i + 1) << 2));
    store<u32>(out + (i << 2), <u32>(xxh64(data + start, end - start, 0) % <u64>partitions));
    start = end;
  }
  return 0;
}
