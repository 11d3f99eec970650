// Plain-TypeScript line splitting, the reference lineSplit is checked against.
// Written for clarity: split on '\n', drop one '\r' right before it, and (the input
// being final) keep a last line without '\n', dropping a lone '\r' that ends it.

/** (start, end) of each line of `bytes`, all of it being final input. */
export function linesReference(bytes: Uint8Array): Array<[number, number]> {
  const lines: Array<[number, number]> = [];
  let start = 0;
  const close = (end: number): void => {
    if (end > start && bytes[end - 1] === 0x0d) end--;
    lines.push([start, end]);
  };
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      close(i);
      start = i + 1;
    }
  }
  if (start < bytes.length) close(bytes.length);
  return lines;
}
