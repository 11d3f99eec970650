// Combiner aggregation: an open-addressing hash table in caller-provided memory.
// Keys are byte strings of any length, copied into a caller-provided key arena.
// Per key it keeps count, sum, min and max of the values (as i64 or f64).
// ABI (owned by engine/executor/kernels/combiner.ts): see TABLE_* offsets and ENTRY_* below.
//
// Table header (TABLE_HEADER_BYTES at `tbl`, all u32):
//   0  indexPtr   u64[indexMask + 1] slots: 0 = empty, else (indexHash >> 32) << 32 | (entry + 1),
//                 indexHash = probeHash(prefix lanes, len) for keys of < 16 bytes, else XXH64
//   4  indexMask  slot count - 1 (a power of two, kept >= 2 * entryCap by the caller;
//                 the kernels require only slot count > entryCap)
//   8  entriesPtr Entry[entryCap], dense, in insertion order
//   12 entryCap, 16 entryCount
//   20 arenaPtr, 24 arenaCap, 28 arenaUsed: key bytes; an entry's keyOff is relative to arenaPtr
//   32 valueKind  VALUE_I64 | VALUE_F64
//   36 resume     written on STATUS_GROW: where to call again from (record index or byte offset)
//   40 need       written on STATUS_GROW: arena bytes the key that did not fit needs
//                 (0 when the entries ran out)
//   44 (unused, 0)
//   48 wordsPtr   the word index (below), WORD_SLOT_BYTES x (wordMask + 1); 0 = none
//                 (allowed for every kernel but wordCount)
//   52 wordMask   word-index slot count - 1 (a power of two > entryCap)
//   56 pending    nonzero while word-index slots hold counts not yet in their entries
//   60 wordsSeen  words wordCount counted (u32, wraps; the caller reads and resets it)
// Word index (WORD_SLOT_BYTES = 32, two per cache line): wordCount's own open-addressing
//   index of the short (< 16-byte) words it has seen: lo u64, hi u64 (the zero-padded
//   key), len u32, entry + 1 u32 (0 = empty slot), count u64 of occurrences not yet
//   added to the entry. A word that hits costs one slot: no index slot, no entry, one
//   add, where the general path touches an index slot and a 64-byte entry and updates
//   four aggregates. Counts move into the entries ("settle") before anything reads
//   values: tableEmit and tableMerge (its source) settle by themselves, the caller
//   settles (tableSettle) before reading entries. Every word-index entry is also a
//   real entry in the main index, so the other kernels see every key.
// Entry (ENTRY_BYTES = 64, one cache line when entriesPtr is 64-aligned):
//   0 hash u64, 8 keyOff u32, 12 keyLen u32, 16 prefix: the key's first 16 bytes,
//   zero-padded, 32 count i64, 40 sum, 48 min, 56 max (i64|f64).
//   The prefix lets the word counter compare keys of up to 16 bytes without touching
//   the arena (one cache line per probe hit); the arena still holds every whole key.
// A new entry starts at count 0, sum 0, min = largest value, max = smallest value
// (i64 limits or +-Infinity) and then takes its first value like any other.
//
// Kernels (all return STATUS_OK, or STATUS_GROW with header.resume set; STATUS_INVALID
// when the header or a block is inconsistent; they write only inside the regions the
// header and arguments name; wordCount may read up to 15 bytes past a word, never past
// the end of the memory):
//   tableInsert(tbl, data, offsets, hashes, values, n, start)
//     keys as in xxh64Batch; hashes u64[n] or 0 to hash here; values (i64|f64)[n] or 0 for 1 each.
//   wordCount(tbl, src, len, flags) : tokenize (+ lowercase in place) + hash + count,
//     value 1 per word; header.resume is the byte offset to continue from (also on OK:
//     bytes consumed, which without FLAG_FINAL stops before a trailing partial word).
//     Needs a word index. Each word is counted as the scan ends it (see wordCount).
//     Adds the words counted to header.wordsSeen; leaves counts pending.
//   tableSettle(tbl): move pending word-index counts into the entries.
//   tableRebuildIndex(tbl): clear the index and re-insert every entry (after the caller
//     moved entries/arena or gave a larger index).
//   tableRebuildWords(tbl): settle, clear the word index and re-insert every short
//     entry (after the caller gave a larger word index).
//   tableMerge(dst, src, start): upsert src's entries [start, count) into dst, combining
//     (settles src first).
//   tableEmitSize(tbl): bytes tableEmit needs.
//   tableEmit(tbl, partitions, out, outCap, offsets): settles, then records grouped by partition
//     (hash % partitions, u64), offsets u32[partitions + 1]. Record: keyLen u32, key bytes,
//     hash u64, count i64, sum, min, max (8 bytes each) = BLOCK_RECORD_OVERHEAD + keyLen.
//     STATUS_FULL (nothing usable written) when outCap < tableEmitSize(tbl).
//   tableInsertBlock(tbl, block, len, start): upsert emitted records [start, len) of a
//     block segment, combining aggregates; header.resume is a byte offset.
//   tableInsertRecords(tbl, buf, len, start, passes, pass, divisor): the same over a chunk
//     that may end inside a record (a piece of a spilled segment): stops before an
//     incomplete record, header.resume = bytes consumed. Only records whose
//     (hash / divisor) % passes == pass are upserted (one pass of a multi-pass
//     aggregation: a reduce partition's keys have hash % divisor fixed already).
//
// Algorithms: linear probing (Knuth, TAOCP vol. 3, 6.4 "Algorithm L") over an index of
// 8-byte slots that carry a 32-bit hash tag next to the entry number, so a probe compares
// the tag before it touches an entry or key bytes (the layout of SwissTable/F14's tag
// filtering, reduced to one tag per slot). The home slot folds both hash halves
// (lo ^ hi): shuffle partitions are `hash % R`, so within one reduce partition the low
// hash bits are constant and must not pick the slot alone. The word scan classifies 64
// bytes at a time into a separator bitmask (SIMD compare + bitmask) and walks word
// boundaries with count-trailing-zeros, as in simdjson's structural-index stage
// (Langdale & Lemire, "Parsing Gigabytes of JSON per Second", VLDB J. 2019).
import { STATUS_OK, STATUS_GROW, STATUS_FULL, STATUS_INVALID } from "./status";
import { lowMask, xxh64, xxh64Short } from "./hash";

