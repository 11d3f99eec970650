// Partitioned sort: orders records by (partition id, key bytes), stable.
// An LSD radix sort on a 64-bit prefix (partition bits on top, then the key's first
// bytes, big-endian), then a full-key tie-break inside runs of equal prefix, so keys
// of any length sort in unsigned byte order (a proper prefix sorts first).
// ABI (owned by engine/executor/kernels/sort.ts):
//   Entry (SORT_ENTRY_BYTES = 16): prefix u64, index u32, pad u32.
//   Keys as in xxh64Batch: key i is keys[offsets[i] .. offsets[i + 1]), offsets u32[n + 1].
//   sortPrepare(parts, keys, offsets, n, partBits, entries) -> status
//     parts u32[n] (or 0: all partition 0), each < 2^partBits; partBits 0..32;
//     index = record number. INVALID if partBits > 32, a partition id is out of range or
//     offsets decrease (entries are then partly written).
//   radixSort(entries, tmp, n, ctl) -> status: sorts by prefix, stable. tmp holds n
//     entries. ctl is a control block of SORT_CTL_BYTES (4-byte aligned): ctl u32[0] = 0
//     if the result is in entries, 1 if it is in tmp; the rest is histogram workspace.
//   sortTieBreak(entries, n, keys, offsets, scratch) -> status: within runs of equal
//     prefix, orders by full key bytes, then by index (stability). scratch holds n
//     entries (the radix buffer that does not hold the result will do). INVALID if an
//     index is >= n.
//   sortPermutation(entries, n, out) -> status: out u32[n] = the entries' indices.
//   sortGather(entries, n, data, offsets, dst, dstOffsets) -> status: writes records in
//     entry order to dst, with their offsets u32[n + 1] (relative to dst). dst holds
//     offsets[n] - offsets[0] bytes. INVALID if an index is >= n or offsets decrease.
//
// Sources: LSD radix sort with all digit histograms counted in one pass up front and
// passes skipped when a digit is the same for every entry, as in Pierre Terdiman,
// "Radix Sort Revisited" (2000, codercorner.com/RadixSortRevisited.htm) and Michael
// Herf, "Radix Tricks" (2001, stereopsis.com/radix.html). Sorting a fixed-size key
// prefix first and comparing whole keys only among equal prefixes is the "prefix +
// pointer" scheme of AlphaSort (Nyberg et al., SIGMOD 1994) and of Spark's
// UnsafeExternalSorter (prefix comparator, then record comparator). The tie-break is a
// bottom-up merge sort (Knuth, TAOCP vol. 3, 5.2.4) over insertion-sorted blocks, as in
// timsort's min-run idea.
import { STATUS_INVALID, STATUS_OK } from "./status";

/** Bytes per sort entry: prefix u64, index u32, pad u32. */
export const SORT_ENTRY_BYTES: u32 = 16;

// Digit width of the radix passes (a tunable; SORT_CTL_BYTES follows it). Measured
// on 10M entries, runs alternating on the shared 2-core VM: 8 bits 460-680 ms, 11 bits
// 750-1130 ms (6 passes, but 2048 scatter streams miss far more than 256). One MSD pass
// followed by in-cache LSD per bucket was also tried and measured no faster
// (480-550 ms vs 460-520 ms), so the plain LSD stays.
// @ts-ignore: decorator
@inline const DIGIT_BITS: u32 = 8;
// @ts-ignore: decorator
@inline const RADIX: u32 = 1 << DIGIT_BITS;
// @ts-ignore: decorator
@inline const DIGIT_MASK: u64 = <u64>(RADIX - 1);
// @ts-ignore: decorator
@inline const DIGITS: u32 = (64 + DIGIT_BITS - 1) / DIGIT_BITS;
// Histograms start 64 bytes into ctl (ctl u32[0] is the result flag).
// @ts-ignore: decorator
@inline const HIST_OFFSET: usize = 64;

/** Bytes of the radix sort's control block (result flag + digit histograms). */
export const SORT_CTL_BYTES: u32 = <u32>HIST_OFFSET + DIGITS * RADIX * 4;

// Runs up to this length are insertion-sorted; longer ones merge-sorted from blocks of it.
// @ts-ignore: decorator
@inline const INSERTION_MAX: usize = 16;

// ---------------------------------------------------------------------------------------
// Prepare

