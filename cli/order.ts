// Byte order of strings. Policy: results are ordered as `LC_ALL=C sort` orders them,
// by the UTF-8 bytes of each string (Buffer.compare), which is Unicode code point
// order. JS `<` compares UTF-16 code units instead and disagrees when a character
// above U+FFFF (a surrogate pair) meets one in U+E000..U+FFFF; compareUtf8 fixes that
// case without encoding (ICU's u_strCompare code point order fix-up), so a sort of a
// million words does not allocate a Buffer per comparison.

/** Compares two strings by their UTF-8 bytes: negative, zero or positive. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (U+D800..U+DFFF) stand for code points above U+FFFF: move them
      // above U+E000..U+FFFF, keeping their order among themselves.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