import {
  FLAG_LOWERCASE, FLAG_NONALNUM, FLAG_FINAL,
  spaceMask, lowerVec, lowerByte, isSpace, isNonAlnumSeparator,
} from "./ascii";

export const TABLE_HEADER_BYTES: u32 = 64;
export const ENTRY_BYTES: u32 = 64;
export const BLOCK_RECORD_OVERHEAD: u32 = 44;
export const VALUE_I64: u32 = 0;
export const VALUE_F64: u32 = 1;
/** Bytes of one word-index slot (see the header comment). */
export const WORD_SLOT_BYTES: u32 = 32;

// Header field offsets.
// @ts-ignore: decorator
@inline const H_INDEX: usize = 0;
// @ts-ignore: decorator
@inline const H_MASK: usize = 4;
// @ts-ignore: decorator
@inline const H_ENTRIES: usize = 8;
// @ts-ignore: decorator
@inline const H_CAP: usize = 12;
// @ts-ignore: decorator
@inline const H_COUNT: usize = 16;
// @ts-ignore: decorator
@inline const H_ARENA: usize = 20;
// @ts-ignore: decorator
@inline const H_ARENA_CAP: usize = 24;
// @ts-ignore: decorator
@inline const H_ARENA_USED: usize = 28;
// @ts-ignore: decorator
@inline const H_KIND: usize = 32;
// @ts-ignore: decorator
@inline const H_RESUME: usize = 36;
// @ts-ignore: decorator
@inline const H_NEED: usize = 40;
// @ts-ignore: decorator
@inline const H_WORDS: usize = 48;
// @ts-ignore: decorator
@inline const H_WORD_MASK: usize = 52;
// @ts-ignore: decorator
@inline const H_PENDING: usize = 56;
// @ts-ignore: decorator
@inline const H_WORDS_SEEN: usize = 60;

// Word-index slot fields.
// @ts-ignore: decorator
@inline const W_LO: usize = 0;
// @ts-ignore: decorator
@inline const W_HI: usize = 8;
// @ts-ignore: decorator
@inline const W_META: usize = 16;
// @ts-ignore: decorator
@inline const W_COUNT: usize = 24;

// Entry field offsets.
// @ts-ignore: decorator
@inline const E_HASH: usize = 0;
// @ts-ignore: decorator
@inline const E_KEYOFF: usize = 8;
// @ts-ignore: decorator
@inline const E_KEYLEN: usize = 12;
// @ts-ignore: decorator
@inline const E_PREFIX: usize = 16;
// @ts-ignore: decorator
@inline const E_COUNT: usize = 32;
// @ts-ignore: decorator
@inline const E_SUM: usize = 40;
// @ts-ignore: decorator
@inline const E_MIN: usize = 48;
// @ts-ignore: decorator
@inline const E_MAX: usize = 56;
// @ts-ignore: decorator
@inline const ENTRY_SIZE: usize = 64;
// @ts-ignore: decorator
@inline const PREFIX_BYTES: u32 = 16;

// @ts-ignore: decorator
@inline const TAG_MASK: u64 = 0xFFFFFFFF00000000;

// findOrAdd's two non-entry answers (entries live above the 64 KiB control area).
// @ts-ignore: decorator
@inline const NO_ROOM: usize = 0;
// @ts-ignore: decorator
@inline const CORRUPT: usize = 1;

/** The home slot of a hash: both halves folded, see the header comment. */
// @ts-ignore: decorator
@inline function homeSlot(h: u64, mask: u32): u32 {
  return (<u32>h ^ <u32>(h >> 32)) & mask;
}

/**
 * The index hash of a key of < 16 bytes, given as its zero-padded lanes lo (bytes 0-7)
 * and hi (bytes 8-15): two independent multiplies (the finalizer constants of
 * SplitMix64, Steele et al., OOPSLA 2014) instead of XXH64's chain of a dozen dependent
 * ones. It only picks index slots and tags; entries still store the key's XXH64, which
 * partitioning needs, computed once per distinct key (when its entry is added).
 * Short keys are compared exactly (length + the 16-byte prefix), so no hash is
 * compared. Keys of 16 bytes and more are indexed by their XXH64.
 */
