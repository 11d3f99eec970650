// ASCII byte classes shared by the scanning kernels. Policy: only bytes < 0x80 are
// ever classified as separators or case-mapped; bytes >= 0x80 are always word bytes
// and pass through untouched, so a UTF-8 sequence is never split or altered.

/** Tokenizer flag: lowercase ASCII letters of the input region in place first. */
export const FLAG_LOWERCASE: u32 = 1;
/** Tokenizer flag: split on every ASCII byte that is not [0-9A-Za-z] (else: ASCII whitespace). */
export const FLAG_NONALNUM: u32 = 2;
/** Scan flag: the region ends the input, so a trailing unterminated token or line is complete. */
export const FLAG_FINAL: u32 = 4;

/** True for the ASCII whitespace bytes: space, \t, \n, \v, \f, \r. */
// @ts-ignore: decorator
@inline export function isSpace(c: u32): bool {
  return c == 0x20 || c - 9 <= 4;
}

/** True for bytes that separate words in non-alphanumeric mode. */
// @ts-ignore: decorator
@inline export function isNonAlnumSeparator(c: u32): bool {
  return c < 0x80 && !(c - 0x30 < 10 || (c | 0x20) - 0x61 < 26);
}

/** SIMD: lanes set where the byte is ASCII whitespace. */
// @ts-ignore: decorator
@inline export function spaceMask(v: v128): v128 {
  return v128.or(
    i8x16.eq(v, i8x16.splat(0x20)),
    i8x16.le_u(i8x16.sub(v, i8x16.splat(9)), i8x16.splat(4)),
  );
}

/** SIMD: lanes set where the byte separates words in non-alphanumeric mode. */
// @ts-ignore: decorator
@inline export function nonAlnumMask(v: v128): v128 {
  const digit = i8x16.le_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(9));
  const alpha = i8x16.le_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(25));
  const high = i8x16.ge_u(v, i8x16.splat(<i8>0x80));
  return v128.not(v128.or(v128.or(digit, alpha), high));
}

/** SIMD: ASCII 'A'..'Z' lowercased, every other byte unchanged. */
// @ts-ignore: decorator
@inline export function lowerVec(v: v128): v128 {
  const upper = i8x16.le_u(i8x16.sub(v, i8x16.splat(0x41)), i8x16.splat(25));
  return v128.or(v, v128.and(upper, i8x16.splat(0x20)));
}

/** Scalar lowercase of one ASCII byte. */
// @ts-ignore: decorator
@inline export function lowerByte(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}
