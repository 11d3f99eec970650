// Tokenizer: splits bytes into words on ASCII whitespace (or, with FLAG_NONALNUM, on
// every ASCII byte that is not alphanumeric). Bytes >= 0x80 are word bytes.
// ABI (owned by engine/executor/kernels/tokenizer.ts):
//   lowercaseAscii(src, len, dst) -> status: dst may equal src (else must not overlap).
//   tokenize(src, len, flags, out, cap, ctl) -> status
//     out: u32 pairs (start, end) relative to src.
//     ctl: u32[2] = [tokens written, bytes consumed].
//     Without FLAG_FINAL a token touching the end of the range is not emitted (it may
//     continue in the next chunk); consumed stops at its start.
//     FLAG_LOWERCASE lowercases the range in place first (the whole range, before any
//     token is written, so a resumed call needs the flag no more).
//     STATUS_FULL: `cap` tokens were written and another one was found; consumed is
//     its start, so calling again at src + consumed resumes exactly.
//   tokenizeHash(src, len, flags, out, hashes, cap, ctl) -> status: as tokenize, and
//     writes the XXH64 (seed 0) of each token to hashes (u64[cap]).
//
// Algorithm: classify 64 bytes per step into a u64 separator mask (four v128 compares
// packed with i8x16.bitmask), then find word boundaries as the bits where the mask
// changes: t = s ^ ((s << 1) | carry), carry = bit 63 of the previous block (the
// transition trick of simdjson's structural scan, Langdale & Lemire, VLDB J. 2019).
// Set bits of t alternate word start / word end and are visited with ctz.
import { FLAG_FINAL, FLAG_LOWERCASE, FLAG_NONALNUM, isNonAlnumSeparator, isSpace, lowerByte, lowerVec, spaceMask } from "./ascii";
import { lowMask, xxh64, xxh64Short } from "./hash";
import { STATUS_OK, STATUS_FULL } from "./status";

/** Bytes classified per step: four v128 lanes packed into one u64 bit mask. */
// @ts-ignore: decorator
@inline const BLOCK: u32 = 64;

/** Bytes lowercased per SIMD step. */
// @ts-ignore: decorator
@inline const LANES: u32 = 16;

/**
 * Lanes that are word bytes in non-alphanumeric mode: [0-9A-Za-z] or >= 0x80.
 * (Local instead of ascii.ts's nonAlnumMask, which does not compile as of this commit:
 * `i8x16.splat(0x80)` needs an i8 cast. Taking the complement after bitmask also
 * saves the v128.not.)
 */
// @ts-ignore: decorator
@inline function wordLanesNonAlnum(v: v128): v128 {
  const digit = i8x16.le_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(9));
  const alpha = i8x16.le_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(25));
  const high = i8x16.lt_s(v, i8x16.splat(0));
  return v128.or(v128.or(digit, alpha), high);
}

// @ts-ignore: decorator
@inline function sepLanes(v: v128, nonAlnum: bool): u64 {
  return nonAlnum
    ? <u64>(~i8x16.bitmask(wordLanesNonAlnum(v)) & 0xffff)
    : <u64><u32>i8x16.bitmask(spaceMask(v));
}

/** Bit i set where byte i of the 64 bytes at `p` separates words. */
// @ts-ignore: decorator
@inline function sepBits(p: usize, nonAlnum: bool): u64 {
  return sepLanes(v128.load(p), nonAlnum) |
    (sepLanes(v128.load(p, 16), nonAlnum) << 16) |
    (sepLanes(v128.load(p, 32), nonAlnum) << 32) |
    (sepLanes(v128.load(p, 48), nonAlnum) << 48);
}

/** As sepBits for the last `rem` (< 64) bytes; never reads past them. */
// @ts-ignore: decorator
@inline function sepBitsTail(p: usize, rem: u32, nonAlnum: bool): u64 {
  let bits: u64 = 0;
  for (let k: u32 = 0; k < rem; k++) {
    const c = <u32>load<u8>(p + k);
    if (nonAlnum ? isNonAlnumSeparator(c) : isSpace(c)) bits |= (<u64>1) << k;
  }
  return bits;
}

// @ts-ignore: decorator
@inline function finish(ctl: usize, n: u32, consumed: u32, status: i32): i32 {
  store<u32>(ctl, n);
  store<u32>(ctl, consumed, 4);
  return status;
}