// @ts-ignore: decorator
@inline function probeHash(lo: u64, hi: u64, len: u32): u64 {
  const h = ((lo ^ 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9) ^ ((hi + <u64>len) * 0x94D049BB133111EB);
  return h ^ (h >> 31);
}

/** Zero-padded first 8 bytes of a key of `len` < 16 bytes, without reading past it. */
function laneLo(key: usize, len: u32): u64 {
  let v: u64 = 0;
  const n = len < 8 ? len : 8;
  for (let i: u32 = 0; i < n; i++) v |= <u64>load<u8>(key + i) << (<u64>i << 3);
  return v;
}

/** Zero-padded bytes 8-15 of a key of `len` < 16 bytes, without reading past it. */
function laneHi(key: usize, len: u32): u64 {
  let v: u64 = 0;
  for (let i: u32 = 8; i < len; i++) v |= <u64>load<u8>(key + i) << (<u64>(i - 8) << 3);
  return v;
}

/** True when the header describes a usable table (probing always finds an empty slot). */
function tableValid(tbl: usize): bool {
  const mask = <u64>load<u32>(tbl, H_MASK);
  const cap = <u64>load<u32>(tbl, H_CAP);
  return (mask & (mask + 1)) == 0 &&
    mask + 1 > cap &&
    load<u32>(tbl, H_COUNT) <= <u32>cap &&
    load<u32>(tbl, H_ARENA_USED) <= load<u32>(tbl, H_ARENA_CAP) &&
    load<u32>(tbl, H_KIND) <= VALUE_F64;
}

// @ts-ignore: decorator
@inline function bytesEqual(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  if (i + 4 <= n) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
    i += 4;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

/**
 * Appends a new entry for `key` and points the empty slot at it. Cold path (once per
 * distinct key). Returns NO_ROOM (header.need set) when entries or arena are full.
 */
function addEntry(tbl: usize, slotPtr: usize, key: usize, len: u32, h: u64, slotHash: u64): usize {
  const e = newEntry(tbl, len, h);
  if (e == NO_ROOM) return NO_ROOM;
  const used = load<u32>(tbl, H_ARENA_USED);
  memory.copy(<usize>load<u32>(tbl, H_ARENA) + used, key, len);
  store<u64>(e, 0, E_PREFIX);
  store<u64>(e, 0, E_PREFIX + 8);
  memory.copy(e + E_PREFIX, key, len < PREFIX_BYTES ? len : PREFIX_BYTES);
  return linkEntry(tbl, slotPtr, e, len, slotHash);
}

/**
 * addEntry for a key of < 16 bytes given as its zero-padded halves lo/hi: the entry's
 * prefix and its arena bytes are written from the very values the lookup compared,
 * not re-read from the input, so the key stored is exactly the key that was matched.
 */
function addShortEntry(tbl: usize, slotPtr: usize, len: u32, lo: u64, hi: u64, h: u64, slotHash: u64): usize {
  const e = newEntry(tbl, len, h);
  if (e == NO_ROOM) return NO_ROOM;
  const used = load<u32>(tbl, H_ARENA_USED);
  const at = <usize>load<u32>(tbl, H_ARENA) + used;
  if (<u64>load<u32>(tbl, H_ARENA_CAP) - <u64>used >= 16) {
    // Two 8-byte stores; bytes past the key are overwritten by the next key.
    store<u64>(at, lo);
    store<u64>(at, hi, 8);
  } else {
    for (let i: u32 = 0; i < len; i++) store<u8>(at + i, <u8>((i < 8 ? lo >> (<u64>i << 3) : hi >> (<u64>(i - 8) << 3)) & 0xFF));
  }
  store<u64>(e, lo, E_PREFIX);
  store<u64>(e, hi, E_PREFIX + 8);
  return linkEntry(tbl, slotPtr, e, len, slotHash);
}

/** Reserves entry number `count` (hash, key offset/length, identity aggregates) or returns NO_ROOM. */
// @ts-ignore: decorator
@inline function newEntry(tbl: usize, len: u32, h: u64): usize {
  const n = load<u32>(tbl, H_COUNT);
  if (n >= load<u32>(tbl, H_CAP)) {
    store<u32>(tbl, 0, H_NEED);
    return NO_ROOM;
  }
  const used = load<u32>(tbl, H_ARENA_USED);
  if (len > load<u32>(tbl, H_ARENA_CAP) - used) {
    store<u32>(tbl, len, H_NEED);
    return NO_ROOM;
  }
  const e = <usize>load<u32>(tbl, H_ENTRIES) + <usize>n * ENTRY_SIZE;
  store<u64>(e, h, E_HASH);
  store<u32>(e, used, E_KEYOFF);
  store<u32>(e, len, E_KEYLEN);
  store<i64>(e, 0, E_COUNT);
  if (load<u32>(tbl, H_KIND) == VALUE_F64) {
    store<f64>(e, 0, E_SUM);
    store<f64>(e, Infinity, E_MIN);
    store<f64>(e, -Infinity, E_MAX);
  } else {
    store<i64>(e, 0, E_SUM);
    store<i64>(e, i64.MAX_VALUE, E_MIN);
    store<i64>(e, i64.MIN_VALUE, E_MAX);
  }
  return e;
}

/** Makes the new entry `e` (key bytes written) count: points the slot at it, bumps count and arena use. */
// @ts-ignore: decorator
@inline function linkEntry(tbl: usize, slotPtr: usize, e: usize, len: u32, slotHash: u64): usize {
  const n = load<u32>(tbl, H_COUNT);
  store<u64>(slotPtr, (slotHash & TAG_MASK) | <u64>(n + 1));
  store<u32>(tbl, n + 1, H_COUNT);
  store<u32>(tbl, load<u32>(tbl, H_ARENA_USED) + len, H_ARENA_USED);
  return e;
}

/**
 * The entry of `key` (hash `h`), added if new. The lookup fields come in as arguments
 * so the hot loop keeps them in locals. Returns NO_ROOM or CORRUPT instead of an entry
 * when the key does not fit or the index has no empty slot (a caller bug: never loops).
 */
// @ts-ignore: decorator
@inline function findOrAdd(tbl: usize, index: usize, mask: u32, entries: usize, arena: usize, key: usize, len: u32, h: u64): usize {
  if (len < PREFIX_BYTES) {
    const lo = laneLo(key, len);
    const hi = laneHi(key, len);
    return findOrAddShort(tbl, index, mask, entries, len, lo, hi, probeHash(lo, hi, len), h, true);
  }
  const tag = h & TAG_MASK;
  let i = homeSlot(h, mask);
  let slotPtr = index + (<usize>i << 3);
  let slot = load<u64>(slotPtr);
  let probes: u32 = 0;
  while (slot != 0) {
    if ((slot & TAG_MASK) == tag) {
      const e = entries + <usize>(<u32>slot - 1) * ENTRY_SIZE;
      if (load<u64>(e, E_HASH) == h && load<u32>(e, E_KEYLEN) == len &&
          bytesEqual(arena + <usize>load<u32>(e, E_KEYOFF), key, <usize>len)) return e;
    }
    if (++probes > mask) return CORRUPT;
    i = (i + 1) & mask;
    slotPtr = index + (<usize>i << 3);
    slot = load<u64>(slotPtr);
  }
  return addEntry(tbl, slotPtr, key, len, h, h);
}

/**
 * findOrAdd for a key of < 16 bytes given as its zero-padded halves lo/hi: a hit
 * is decided inside the entry's cache line (tag, hash, length, prefix) without the arena.
 */
// @ts-ignore: decorator
@inline function findOrAddShort(tbl: usize, index: usize, mask: u32, entries: usize, len: u32, lo: u64, hi: u64, p: u64, h: u64, hashKnown: bool): usize {
  const tag = p & TAG_MASK;
  let i = homeSlot(p, mask);
  let slotPtr = index + (<usize>i << 3);
  let slot = load<u64>(slotPtr);
  let probes: u32 = 0;
  while (slot != 0) {
    if ((slot & TAG_MASK) == tag) {
      const e = entries + <usize>(<u32>slot - 1) * ENTRY_SIZE;
      // One branch for the whole compare: hits are the common case. A key of < 16
      // bytes is its length and its zero-padded prefix, so this compare is exact.
      const diff = <u64>(load<u32>(e, E_KEYLEN) ^ len) |
        (load<u64>(e, E_PREFIX) ^ lo) | (load<u64>(e, E_PREFIX + 8) ^ hi);
      if (diff == 0) return e;
    }
    if (++probes > mask) return CORRUPT;
    i = (i + 1) & mask;
    slotPtr = index + (<usize>i << 3);
    slot = load<u64>(slotPtr);
  }
  return addShortEntry(tbl, slotPtr, len, lo, hi, hashKnown ? h : xxh64Short(lo, hi, len), p);
}

/** Adds one observation of `count` values totalling `sum` with extremes min/max (i64). */
// @ts-ignore: decorator
@inline function combineI64(e: usize, count: i64, sum: i64, lo: i64, hi: i64): void {
  store<i64>(e, load<i64>(e, E_COUNT) + count, E_COUNT);
  store<i64>(e, load<i64>(e, E_SUM) + sum, E_SUM);
  if (lo < load<i64>(e, E_MIN)) store<i64>(e, lo, E_MIN);
  if (hi > load<i64>(e, E_MAX)) store<i64>(e, hi, E_MAX);
}

/** As combineI64 for f64 values (min/max with f64.min/f64.max semantics, as Math.min/max). */
// @ts-ignore: decorator
@inline function combineF64(e: usize, count: i64, sum: f64, lo: f64, hi: f64): void {
  store<i64>(e, load<i64>(e, E_COUNT) + count, E_COUNT);
  store<f64>(e, load<f64>(e, E_SUM) + sum, E_SUM);
  store<f64>(e, min<f64>(load<f64>(e, E_MIN), lo), E_MIN);
  store<f64>(e, max<f64>(load<f64>(e, E_MAX), hi), E_MAX);
}

/** Combines a whole aggregate record (count, sum, min, max at `agg`) into entry `e`. */
// @ts-ignore: decorator
@inline function combineRecord(e: usize, agg: usize, f64Kind: bool): void {
  if (f64Kind) combineF64(e, load<i64>(agg), load<f64>(agg, 8), load<f64>(agg, 16), load<f64>(agg, 24));
  else combineI64(e, load<i64>(agg), load<i64>(agg, 8), load<i64>(agg, 16), load<i64>(agg, 24));
}

export function tableInsert(tbl: usize, data: usize, offsets: usize, hashes: usize, values: usize, n: u32, start: u32): i32 {
  if (!tableValid(tbl)) return STATUS_INVALID;
  const index = <usize>load<u32>(tbl, H_INDEX);
  const mask = load<u32>(tbl, H_MASK);
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const arena = <usize>load<u32>(tbl, H_ARENA);
  const f64Kind = load<u32>(tbl, H_KIND) == VALUE_F64;
  for (let i = start; i < n; i++) {
    const from = load<u32>(offsets + (<usize>i << 2));
    const to = load<u32>(offsets + (<usize>i << 2), 4);
    if (to < from) return STATUS_INVALID;
    const key = data + <usize>from;
    const len = to - from;
    const h = hashes != 0 ? load<u64>(hashes + (<usize>i << 3)) : xxh64(key, len, 0);
    const e = findOrAdd(tbl, index, mask, entries, arena, key, len, h);
    if (e <= CORRUPT) {
      store<u32>(tbl, i, H_RESUME);
      return e == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
    }
    if (f64Kind) {
      const v = values != 0 ? load<f64>(values + (<usize>i << 3)) : 1.0;
      combineF64(e, 1, v, v, v);
    } else {
      const v = values != 0 ? load<i64>(values + (<usize>i << 3)) : 1;
      combineI64(e, 1, v, v, v);
    }
  }
  store<u32>(tbl, n, H_RESUME);
  return STATUS_OK;
}

/**
 * SIMD: lanes set where the byte separates words in non-alphanumeric mode. Same
 * contract as ascii.ts's nonAlnumMask, which does not compile in AS 0.28.20
 * (`i8x16.splat(0x80)` needs an i8); bytes >= 0x80 are the negative signed lanes.
 */
// @ts-ignore: decorator
@inline function nonAlnumSepMask(v: v128): v128 {
  const digit = i8x16.le_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(9));
  const alpha = i8x16.le_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(25));
  const high = i8x16.lt_s(v, i8x16.splat(0));
  return v128.not(v128.or(v128.or(digit, alpha), high));
}

