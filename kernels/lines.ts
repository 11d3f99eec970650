// Line splitting: finds record boundaries in a byte range (Hadoop's text-line rule:
// '\n' ends a line, a '\r' right before it is dropped, empty lines are records).
// ABI (owned by engine/kernels/lines.ts):
//   lineSplit(src, len, flags, out, cap, ctl) -> status
//   out: u32 pairs (start, end) relative to src; end excludes "\n" / "\r\n".
//   ctl: u32[2] = [lines written, bytes consumed (just past the last newline used)].
//   flags & FLAG_FINAL: a last line without a newline is emitted and consumed too.
//   Returns STATUS_OK when the range is consumed, STATUS_FULL when `cap` pairs were written.
import { FLAG_FINAL } from "./ascii";
import { STATUS_OK, STATUS_FULL } from "./status";

export function lineSplit(src: usize, len: u32, flags: u32, out: usize, cap: u32, ctl: usize): i32 {
  // Placeholder scalar version; the SIMD kernel replaces it.
  let lines: u32 = 0;
  let start: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    if (load<u8>(src + i) == 0x0a) {
      if (lines == cap) { store<u32>(ctl, lines); store<u32>(ctl, start, 4); return STATUS_FULL; }
      let end = i;
      if (end > start && load<u8>(src + end - 1) == 0x0d) end--;
      store<u32>(out + (<usize>lines << 3), start);
      store<u32>(out + (<usize>lines << 3), end, 4);
      lines++;
      start = i + 1;
    }
  }
  if ((flags & FLAG_FINAL) && start < len) {
    if (lines == cap) { store<u32>(ctl, lines); store<u32>(ctl, start, 4); return STATUS_FULL; }
    let end = len;
    if (load<u8>(src + end - 1) == 0x0d) end--;
    store<u32>(out + (<usize>lines << 3), start);
    store<u32>(out + (<usize>lines << 3), end, 4);
    lines++;
    start = len;
  }
  store<u32>(ctl, lines);
  store<u32>(ctl, start, 4);
  return STATUS_OK;
}
