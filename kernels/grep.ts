// Literal line search for `kiln grep`: which lines of a region of whole lines contain
// a byte string (ASCII case folded or not), found without a JS string per line.
// ABI (owned by engine/executor/kernels/grep.ts):
//   grepScan(src, len, needle, nlen, flags, out, cap, ctl) -> status
//   needle: nlen >= 1 bytes, holding no '\n', '\r' or NUL; with GREP_ICASE its ASCII
//     letters are lowercase and input letters are folded before comparing.
//   Lines mode (flags without GREP_COUNT): out gets u32 pairs (start, end) relative to
//     src of the lines holding the needle, end excluding "\n" and a '\r' before it (or
//     before the region's end: the region ends on a line end, as lineSplit's final
//     rule). ctl: u32[2] = [lines written, bytes consumed]. STATUS_FULL when `cap`
//     pairs were written and another line matched: call again at src + consumed.
//   Count mode (GREP_COUNT): '\n' and NUL both end a segment (GNU grep's rule for a
//     binary file) and ctl[0] gets the number of segments holding the needle; out and
//     cap are unused. Always STATUS_OK, ctl[1] = len.
//   grepRange(src, len, lo, hi, out, cap, ctl) -> status: lines mode as grepScan, for
//     the lines holding a byte in [lo, hi] (an -E pattern's required class, [0-9]).
//   hasByte(src, len, b) -> 1 if byte b occurs in the region, else 0.
//
// Algorithm: the "generic SIMD" substring search of Wojciech Muła ("SIMD-friendly
// algorithms for substring searching", 2016, section "Generic SIMD"): compare 16
// positions at once against the needle's first and last bytes, AND the two lane masks,
// and verify only the positions where both agree. After a match the rest of its line
// is skipped with a SIMD newline scan, so a matching line costs one match, whatever
// else it holds.
import { STATUS_OK, STATUS_FULL } from "./status";
import { lowerByte } from "./ascii";

/** grepScan flag: ASCII letters compare case-insensitively (the needle is lowercase). */
export const GREP_ICASE: u32 = 1;
/** grepScan flag: count matching segments ('\n' or NUL terminated) instead of listing lines. */
export const GREP_COUNT: u32 = 2;

/** The byte to OR into input bytes before comparing with needle byte `c`: 0x20 folds a letter. */
// @ts-ignore: decorator
@inline function foldBit(c: u32, icase: bool): u8 {
  return icase && c - 0x61 < 26 ? 0x20 : 0;
}

/** Whether the needle's bytes 1..n-2 equal those at p+1.. (folded with icase). */
// @ts-ignore: decorator
@inline function middleEquals(p: usize, needle: usize, n: u32, icase: bool): bool {
  for (let k: u32 = 1; k + 1 < n; k++) {
    let c = <u32>load<u8>(p + k);
    if (icase) c = lowerByte(c);
    if (c != <u32>load<u8>(needle + k)) return false;
  }
  return true;
}

/**
 * First position >= pos where the needle starts (its last byte at or before len - 1),
 * or -1. Muła's generic SIMD filter on the first and last byte, then a byte compare.
 */
function findNeedle(src: usize, len: u32, pos: u32, needle: usize, n: u32, icase: bool): i32 {
  const first = <u32>load<u8>(needle);
  const last = <u32>load<u8>(needle + n - 1);
  const f = i8x16.splat(<i8>first);
  const l = i8x16.splat(<i8>last);
  const fBit = i8x16.splat(<i8>foldBit(first, icase));
  const lBit = i8x16.splat(<i8>foldBit(last, icase));
  let i = pos;
  // Both 16-byte loads stay inside the region: i + n - 1 + 16 <= len.
  while (<u64>i + n + 15 <= <u64>len) {
    const a = v128.or(v128.load(src + i), fBit);
    const b = v128.or(v128.load(src + i + n - 1), lBit);
    let bits = i8x16.bitmask(v128.and(i8x16.eq(a, f), i8x16.eq(b, l)));
    while (bits != 0) {
      const j = i + <u32>ctz(bits);
      if (middleEquals(src + j, needle, n, icase)) return <i32>j;
      bits &= bits - 1;
    }
    i += 16;
  }
  for (; <u64>i + n <= <u64>len; i++) {
    let c0 = <u32>load<u8>(src + i);
    let c1 = <u32>load<u8>(src + i + n - 1);
    if (icase) {
      c0 = lowerByte(c0);
      c1 = lowerByte(c1);
    }
    if (c0 == first && c1 == last && middleEquals(src + i, needle, n, icase)) return <i32>i;
  }
  return -1;
}