/** Separator bitmask of the 64 bytes at `p` (bit i = byte i), lowercasing them first if asked. */
// @ts-ignore: decorator
@inline function separators64(p: usize, lower: bool, nonAlnum: bool): u64 {
  let a = v128.load(p);
  let b = v128.load(p, 16);
  let c = v128.load(p, 32);
  let d = v128.load(p, 48);
  if (lower) {
    a = lowerVec(a); v128.store(p, a);
    b = lowerVec(b); v128.store(p, b, 16);
    c = lowerVec(c); v128.store(p, c, 32);
    d = lowerVec(d); v128.store(p, d, 48);
  }
  if (nonAlnum) {
    a = nonAlnumSepMask(a); b = nonAlnumSepMask(b); c = nonAlnumSepMask(c); d = nonAlnumSepMask(d);
  } else {
    a = spaceMask(a); b = spaceMask(b); c = spaceMask(c); d = spaceMask(d);
  }
  return <u64>i8x16.bitmask(a) |
    (<u64>i8x16.bitmask(b) << 16) |
    (<u64>i8x16.bitmask(c) << 32) |
    (<u64>i8x16.bitmask(d) << 48);
}

/** As separators64 for the last `take` (< 64) bytes; bits at and beyond `take` are set. */
function separatorsTail(p: usize, take: u32, lower: bool, nonAlnum: bool): u64 {
  let sep: u64 = take < 64 ? (<u64>-1) << take : 0;
  for (let i: u32 = 0; i < take; i++) {
    let c = <u32>load<u8>(p + i);
    if (lower) {
      c = lowerByte(c);
      store<u8>(p + i, <u8>c);
    }
    if (nonAlnum ? isNonAlnumSeparator(c) : isSpace(c)) sep |= <u64>1 << i;
  }
  return sep;
}