/** Builds one entry per record: prefix = partition (top partBits) | first key bytes. */
export function sortPrepare(parts: usize, keys: usize, offsets: usize, n: u32, partBits: u32, entries: usize): i32 {
  if (partBits > 32) return STATUS_INVALID;
  // Shifts by 64 are taken mod 64 in wasm, so partBits == 0 is handled apart.
  const keyShift = <u64>partBits;
  const partShift = <u64>(64 - partBits);
  const partLimit = <u64>1 << <u64>partBits;
  let start = load<u32>(offsets);
  for (let i: usize = 0; i < <usize>n; i++) {
    const end = load<u32>(offsets + ((i + 1) << 2));
    if (end < start) return STATUS_INVALID;
    const len = end - start;
    const p = keys + <usize>start;
    let word: u64;
    if (len >= 8) {
      word = bswap<u64>(load<u64>(p));
    } else {
      // Short key: zero-padded, never reading past its end.
      word = 0;
      for (let j: u32 = 0; j < len; j++) word |= <u64>load<u8>(p + j) << <u64>(56 - (j << 3));
    }
    let prefix = word >> keyShift;
    if (parts != 0) {
      const part = <u64>load<u32>(parts + (i << 2));
      if (part >= partLimit) return STATUS_INVALID;
      if (partBits != 0) prefix |= part << partShift;
    }
    const e = entries + (i << 4);
    store<u64>(e, prefix);
    store<u32>(e, <u32>i, 8);
    store<u32>(e, 0, 12);
    start = end;
  }
  return STATUS_OK;
}

// ---------------------------------------------------------------------------------------
// Radix sort

// @ts-ignore: decorator
@inline function count(hist: usize, k: u64, d: u32): void {
  const slot = hist + ((<usize>d * RADIX + <usize>((k >> <u64>(d * DIGIT_BITS)) & DIGIT_MASK)) << 2);
  store<u32>(slot, load<u32>(slot) + 1);
}

