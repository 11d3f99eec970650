// Plain-TypeScript tokenizer, the reference the tokenize kernels are checked against.
// Byte by byte, no tricks: a byte is a separator if it is ASCII whitespace (or, in
// non-alphanumeric mode, any ASCII byte outside [0-9A-Za-z]); bytes >= 0x80 never are.

/** True if `c` separates words in the given mode. */
export function isSeparator(c: number, nonAlnum: boolean): boolean {
  if (c >= 0x80) return false;
  if (nonAlnum) return !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** A copy of `bytes` with ASCII 'A'..'Z' lowercased; every other byte unchanged. */
export function lowercaseReference(bytes: Uint8Array): Uint8Array {
  return bytes.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));
}

/** (start, end) of each token of `bytes`, all of it being final input. */
export function tokenizeReference(bytes: Uint8Array, nonAlnum: boolean): Array<[number, number]> {
  const tokens: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i < bytes.length; i++) {
    const sep = isSeparator(bytes[i]!, nonAlnum);
    if (!sep && start < 0) start = i;
    if (sep && start >= 0) {
      tokens.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) tokens.push([start, bytes.length]);
  return tokens;
}