/**
 * Adds the counts held in word-index slots to their entries (value 1 per word) and
 * zeroes them. A no-op unless counts are pending; one pass over the word index.
 */
function settleWords(tbl: usize): void {
  if (load<u32>(tbl, H_PENDING) == 0) return;
  const words = <usize>load<u32>(tbl, H_WORDS);
  const slots = <usize>load<u32>(tbl, H_WORD_MASK) + 1;
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const f64Kind = load<u32>(tbl, H_KIND) == VALUE_F64;
  for (let i: usize = 0; i < slots; i++) {
    const slot = words + (i << 5);
    const c = load<i64>(slot, W_COUNT);
    if (c == 0) continue;
    const e = entries + <usize>(<u32>(load<u64>(slot, W_META) >> 32) - 1) * ENTRY_SIZE;
    if (f64Kind) combineF64(e, c, <f64>c, 1.0, 1.0);
    else combineI64(e, c, c, 1, 1);
    store<i64>(slot, 0, W_COUNT);
  }
  store<u32>(tbl, 0, H_PENDING);
}

/** True when the word index is usable: a power-of-two slot count above entryCap. */
function wordIndexValid(tbl: usize): bool {
  const mask = <u64>load<u32>(tbl, H_WORD_MASK);
  return load<u32>(tbl, H_WORDS) != 0 && (mask & (mask + 1)) == 0 && mask + 1 > <u64>load<u32>(tbl, H_CAP);
}

export function tableSettle(tbl: usize): i32 {
  if (!tableValid(tbl)) return STATUS_INVALID;
  settleWords(tbl);
  return STATUS_OK;
}