/** Stable LSD radix sort of entries by prefix; ctl u32[0] says where the result is. */
export function radixSort(entries: usize, tmp: usize, n: u32, ctl: usize): i32 {
  store<u32>(ctl, 0);
  if (n < 2) return STATUS_OK;
  const hist = ctl + HIST_OFFSET;
  memory.fill(hist, 0, <usize>(DIGITS * RADIX * 4));
  const bytes = <usize>n << 4;
  // One read pass counts every digit (Terdiman): the passes then only scatter.
  for (let e = entries, end = entries + bytes; e < end; e += 16) {
    const k = load<u64>(e);
    for (let d: u32 = 0; d < DIGITS; d++) count(hist, k, d);
  }
  let src = entries;
  let dst = tmp;
  for (let d: u32 = 0; d < DIGITS; d++) {
    const h = hist + ((<usize>d * RADIX) << 2);
    // A digit that is the same for every entry would copy the array unchanged: skip
    // it (partition bits and shared key bytes make this common).
    let trivial = false;
    let sum: u32 = 0;
    for (let b: usize = 0; b < <usize>RADIX; b++) {
      const c = load<u32>(h + (b << 2));
      if (c == n) {
        trivial = true;
        break;
      }
      // Exclusive prefix sum, in bytes: the slot where bucket b's next entry goes.
      store<u32>(h + (b << 2), sum);
      sum += c << 4;
    }
    if (trivial) continue;
    const shift = <u64>(d * DIGIT_BITS);
    for (let e = src, end = src + bytes; e < end; e += 16) {
      const v = v128.load(e);
      const slot = h + (<usize>((load<u64>(e) >> shift) & DIGIT_MASK) << 2);
      const at = load<u32>(slot);
      store<u32>(slot, at + 16);
      v128.store(dst + <usize>at, v);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  store<u32>(ctl, src == entries ? 0 : 1);
  return STATUS_OK;
}

// ---------------------------------------------------------------------------------------
// Tie-break

/**
 * Compares records ia and ib: key bytes unsigned (a proper prefix first), then index.
 * 16 bytes at a time with SIMD, so keys sharing long prefixes stay cheap.
 */
// @ts-ignore: decorator
@inline function compareRecords(keys: usize, offsets: usize, ia: u32, ib: u32): i32 {
  const oa = offsets + (<usize>ia << 2);
  const ob = offsets + (<usize>ib << 2);
  const sa = load<u32>(oa);
  const sb = load<u32>(ob);
  const la = load<u32>(oa, 4) - sa;
  const lb = load<u32>(ob, 4) - sb;
  const pa = keys + <usize>sa;
  const pb = keys + <usize>sb;
  const m = <usize>min(la, lb);
  let i: usize = 0;
  while (i + 16 <= m) {
    const mask = i8x16.bitmask(i8x16.eq(v128.load(pa + i), v128.load(pb + i)));
    if (mask != 0xffff) {
      const k = i + <usize>ctz<u32>(~mask);
      return <i32>load<u8>(pa + k) - <i32>load<u8>(pb + k);
    }
    i += 16;
  }
  while (i < m) {
    const x = <i32>load<u8>(pa + i);
    const y = <i32>load<u8>(pb + i);
    if (x != y) return x - y;
    i++;
  }
  if (la != lb) return la < lb ? -1 : 1;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

// @ts-ignore: decorator
@inline function entryIndex(e: usize): u32 {
  return load<u32>(e, 8);
}

/** Insertion sort of `len` entries at `base` (short runs; stable). */
// @ts-ignore: decorator
@inline function insertionSort(base: usize, len: usize, keys: usize, offsets: usize): void {
  for (let i: usize = 1; i < len; i++) {
    const v = v128.load(base + (i << 4));
    const vi = entryIndex(base + (i << 4));
    let j = i;
    while (j > 0) {
      const prev = base + ((j - 1) << 4);
      if (compareRecords(keys, offsets, entryIndex(prev), vi) <= 0) break;
      v128.store(prev + 16, v128.load(prev));
      j--;
    }
    v128.store(base + (j << 4), v);
  }
}

/** Merges src[lo, mid) and src[mid, hi) into dst[lo, hi) (entry counts; stable). */
// @ts-ignore: decorator
@inline function merge(src: usize, dst: usize, lo: usize, mid: usize, hi: usize, keys: usize, offsets: usize): void {
  let i = lo;
  let j = mid;
  let o = lo;
  while (i < mid && j < hi) {
    const a = src + (i << 4);
    const b = src + (j << 4);
    if (compareRecords(keys, offsets, entryIndex(a), entryIndex(b)) <= 0) {
      v128.store(dst + (o << 4), v128.load(a));
      i++;
    } else {
      v128.store(dst + (o << 4), v128.load(b));
      j++;
    }
    o++;
  }
  if (i < mid) memory.copy(dst + (o << 4), src + (i << 4), (mid - i) << 4);
  else if (j < hi) memory.copy(dst + (o << 4), src + (j << 4), (hi - j) << 4);
}

/** Sorts one run of `len` entries at `base` by full key, then index. */
function sortRun(base: usize, len: usize, keys: usize, offsets: usize, scratch: usize): void {
  if (len <= INSERTION_MAX) {
    insertionSort(base, len, keys, offsets);
    return;
  }
  for (let lo: usize = 0; lo < len; lo += INSERTION_MAX) {
    insertionSort(base + (lo << 4), min(INSERTION_MAX, len - lo), keys, offsets);
  }
  // Bottom-up merge passes, ping-ponging between the run and scratch.
  let src = base;
  let dst = scratch;
  for (let width = INSERTION_MAX; width < len; width <<= 1) {
    for (let lo: usize = 0; lo < len; lo += width << 1) {
      const mid = min(lo + width, len);
      const hi = min(lo + (width << 1), len);
      if (mid >= hi) memory.copy(dst + (lo << 4), src + (lo << 4), (hi - lo) << 4);
      else merge(src, dst, lo, mid, hi, keys, offsets);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src != base) memory.copy(base, src, len << 4);
}

/** Orders each run of equal prefix by full key bytes, then by index. */
export function sortTieBreak(entries: usize, n: u32, keys: usize, offsets: usize, scratch: usize): i32 {
  const count = <usize>n;
  let i: usize = 0;
  while (i < count) {
    const p = load<u64>(entries + (i << 4));
    let j = i + 1;
    while (j < count && load<u64>(entries + (j << 4)) == p) j++;
    if (j - i > 1) {
      // Indices select offsets: check them before comparing, never read out of range.
      for (let k = i; k < j; k++) if (entryIndex(entries + (k << 4)) >= n) return STATUS_INVALID;
      sortRun(entries + (i << 4), j - i, keys, offsets, scratch);
    } else if (entryIndex(entries + (i << 4)) >= n) {
      return STATUS_INVALID;
    }
    i = j;
  }
  return STATUS_OK;
}

// ---------------------------------------------------------------------------------------
// Output

/** Writes the entries' indices, in order, to out u32[n]. */
export function sortPermutation(entries: usize, n: u32, out: usize): i32 {
  for (let i: usize = 0; i < <usize>n; i++) store<u32>(out + (i << 2), entryIndex(entries + (i << 4)));
  return STATUS_OK;
}

/** Copies records in entry order to dst and writes their offsets (relative to dst). */
export function sortGather(entries: usize, n: u32, data: usize, offsets: usize, dst: usize, dstOffsets: usize): i32 {
  let at: u32 = 0;
  for (let i: usize = 0; i < <usize>n; i++) {
    const idx = entryIndex(entries + (i << 4));
    if (idx >= n) return STATUS_INVALID;
    const s = load<u32>(offsets + (<usize>idx << 2));
    const e = load<u32>(offsets + (<usize>idx << 2), 4);
    if (e < s) return STATUS_INVALID;
    const len = e - s;
    store<u32>(dstOffsets + (i << 2), at);
    const from = data + <usize>s;
    const to = dst + <usize>at;
    if (len <= 16) {
      // Short records: a bulk-memory call costs more than the copy itself.
      let k: u32 = 0;
      for (; k + 8 <= len; k += 8) store<u64>(to + k, load<u64>(from + k));
      for (; k < len; k++) store<u8>(to + k, load<u8>(from + k));
    } else {
      memory.copy(to, from, len);
    }
    at += len;
  }
  store<u32>(dstOffsets + (<usize>n << 2), at);
  return STATUS_OK;
}