/** First position >= pos holding '\n' (or, with nul, a NUL byte), or len. */
function findEnd(src: usize, len: u32, pos: u32, nul: bool): u32 {
  const nl = i8x16.splat(0x0a);
  const zero = i8x16.splat(0);
  let i = pos;
  while (i + 16 <= len) {
    const v = v128.load(src + i);
    let m = i8x16.eq(v, nl);
    if (nul) m = v128.or(m, i8x16.eq(v, zero));
    const bits = i8x16.bitmask(m);
    if (bits != 0) return i + <u32>ctz(bits);
    i += 16;
  }
  for (; i < len; i++) {
    const c = load<u8>(src + i);
    if (c == 0x0a || (nul && c == 0)) return i;
  }
  return len;
}

/** Lines holding the needle, or (GREP_COUNT) the segments holding it; ABI in the header. */
export function grepScan(src: usize, len: u32, needle: usize, nlen: u32, flags: u32, out: usize, cap: u32, ctl: usize): i32 {
  const icase = (flags & GREP_ICASE) != 0;
  let found: u32 = 0;
  let pos: u32 = 0;
  if ((flags & GREP_COUNT) != 0) {
    while (pos < len) {
      const j = findNeedle(src, len, pos, needle, nlen, icase);
      if (j < 0) break;
      found++;
      // The needle holds no terminator, so its segment ends after it.
      pos = findEnd(src, len, <u32>j + nlen, true) + 1;
    }
    store<u32>(ctl, found);
    store<u32>(ctl, len, 4);
    return STATUS_OK;
  }
  return listLines(src, len, needle, nlen, icase, 0, 0, false, out, cap, ctl);
}

/**
 * Lines mode of grepScan (byRange false: lines holding the needle) and grepRange
 * (byRange true: lines holding a byte in [lo, hi]): (start, end) pairs into `out`.
 */
function listLines(src: usize, len: u32, needle: usize, nlen: u32, icase: bool, lo: u32, hi: u32, byRange: bool, out: usize, cap: u32, ctl: usize): i32 {
  let found: u32 = 0;
  let pos: u32 = 0;
  while (pos < len) {
    const j = byRange ? findRange(src, len, pos, lo, hi) : findNeedle(src, len, pos, needle, nlen, icase);
    if (j < 0) break;
    // The line starts after the last '\n' before the hit; `pos` is a line start.
    let start = <u32>j;
    while (start > pos && load<u8>(src + start - 1) != 0x0a) start--;
    if (found == cap) {
      store<u32>(ctl, found);
      store<u32>(ctl, start, 4);
      return STATUS_FULL;
    }
    // The hit holds no '\n' (needles and ranges never do), so its line goes on after it.
    const nl = findEnd(src, len, <u32>j + (byRange ? 1 : nlen), false);
    let end = nl;
    if (end > start && load<u8>(src + end - 1) == 0x0d) end--;
    const slot = out + (<usize>found << 3);
    store<u32>(slot, start);
    store<u32>(slot, end, 4);
    found++;
    pos = nl + 1;
  }
  store<u32>(ctl, found);
  store<u32>(ctl, len, 4);
  return STATUS_OK;
}

/** First position >= pos holding a byte in [lo, hi], or -1 (one unsigned compare a lane). */
function findRange(src: usize, len: u32, pos: u32, lo: u32, hi: u32): i32 {
  const l = i8x16.splat(<i8>lo);
  const w = i8x16.splat(<i8>(hi - lo));
  let i = pos;
  while (i + 32 <= len) {
    const a = i8x16.bitmask(i8x16.le_u(i8x16.sub(v128.load(src + i), l), w));
    const b = i8x16.bitmask(i8x16.le_u(i8x16.sub(v128.load(src + i, 16), l), w));
    const bits = <u32>a | (<u32>b << 16);
    if (bits != 0) return <i32>(i + ctz(bits));
    i += 32;
  }
  for (; i < len; i++) if (<u32>load<u8>(src + i) - lo <= hi - lo) return <i32>i;
  return -1;
}

/** Lines holding a byte in [lo, hi]; ABI in the header. */
export function grepRange(src: usize, len: u32, lo: u32, hi: u32, out: usize, cap: u32, ctl: usize): i32 {
  return listLines(src, len, 0, 0, false, lo, hi, true, out, cap, ctl);
}

/** 1 if byte `b` occurs in [src, src + len), else 0. */
export function hasByte(src: usize, len: u32, b: u32): u32 {
  const v = i8x16.splat(<i8>b);
  let i: u32 = 0;
  // 64 bytes a step: four compares ORed, one bitmask test.
  while (i + 64 <= len) {
    const m = v128.or(
      v128.or(i8x16.eq(v128.load(src + i), v), i8x16.eq(v128.load(src + i, 16), v)),
      v128.or(i8x16.eq(v128.load(src + i, 32), v), i8x16.eq(v128.load(src + i, 48), v)),
    );
    if (v128.any_true(m)) return 1;
    i += 64;
  }
  for (; i < len; i++) if (<u32>load<u8>(src + i) == b) return 1;
  return 0;
}