export function tableRebuildWords(tbl: usize): i32 {
  if (!tableValid(tbl) || !wordIndexValid(tbl)) return STATUS_INVALID;
  settleWords(tbl);
  const words = <usize>load<u32>(tbl, H_WORDS);
  const wmask = load<u32>(tbl, H_WORD_MASK);
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const n = load<u32>(tbl, H_COUNT);
  memory.fill(words, 0, (<usize>wmask + 1) << 5);
  for (let j: u32 = 0; j < n; j++) {
    const e = entries + <usize>j * ENTRY_SIZE;
    const len = load<u32>(e, E_KEYLEN);
    if (len >= PREFIX_BYTES) continue;
    const lo = load<u64>(e, E_PREFIX);
    const hi = load<u64>(e, E_PREFIX + 8);
    let i = homeSlot(probeHash(lo, hi, len), wmask);
    // Terminates: n <= entryCap < slot count, so an empty slot exists.
    while (load<u64>(words + (<usize>i << 5), W_META) != 0) i = (i + 1) & wmask;
    const slot = words + (<usize>i << 5);
    store<u64>(slot, lo, W_LO);
    store<u64>(slot, hi, W_HI);
    store<u64>(slot, <u64>len | (<u64>(j + 1) << 32), W_META);
  }
  return STATUS_OK;
}

/**
 * Counts one short word (< 16 bytes, given as its zero-padded halves lo/hi and probe
 * hash h) in the word index: a hit adds 1 to its slot, first sight finds or adds the
 * entry in the main table and takes the empty slot the probe ended on. Returns
 * STATUS_OK, or STATUS_GROW / STATUS_INVALID with nothing counted.
 */
// @ts-ignore: decorator
@inline function countShort(tbl: usize, words: usize, wmask: u32, klen: u32, lo: u64, hi: u64, h: u64): i32 {
  let i = homeSlot(h, wmask);
  let probes: u32 = 0;
  while (true) {
    const slot = words + (<usize>i << 5);
    const meta = load<u64>(slot, W_META);
    // One branch for the whole compare (hits are the common case); an empty slot has
    // length 0, which no word has, so it never matches.
    if (((load<u64>(slot, W_LO) ^ lo) | (load<u64>(slot, W_HI) ^ hi) | (<u64>(<u32>meta) ^ <u64>klen)) == 0) {
      store<u64>(slot, load<u64>(slot, W_COUNT) + 1, W_COUNT);
      return STATUS_OK;
    }
    if (meta == 0) {
      const entries = <usize>load<u32>(tbl, H_ENTRIES);
      const e = findOrAddShort(tbl, <usize>load<u32>(tbl, H_INDEX), load<u32>(tbl, H_MASK), entries, klen, lo, hi, h, 0, false);
      if (e <= CORRUPT) return e == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
      store<u64>(slot, lo, W_LO);
      store<u64>(slot, hi, W_HI);
      store<u64>(slot, <u64>klen | (<u64>(<u32>((e - entries) >> 6) + 1) << 32), W_META);
      store<u64>(slot, 1, W_COUNT);
      return STATUS_OK;
    }
    // Cannot loop forever: the caller keeps more slots than entries (wordIndexValid).
    if (++probes > wmask) return STATUS_INVALID;
    i = (i + 1) & wmask;
  }
}

/**
 * Tokenize + lowercase + hash + count in one pass. Each word is counted as soon as the
 * scan ends it: a short word costs one probe of the word index (usually one cache
 * line), with no per-word record in between. An earlier design batched 32 words and
 * touched their slots first so cache misses would overlap; counting inline measured
 * 1.4x faster on a corpus whose words stay in cache and no slower on the 100k-word
 * Zipf corpus (bench/README.md), because the out-of-order core overlaps the misses of
 * neighbouring words by itself once the per-word work is small.
 */