/** Keys shorter than this take the branch-free XXH64 path. */
// @ts-ignore: decorator
@inline const SHORT_KEY: u32 = 16;

/** XXH64 (seed 0) of a key of `len` < 16 bytes at `p`, read as two zero-padded 8-byte
 * lanes (branch-free, see xxh64Short in hash.ts). Reads 16 bytes from `p`: the caller
 * guarantees they are inside the range. */
// @ts-ignore: decorator
@inline function hashShortAt(p: usize, len: u32): u64 {
  const lo = load<u64>(p) & lowMask(len);
  const hi = select<u64>(load<u64>(p, 8) & lowMask(len - 8), 0, len > 8);
  return xxh64Short(lo, hi, len);
}

// @ts-ignore: decorator
@inline function emit(src: usize, len: u32, out: usize, hashes: usize, n: u32, start: u32, end: u32, withHash: bool): void {
  const slot = out + (<usize>n << 3);
  store<u32>(slot, start);
  store<u32>(slot, end, 4);
  if (withHash) {
    const klen = end - start;
    // The short path reads 16 bytes from the key's start: only where they are in range.
    const h = klen < SHORT_KEY && start + SHORT_KEY <= len
      ? hashShortAt(src + start, klen)
      : xxh64(src + start, klen, 0);
    store<u64>(hashes + (<usize>n << 3), h);
  }
}

/** The tokenizer body; `withHash` and `nonAlnum` are constants at each call site, so each export gets a specialized loop. */
// @ts-ignore: decorator
@inline function scan(src: usize, len: u32, flags: u32, out: usize, hashes: usize, cap: u32, ctl: usize, withHash: bool, nonAlnum: bool): i32 {
  if (flags & FLAG_LOWERCASE) lowercaseAscii(src, len, src);
  let n: u32 = 0;
  let start: u32 = 0; // start of the open word, meaningful while inWord
  let inWord = false;
  let carry: u64 = 1; // the byte before the range counts as a separator
  let base: u32 = 0;
  while (base < len) {
    const rem = len - base;
    let t: u64;
    if (rem >= BLOCK) {
      const s = sepBits(src + base, nonAlnum);
      t = s ^ ((s << 1) | carry);
      carry = s >> 63;
    } else {
      // Transitions past the end are not real: keep only bits below rem.
      const s = sepBitsTail(src + base, rem, nonAlnum);
      t = (s ^ ((s << 1) | carry)) & (((<u64>1) << rem) - 1);
    }
    while (t != 0) {
      const at = base + <u32>ctz(t);
      t &= t - 1;
      if (!inWord) {
        start = at;
        inWord = true;
      } else {
        if (n == cap) return finish(ctl, n, start, STATUS_FULL);
        emit(src, len, out, hashes, n, start, at, withHash);
        n++;
        inWord = false;
      }
    }
    if (rem <= BLOCK) break;
    base += BLOCK;
  }
  if (inWord) {
    // The open word touches the end: complete only if this range ends the input.
    if (!(flags & FLAG_FINAL)) return finish(ctl, n, start, STATUS_OK);
    if (n == cap) return finish(ctl, n, start, STATUS_FULL);
    emit(src, len, out, hashes, n, start, len, withHash);
    n++;
  }
  return finish(ctl, n, len, STATUS_OK);
}

export function lowercaseAscii(src: usize, len: u32, dst: usize): i32 {
  let i: u32 = 0;
  if (len >= LANES) {
    const last = len - LANES;
    for (; i <= last; i += LANES) v128.store(dst + i, lowerVec(v128.load(src + i)));
  }
  for (; i < len; i++) store<u8>(dst + i, <u8>lowerByte(<u32>load<u8>(src + i)));
  return STATUS_OK;
}

export function tokenize(src: usize, len: u32, flags: u32, out: usize, cap: u32, ctl: usize): i32 {
  if (flags & FLAG_NONALNUM) return scan(src, len, flags, out, 0, cap, ctl, false, true);
  return scan(src, len, flags, out, 0, cap, ctl, false, false);
}

export function tokenizeHash(src: usize, len: u32, flags: u32, out: usize, hashes: usize, cap: u32, ctl: usize): i32 {
  if (flags & FLAG_NONALNUM) return scan(src, len, flags, out, hashes, cap, ctl, true, true);
  return scan(src, len, flags, out, hashes, cap, ctl, true, false);
}
