// Plain-TS reference of Hadoop's LineRecordReader rule, on a whole file in memory: the
// bytes of the lines whose first byte lies in [start, end).

/** The lines of `bytes` owned by the split [start, end), concatenated. */
export function splitLinesReference(bytes: Uint8Array, start: number, end: number): Uint8Array {
  // Where each line starts: 0, and after every '\n' that is not the last byte.
  let first = -1;
  let stop = bytes.length;
  let lineStart = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === 0 || i === bytes.length || bytes[i - 1] === 0x0a) {
      lineStart = i;
      if (lineStart >= bytes.length) break;
      if (first < 0 && lineStart >= start && lineStart < end) first = lineStart;
      if (lineStart >= end) {
        stop = lineStart;
        break;
      }
    }
  }
  return first < 0 ? new Uint8Array(0) : bytes.slice(first, stop);
}