export function wordCount(tbl: usize, src: usize, len: u32, flags: u32): i32 {
  if (!tableValid(tbl) || !wordIndexValid(tbl)) return STATUS_INVALID;
  const words = <usize>load<u32>(tbl, H_WORDS);
  const wmask = load<u32>(tbl, H_WORD_MASK);
  const f64Kind = load<u32>(tbl, H_KIND) == VALUE_F64;
  const lower = (flags & FLAG_LOWERCASE) != 0;
  const nonAlnum = (flags & FLAG_NONALNUM) != 0;
  const final = (flags & FLAG_FINAL) != 0;
  const end = src + <usize>len;
  store<u32>(tbl, 1, H_PENDING);
  let seen: u32 = 0;    // words counted by this call
  // Short words are read with two 8-byte loads that may run past the word (never past
  // the memory): words starting below `shortLimit` may take that path.
  const memTop = <u64>memory.size() << 16;
  const shortLimit = memTop >= 16 ? memTop - 16 : 0;

  let p = src;          // start of the current 64-byte block
  let rem = len;        // bytes from p to the end
  let inWord = false;   // a word started before the current position and has not ended
  let ws: usize = 0;    // its first byte
  // With FLAG_FINAL one extra, empty block (all separators) ends a word touching the
  // end, so every word is counted at the one site below.
  while (rem > 0 || (final && inWord)) {
    const take = rem < 64 ? rem : 64;
    const sep = take == 64 ? separators64(p, lower, nonAlnum) : separatorsTail(p, take, lower, nonAlnum);
    let bits = ~sep;    // word bytes not yet passed
    while (true) {
      let rest = sep;
      if (!inWord) {
        if (bits == 0) break;
        const s = ctz(bits);
        ws = p + <usize>s;
        rest = sep & ((<u64>-1) << s);
      }
      if (rest == 0) { inWord = true; break; }    // the word runs into the next block
      const e = ctz(rest);
      const we = p + <usize>e;
      if (we == end && !final) { inWord = true; break; }   // may continue in the next chunk
      const klen = <u32>(we - ws);
      let status: i32;
      if (klen < PREFIX_BYTES && <u64>ws <= shortLimit) {
        const lo = load<u64>(ws) & lowMask(klen);
        // Branch-free: word lengths are random. lowMask(klen - 8) wraps to all ones
        // for klen <= 8, and the second mask then zeroes hi.
        const hi = load<u64>(ws, 8) & lowMask(klen - 8) & (<u64>0 - <u64>(klen > 8));
        status = countShort(tbl, words, wmask, klen, lo, hi, probeHash(lo, hi, klen));
      } else {
        const entry = findOrAdd(tbl, <usize>load<u32>(tbl, H_INDEX), load<u32>(tbl, H_MASK), <usize>load<u32>(tbl, H_ENTRIES),
          <usize>load<u32>(tbl, H_ARENA), ws, klen, xxh64(ws, klen, 0));
        if (entry > CORRUPT) {
          if (f64Kind) combineF64(entry, 1, 1.0, 1.0, 1.0);
          else combineI64(entry, 1, 1, 1, 1);
          status = STATUS_OK;
        } else status = entry == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
      }
      if (status != STATUS_OK) {
        // The table is full (or corrupt): resume from this word after the caller grows it.
        store<u32>(tbl, load<u32>(tbl, H_WORDS_SEEN) + seen, H_WORDS_SEEN);
        store<u32>(tbl, <u32>(ws - src), H_RESUME);
        return status;
      }
      seen++;
      inWord = false;
      bits &= (<u64>-1) << e;
    }
    p += <usize>take;
    rem -= take;
  }
  store<u32>(tbl, load<u32>(tbl, H_WORDS_SEEN) + seen, H_WORDS_SEEN);
  store<u32>(tbl, inWord ? <u32>(ws - src) : len, H_RESUME);
  return STATUS_OK;
}

export function tableRebuildIndex(tbl: usize): i32 {
  if (!tableValid(tbl)) return STATUS_INVALID;
  const index = <usize>load<u32>(tbl, H_INDEX);
  const mask = load<u32>(tbl, H_MASK);
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const n = load<u32>(tbl, H_COUNT);
  memory.fill(index, 0, (<usize>mask + 1) << 3);
  for (let j: u32 = 0; j < n; j++) {
    const e = entries + <usize>j * ENTRY_SIZE;
    const len = load<u32>(e, E_KEYLEN);
    // The same index hash the lookups use: probe hash for short keys, else XXH64.
    const h = len < PREFIX_BYTES ? probeHash(load<u64>(e, E_PREFIX), load<u64>(e, E_PREFIX + 8), len) : load<u64>(e, E_HASH);
    let i = homeSlot(h, mask);
    // Terminates: n <= entryCap < slot count, so an empty slot exists.
    while (load<u64>(index + (<usize>i << 3)) != 0) i = (i + 1) & mask;
    store<u64>(index + (<usize>i << 3), (h & TAG_MASK) | <u64>(j + 1));
  }
  return STATUS_OK;
}

export function tableMerge(dst: usize, src: usize, start: u32): i32 {
  if (dst == src || !tableValid(dst) || !tableValid(src)) return STATUS_INVALID;
  if (load<u32>(dst, H_KIND) != load<u32>(src, H_KIND)) return STATUS_INVALID;
  // The source's builder is done (the caller's contract): its pending counts can move.
  settleWords(src);
  const index = <usize>load<u32>(dst, H_INDEX);
  const mask = load<u32>(dst, H_MASK);
  const entries = <usize>load<u32>(dst, H_ENTRIES);
  const arena = <usize>load<u32>(dst, H_ARENA);
  const f64Kind = load<u32>(dst, H_KIND) == VALUE_F64;
  const srcEntries = <usize>load<u32>(src, H_ENTRIES);
  const srcArena = <usize>load<u32>(src, H_ARENA);
  const n = load<u32>(src, H_COUNT);
  for (let i = start; i < n; i++) {
    const se = srcEntries + <usize>i * ENTRY_SIZE;
    const key = srcArena + <usize>load<u32>(se, E_KEYOFF);
    const e = findOrAdd(dst, index, mask, entries, arena, key, load<u32>(se, E_KEYLEN), load<u64>(se, E_HASH));
    if (e <= CORRUPT) {
      store<u32>(dst, i, H_RESUME);
      return e == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
    }
    combineRecord(e, se + E_COUNT, f64Kind);
  }
  store<u32>(dst, n, H_RESUME);
  return STATUS_OK;
}

export function tableEmitSize(tbl: usize): u32 {
  return load<u32>(tbl, H_COUNT) * BLOCK_RECORD_OVERHEAD + load<u32>(tbl, H_ARENA_USED);
}

