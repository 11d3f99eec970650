// Line splitting: finds record boundaries in a byte range (Hadoop's text-line rule:
// '\n' ends a line, a '\r' right before it is dropped, empty lines are records).
// ABI (owned by engine/executor/kernels/lines.ts):
//   lineSplit(src, len, flags, out, cap, ctl) -> status
//   out: u32 pairs (start, end) relative to src; end excludes "\n" / "\r\n".
//   ctl: u32[2] = [lines written, bytes consumed (just past the last newline used)].
//   flags & FLAG_FINAL: a last line without a newline is emitted and consumed too.
//     A final line that ends in a lone "\r" (no "\n" after it) has that "\r" dropped,
//     as if the input had ended in "\r\n"; a '\r' anywhere else is data.
//   Without FLAG_FINAL the bytes after the last '\n' are not consumed (the caller
//   carries them into the next chunk), so a trailing '\r' waits for its '\n'.
//   Returns STATUS_OK when the range is consumed, STATUS_FULL when `cap` pairs were
//   written and another line was found: call again at src + consumed.
//
// Algorithm: the SIMD newline scan of simdjson / simdcsv (Langdale & Lemire, "Parsing
// Gigabytes of JSON per Second", VLDB J. 2019, section 3.1): compare 64 bytes against
// '\n' four vectors at a time, pack the lane masks into one u64 with i8x16.bitmask,
// then visit the set bits with ctz and clear the lowest one (x & (x - 1)).
import { FLAG_FINAL } from "./ascii";
import { STATUS_OK, STATUS_FULL } from "./status";

/** Bytes classified per step: four v128 lanes packed into one u64 bit mask. */
// @ts-ignore: decorator
@inline const BLOCK: u32 = 64;

/** Bit i set where byte i of the 64 bytes at `p` is '\n'. */
// @ts-ignore: decorator
@inline function newlineBits(p: usize): u64 {
  const nl = i8x16.splat(0x0a);
  const m0 = <u64><u32>i8x16.bitmask(i8x16.eq(v128.load(p), nl));
  const m1 = <u64><u32>i8x16.bitmask(i8x16.eq(v128.load(p, 16), nl));
  const m2 = <u64><u32>i8x16.bitmask(i8x16.eq(v128.load(p, 32), nl));
  const m3 = <u64><u32>i8x16.bitmask(i8x16.eq(v128.load(p, 48), nl));
  return m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
}

/** As newlineBits for the last `rem` (< 64) bytes; never reads past them. */
// @ts-ignore: decorator
@inline function newlineBitsTail(p: usize, rem: u32): u64 {
  let bits: u64 = 0;
  for (let k: u32 = 0; k < rem; k++) {
    if (load<u8>(p + k) == 0x0a) bits |= (<u64>1) << k;
  }
  return bits;
}

// @ts-ignore: decorator
@inline function finish(ctl: usize, lines: u32, consumed: u32, status: i32): i32 {
  store<u32>(ctl, lines);
  store<u32>(ctl, consumed, 4);
  return status;
}

// @ts-ignore: decorator
@inline function emit(src: usize, out: usize, lines: u32, start: u32, end: u32): void {
  // Drop the '\r' of "\r\n"; `end > start` keeps it inside this line.
  if (end > start && load<u8>(src + end - 1) == 0x0d) end--;
  const slot = out + (<usize>lines << 3);
  store<u32>(slot, start);
  store<u32>(slot, end, 4);
}

export function lineSplit(src: usize, len: u32, flags: u32, out: usize, cap: u32, ctl: usize): i32 {
  let lines: u32 = 0;
  let start: u32 = 0;
  let base: u32 = 0;
  while (base < len) {
    const rem = len - base;
    let bits = rem >= BLOCK ? newlineBits(src + base) : newlineBitsTail(src + base, rem);
    while (bits != 0) {
      const nl = base + <u32>ctz(bits);
      bits &= bits - 1;
      if (lines == cap) return finish(ctl, lines, start, STATUS_FULL);
      emit(src, out, lines, start, nl);
      lines++;
      start = nl + 1;
    }
    if (rem <= BLOCK) break;
    base += BLOCK;
  }
  if ((flags & FLAG_FINAL) && start < len) {
    if (lines == cap) return finish(ctl, lines, start, STATUS_FULL);
    emit(src, out, lines, start, len);
    lines++;
    start = len;
  }
  return finish(ctl, lines, start, STATUS_OK);
}
