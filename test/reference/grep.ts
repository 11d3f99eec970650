// Plain-TypeScript literal line search, the reference grepScan is checked against.
// Written for clarity: cut the input into lines as linesReference does, and test each
// line's bytes for the needle with a naive compare; for counting, cut each line at NUL
// bytes too and count the pieces holding the needle (GNU grep -c on a binary file).
import { linesReference } from './lines.js';

/** ASCII lowercase of one byte. */
const fold = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/** Whether `needle` occurs in `bytes[from, to)`. */
function holds(bytes: Uint8Array, from: number, to: number, needle: Uint8Array, ignoreCase: boolean): boolean {
  for (let i = from; i + needle.length <= to; i++) {
    let k = 0;
    while (k < needle.length && (ignoreCase ? fold(bytes[i + k]!) === fold(needle[k]!) : bytes[i + k] === needle[k])) k++;
    if (k === needle.length) return true;
  }
  return false;
}

/** (start, end) of each line of `bytes` (all of it final input) that holds `needle`. */
export function grepLinesReference(bytes: Uint8Array, needle: Uint8Array, ignoreCase: boolean): Array<[number, number]> {
  return linesReference(bytes).filter(([start, end]) => holds(bytes, start, end, needle, ignoreCase));
}

/** Pieces of the lines of `bytes` (cut at '\n' and NUL) that hold `needle`. */
export function grepCountReference(bytes: Uint8Array, needle: Uint8Array, ignoreCase: boolean): number {
  let n = 0;
  for (const [start, end] of linesReference(bytes)) {
    let from = start;
    for (let i = start; i <= end; i++) {
      if (i === end || bytes[i] === 0) {
        if (holds(bytes, from, i, needle, ignoreCase)) n++;
        from = i + 1;
      }
    }
  }
  return n;
}

/** (start, end) of each line of `bytes` (all of it final input) holding a byte in [lo, hi]. */
export function grepRangeReference(bytes: Uint8Array, lo: number, hi: number): Array<[number, number]> {
  return linesReference(bytes).filter(([start, end]) => bytes.subarray(start, end).some((b) => b >= lo && b <= hi));
}