export function tableEmit(tbl: usize, partitions: u32, out: usize, outCap: u32, offsets: usize): i32 {
  if (!tableValid(tbl) || partitions == 0) return STATUS_INVALID;
  settleWords(tbl);
  const n = load<u32>(tbl, H_COUNT);
  const size = <u64>n * BLOCK_RECORD_OVERHEAD + <u64>load<u32>(tbl, H_ARENA_USED);
  if (size > <u64>outCap) return STATUS_FULL;
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const arena = <usize>load<u32>(tbl, H_ARENA);
  const parts = <u64>partitions;
  // Counting sort by partition: sizes into offsets[p + 1], prefix sums, then offsets[p]
  // is partition p's write cursor; after the fill it holds p's end, so shift by one.
  memory.fill(offsets, 0, (<usize>partitions + 1) << 2);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries + <usize>i * ENTRY_SIZE;
    const at = offsets + ((<usize>(load<u64>(e, E_HASH) % parts) + 1) << 2);
    store<u32>(at, load<u32>(at) + BLOCK_RECORD_OVERHEAD + load<u32>(e, E_KEYLEN));
  }
  for (let p: u32 = 1; p <= partitions; p++) {
    const at = offsets + (<usize>(p - 1) << 2);
    store<u32>(at, load<u32>(at) + load<u32>(at, 4), 4);
  }
  for (let i: u32 = 0; i < n; i++) {
    const e = entries + <usize>i * ENTRY_SIZE;
    const h = load<u64>(e, E_HASH);
    const at = offsets + (<usize>(h % parts) << 2);
    const rec = out + <usize>load<u32>(at);
    const klen = load<u32>(e, E_KEYLEN);
    store<u32>(rec, klen);
    if (klen < PREFIX_BYTES) {
      // A short key is its entry's prefix: two 8-byte stores instead of a memory.copy
      // call. They may run up to 15 bytes past the key, into the tail written next.
      store<u64>(rec, load<u64>(e, E_PREFIX), 4);
      store<u64>(rec, load<u64>(e, E_PREFIX + 8), 12);
    } else {
      memory.copy(rec + 4, arena + <usize>load<u32>(e, E_KEYOFF), klen);
    }
    const tail = rec + 4 + <usize>klen;
    store<u64>(tail, h);
    store<u64>(tail, load<u64>(e, E_COUNT), 8);
    store<u64>(tail, load<u64>(e, E_SUM), 16);
    store<u64>(tail, load<u64>(e, E_MIN), 24);
    store<u64>(tail, load<u64>(e, E_MAX), 32);
    store<u32>(at, load<u32>(at) + BLOCK_RECORD_OVERHEAD + klen);
  }
  for (let p = partitions; p > 0; p--) {
    store<u32>(offsets + (<usize>p << 2), load<u32>(offsets + (<usize>(p - 1) << 2)));
  }
  store<u32>(offsets, 0);
  return STATUS_OK;
}

export function tableInsertBlock(tbl: usize, block: usize, len: u32, start: u32): i32 {
  if (!tableValid(tbl)) return STATUS_INVALID;
  const index = <usize>load<u32>(tbl, H_INDEX);
  const mask = load<u32>(tbl, H_MASK);
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const arena = <usize>load<u32>(tbl, H_ARENA);
  const f64Kind = load<u32>(tbl, H_KIND) == VALUE_F64;
  let at = start;
  while (at < len) {
    if (len - at < BLOCK_RECORD_OVERHEAD) return STATUS_INVALID;
    const rec = block + <usize>at;
    const klen = load<u32>(rec);
    if (klen > len - at - BLOCK_RECORD_OVERHEAD) return STATUS_INVALID;
    const tail = rec + 4 + <usize>klen;
    const e = findOrAdd(tbl, index, mask, entries, arena, rec + 4, klen, load<u64>(tail));
    if (e <= CORRUPT) {
      store<u32>(tbl, at, H_RESUME);
      return e == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
    }
    combineRecord(e, tail + 8, f64Kind);
    at += BLOCK_RECORD_OVERHEAD + klen;
  }
  store<u32>(tbl, len, H_RESUME);
  return STATUS_OK;
}

export function tableInsertRecords(tbl: usize, buf: usize, len: u32, start: u32, passes: u32, pass: u32, divisor: u32): i32 {
  if (!tableValid(tbl) || passes == 0 || pass >= passes || divisor == 0) return STATUS_INVALID;
  const index = <usize>load<u32>(tbl, H_INDEX);
  const mask = load<u32>(tbl, H_MASK);
  const entries = <usize>load<u32>(tbl, H_ENTRIES);
  const arena = <usize>load<u32>(tbl, H_ARENA);
  const f64Kind = load<u32>(tbl, H_KIND) == VALUE_F64;
  const all = passes == 1;
  const p64 = <u64>passes;
  const want = <u64>pass;
  const d64 = <u64>divisor;
  let at = start;
  while (len - at >= BLOCK_RECORD_OVERHEAD) {
    const rec = buf + <usize>at;
    const klen = load<u32>(rec);
    // The record continues past this chunk: the caller carries it into the next one.
    if (<u64>klen > <u64>(len - at - BLOCK_RECORD_OVERHEAD)) break;
    const tail = rec + 4 + <usize>klen;
    const h = load<u64>(tail);
    if (all || (h / d64) % p64 == want) {
      const e = findOrAdd(tbl, index, mask, entries, arena, rec + 4, klen, h);
      if (e <= CORRUPT) {
        store<u32>(tbl, at, H_RESUME);
        return e == NO_ROOM ? STATUS_GROW : STATUS_INVALID;
      }
      combineRecord(e, tail + 8, f64Kind);
    }
    at += BLOCK_RECORD_OVERHEAD + klen;
  }
  store<u32>(tbl, at, H_RESUME);
  return STATUS_OK;
}
