// How input bytes become JS strings. Policy: text is data, so nothing is dropped or
// invented. 'utf8' (the default, Spark's) decodes as UTF-8, keeps a byte-order mark
// as U+FEFF (Hadoop's LineRecordReader strips one at the start of a file; kiln keeps
// it, as mawk and `LC_ALL=C` tools do, so outputs compare byte for byte) and turns
// each invalid sequence into U+FFFD exactly as TextDecoder does (WHATWG: one U+FFFD
// per maximal invalid subpart). Bytes that decode to the same string are the same
// key on every path: the kernel word path, which hashes bytes, first repairs a chunk
// that is not valid UTF-8 into the bytes of its decoded string. 'latin1' maps each
// byte to the char of the same code (a "binary string"): byte-exact, ordered as the
// bytes by plain string comparison, written back with Buffer's 'latin1' encoding;
// the CLI uses it so that keys are bytes, as in `LC_ALL=C` tools.
import { isUtf8 } from 'node:buffer';
import { KilnError } from '../errors.js';

/** How text input is decoded (see the file header). */
export type TextEncoding = 'utf8' | 'latin1';

/** Validates a user-given encoding option. */
export function checkEncoding(encoding: unknown, where: string): TextEncoding {
  if (encoding === undefined) return 'utf8';
  if (encoding === 'utf8' || encoding === 'latin1') return encoding;
  throw new KilnError('usage', `${where} encoding must be 'utf8' or 'latin1' (bytes as chars 0-255), got ${JSON.stringify(encoding)}`);
}

/**
 * The UTF-8 bytes of `bytes` decoded with replacement (U+FFFD for each invalid
 * subpart), or undefined when `bytes` is valid UTF-8 already (the common case: one
 * SIMD validation, no copy).
 */
export function repairUtf8(bytes: Uint8Array): Buffer | undefined {
  if (isUtf8(bytes)) return undefined;
  return Buffer.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), 'utf8');
}

/**
 * A latin1 ("binary") string's bytes as a well-formed string for JSON: valid UTF-8 is
 * decoded; each byte of an invalid sequence becomes the lone surrogate U+DC80 + (byte
 * - 0x80), Python's surrogateescape, which JSON.stringify writes as "\udcXX" — so
 * distinct byte strings stay distinct and the bytes can be recovered.
 */
export function binaryToDisplay(binary: string): string {
  const bytes = Buffer.from(binary, 'latin1');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = validSequenceLength(bytes, i);
    if (n > 0) {
      out += bytes.toString('utf8', i, i + n);
      i += n;
    } else {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    }
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), or 0. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
