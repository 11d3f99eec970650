// The order-preserving key encoding (after FoundationDB's tuple layer). Policy: a
// key's bytes compared as unsigned bytes (memcmp, a shorter prefix first) order keys
// exactly as `compareKeys` does, and keys that compareKeys calls equal have identical
// bytes, so sort-based shuffles compare bytes and hash partitioners hash bytes.
//
// Type order: null < undefined < false < true < numbers < bigints < strings <
// Uint8Array < arrays. Each type's tag is one byte, in that order:
//   0x01 null, 0x02 undefined, 0x03 false, 0x04 true  (no payload)
//   0x05 number    8 bytes: the float64 big-endian, sign bit flipped for >= 0 and
//                  all bits flipped for < 0 (so byte order = numeric order).
//                  -0 is written as 0 and every NaN as the canonical NaN, which
//                  sorts after +Infinity: NaN is one key, last among numbers.
//   0x06 bigint < 0, 0x07 bigint 0, 0x08 bigint > 0
//                  Bigints are their own type, after all numbers (1n and 1 are
//                  different keys, and 2 < 1n): mixing them numerically would make
//                  1n and 1 one key that could not decode to both. Payload of a
//                  non-zero bigint: its magnitude's byte count n as one byte when
//                  n < 255, else 0xFF and n as u32 big-endian; then the magnitude
//                  big-endian with no leading zero byte. For negative bigints every
//                  payload byte is complemented, so larger magnitudes sort first.
//   0x09 string    UTF-8 bytes. Order is UTF-8 byte order = Unicode code point
//                  order, which differs from JS `<` (UTF-16 unit order) when an
//                  astral character (U+10000+) meets U+E000..U+FFFF: "\uFFFF" <
//                  "😀" here, but not for `<`. Lone surrogates are written as U+FFFD
//                  (compareKeys treats them so too); such keys decode as U+FFFD.
//   0x0A bytes     Uint8Array bytes (Buffer decodes as a plain Uint8Array).
//   0x0B array     the elements' encodings, then 0x00. Every tag is above 0x00, so a
//                  shorter array sorts before any longer one it prefixes.
//
// Framing: the outermost key is NOT self-delimiting when it is a string or bytes. A
// top-level string is tag 0x09 plus its raw UTF-8 bytes, nothing else: the cheapest
// possible key, and memcmp's "shorter first" gives prefix order. Callers frame keys
// (shuffle records carry the key's byte length) and `readKey(r, end)` reads to that
// end. Inside an array, strings and bytes are escaped so the element can end: each
// 0x00 byte is written as 0x00 0xFF and the element ends with 0x00; 0xFF sorts after
// every tag and after the array end 0x00, so "a" < "a\0" still holds element-wise.
//
// Example: ["ab", 1] -> 0B 09 61 62 00 05 BF F0 00 00 00 00 00 00 00.

import { KilnError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';

/** Tag bytes of the key encoding, in type order. */
export const KeyTag = {
  End: 0x00,
  Null: 0x01,
  Undefined: 0x02,
  False: 0x03,
  True: 0x04,
  Number: 0x05,
  BigIntNeg: 0x06,
  BigIntZero: 0x07,
  BigIntPos: 0x08,
  String: 0x09,
  Bytes: 0x0a,
  Array: 0x0b,
} as const;

/** Arrays nested deeper than this are rejected (it also stops cyclic arrays). */
const MAX_DEPTH = 64;

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
// Index of the high and low 32-bit words of the float64 on this machine.
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** Appends the order-preserving encoding of `key` (see the file header for framing). */
export function writeKey(w: ByteWriter, key: unknown): void {
  if (typeof key === 'string') {
    // Fast path: the most common key. Tag and raw UTF-8: no length, no escaping.
    w.writeU8(KeyTag.String);
    w.writeUtf8(key);
  } else if (key instanceof Uint8Array) {
    w.writeU8(KeyTag.Bytes);
    w.writeBytes(key);
  } else {
    writeElement(w, key, 0);
  }
}

/** Encodes `key` into a new Uint8Array (convenient; `writeKey` reuses a writer). */
export function encodeKey(key: unknown): Uint8Array {
  scratch.reset();
  writeKey(scratch, key);
  return Uint8Array.prototype.slice.call(scratch.bytes());
}
const scratch = new ByteWriter(256);

/**
 * Reads the key occupying the reader's bytes from its offset up to `end` (default:
 * the reader's end) and leaves the reader at `end`.
 */
export function readKey(r: ByteReader, end: number = r.end): unknown {
  const tag = r.readU8();
  if (tag === KeyTag.String) {
    const start = r.pos;
    r.seek(end);
    return r.decodeUtf8(start, end);
  }
  if (tag === KeyTag.Bytes) return r.readBytesCopy(end - r.pos);
  const key = readKeyPart(r, tag);
  if (r.pos !== end) throw new KilnError('internal', `corrupt key: ${end - r.pos} unread byte(s) after a ${typeName(key)} key`);
  return key;
}

/**
 * The key order in plain JS (and the reference the encoding is tested against):
 * negative, zero or positive as a < b, a equals b, a > b. See the file header for
 * the type order. Throws KilnError 'usage' for values that cannot be keys.
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) {
    // Different types decide the order, but a bad element inside an array must still
    // be rejected, as the encoder would.
    if (ra === KeyTag.Array) validateKey(a, 0);
    if (rb === KeyTag.Array) validateKey(b, 0);
    return ra < rb ? -1 : 1;
  }
  switch (ra) {
    case KeyTag.Number: {
      const x = a as number;
      const y = b as number;
      if (x !== x) return y !== y ? 0 : 1; // NaN last
      if (y !== y) return -1;
      return x < y ? -1 : x > y ? 1 : 0; // -0 equals 0
    }
    case KeyTag.BigIntNeg:
    case KeyTag.BigIntPos:
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case KeyTag.String:
      return compareCodePoints(a as string, b as string);
    case KeyTag.Bytes: {
      const x = a as Uint8Array;
      const y = b as Uint8Array;
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      return x.length - y.length;
    }
    case KeyTag.Array: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareKeys(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default:
      return 0; // null, undefined, false, true, bigint 0: one value per rank
  }
}

/** Throws the usage error if `k` (or anything nested in it) cannot be a key. */
function validateKey(k: unknown, depth: number): void {
  if (rank(k) !== KeyTag.Array) return;
  if (depth >= MAX_DEPTH) throw new KilnError('usage', `a key is nested more than ${MAX_DEPTH} arrays deep (or contains itself)`);
  for (let i = 0; i < (k as unknown[]).length; i++) validateKey((k as unknown[])[i], depth + 1);
}

/** The tag (= type rank) a key encodes with; throws the usage error for non-keys. */
function rank(k: unknown): number {
  switch (typeof k) {
    case 'string':
      return KeyTag.String;
    case 'number':
      return KeyTag.Number;
    case 'boolean':
      return k ? KeyTag.True : KeyTag.False;
    case 'undefined':
      return KeyTag.Undefined;
    case 'bigint':
      return k < 0n ? KeyTag.BigIntNeg : k === 0n ? KeyTag.BigIntZero : KeyTag.BigIntPos;
    case 'object':
      if (k === null) return KeyTag.Null;
      if (Array.isArray(k)) return KeyTag.Array;
      if (k instanceof Uint8Array) return KeyTag.Bytes;
  }
  throw notAKey(k);
}

/** ES2024 string methods, in Node 20 (V8 11.3) but not in the ES2023 lib we compile against. */
interface Es2024String {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `s` with lone surrogates replaced by U+FFFD, exactly as the UTF-8 encoder writes them. */
function wellFormed(s: string): string {
  const t = s as unknown as Es2024String;
  return t.isWellFormed() ? s : t.toWellFormed();
}

/** Code point order (= UTF-8 byte order); lone surrogates compare as U+FFFD, as they are encoded. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  a = wellFormed(a);
  b = wellFormed(b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only when both units are >= 0xD800:
    // surrogates (astral characters) must sort after U+E000..U+FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function notAKey(k: unknown): KilnError {
  const what = typeof k === 'object' ? `an object (${(k as object).constructor?.name ?? 'null prototype'})` : `a ${typeof k}`;
  return new KilnError(
    'usage',
    `${what} cannot be a key: keys must be strings, numbers, booleans, bigint, null, Uint8Array or arrays of those (kiln hashes and sorts key bytes; turn an object key into a tuple such as [a.x, a.y] or a string)`,
  );
}

function typeName(k: unknown): string {
  return Array.isArray(k) ? 'array' : k === null ? 'null' : typeof k;
}

/** Writes a self-delimiting key: any key inside an array, or a non-string top-level key. */
function writeElement(w: ByteWriter, key: unknown, depth: number): void {
  switch (typeof key) {
    case 'number':
      writeNumber(w, key);
      return;
    case 'string': {
      w.writeU8(KeyTag.String);
      const start = w.pos;
      w.writeUtf8(key);
      // A NUL character is the only source of 0x00 in UTF-8; includes() is native.
      if (key.includes('\0')) escapeZeros(w, start);
      w.writeU8(KeyTag.End);
      return;
    }
    case 'boolean':
      w.writeU8(key ? KeyTag.True : KeyTag.False);
      return;
    case 'undefined':
      w.writeU8(KeyTag.Undefined);
      return;
    case 'bigint':
      writeBigInt(w, key);
      return;
    case 'object':
      if (key === null) {
        w.writeU8(KeyTag.Null);
        return;
      }
      if (Array.isArray(key)) {
        if (depth >= MAX_DEPTH) throw new KilnError('usage', `a key is nested more than ${MAX_DEPTH} arrays deep (or contains itself)`);
        w.writeU8(KeyTag.Array);
        // Index loop, not for-of: holes read as undefined, like compareKeys sees them.
        for (let i = 0; i < key.length; i++) writeElement(w, key[i], depth + 1);
        w.writeU8(KeyTag.End);
        return;
      }
      if (key instanceof Uint8Array) {
        w.writeU8(KeyTag.Bytes);
        const start = w.pos;
        w.writeBytes(key);
        if (key.indexOf(0) !== -1) escapeZeros(w, start);
        w.writeU8(KeyTag.End);
        return;
      }
  }
  throw notAKey(key);
}

/** Rewrites bytes [start, w.pos) in place, turning each 0x00 into 0x00 0xFF. */
function escapeZeros(w: ByteWriter, start: number): void {
  let zeros = 0;
  for (let i = start; i < w.pos; i++) if (w.buf[i] === 0) zeros++;
  w.ensure(zeros);
  const buf = w.buf;
  // Walk backwards so every byte moves once and nothing is overwritten before it moves.
  let dst = w.pos + zeros - 1;
  for (let src = w.pos - 1; src >= start; src--) {
    const byte = buf[src]!;
    if (byte === 0) buf[dst--] = 0xff;
    buf[dst--] = byte;
  }
  w.pos += zeros;
}

function writeNumber(w: ByteWriter, v: number): void {
  w.writeU8(KeyTag.Number);
  if (v !== v) {
    // Every NaN is one key: write the canonical quiet NaN (0x7FF8...) transformed.
    w.writeU32BE(0xfff80000);
    w.writeU32BE(0);
    return;
  }
  f64[0] = v === 0 ? 0 : v; // -0 is 0
  let hi = f64Words[HI]!;
  let lo = f64Words[LO]!;
  if (hi & 0x80000000) {
    // Negative: flip everything, so larger magnitudes sort first.
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    // Non-negative: set the sign bit, so they sort after every negative number.
    hi = (hi | 0x80000000) >>> 0;
  }
  w.writeU32BE(hi);
  w.writeU32BE(lo);
}

function readNumber(r: ByteReader): number {
  let hi = r.readU32BE();
  let lo = r.readU32BE();
  if (hi & 0x80000000) {
    hi = (hi & 0x7fffffff) >>> 0;
  } else {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  f64Words[HI] = hi;
  f64Words[LO] = lo;
  return f64[0]!;
}

function writeBigInt(w: ByteWriter, v: bigint): void {
  if (v === 0n) {
    w.writeU8(KeyTag.BigIntZero);
    return;
  }
  const negative = v < 0n;
  let hex = (negative ? -v : v).toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  const n = hex.length / 2;
  // Complementing every payload byte of a negative bigint reverses its order.
  const flip = negative ? 0xff : 0;
  w.writeU8(negative ? KeyTag.BigIntNeg : KeyTag.BigIntPos);
  if (n < 0xff) {
    w.writeU8(n ^ flip);
  } else {
    w.writeU8(0xff ^ flip);
    w.writeU32BE((n ^ (negative ? 0xffffffff : 0)) >>> 0);
  }
  w.ensure(n);
  for (let i = 0; i < n; i++) w.buf[w.pos++] = parseInt(hex.substr(i * 2, 2), 16) ^ flip;
}

function readBigInt(r: ByteReader, negative: boolean): bigint {
  const flip = negative ? 0xff : 0;
  let n = r.readU8() ^ flip;
  if (n === 0xff) n = (r.readU32BE() ^ (negative ? 0xffffffff : 0)) >>> 0;
  const bytes = r.readBytes(n);
  let hex = '0x';
  for (let i = 0; i < n; i++) hex += ((bytes[i]! ^ flip) + 0x100).toString(16).slice(1);
  const m = BigInt(hex);
  return negative ? -m : m;
}

/** Reads the rest of a self-delimiting key whose tag was just read. */
function readKeyPart(r: ByteReader, tag: number): unknown {
  switch (tag) {
    case KeyTag.Number:
      return readNumber(r);
    case KeyTag.String: {
      const [start, stop, escaped] = findEnd(r);
      return escaped ? unescape(r, start, stop).toString('utf8') : r.decodeUtf8(start, stop);
    }
    case KeyTag.Bytes: {
      const [start, stop, escaped] = findEnd(r);
      return escaped ? new Uint8Array(unescape(r, start, stop)) : Uint8Array.prototype.slice.call(r.buf, start, stop);
    }
    case KeyTag.Array: {
      const out: unknown[] = [];
      for (;;) {
        const t = r.readU8();
        if (t === KeyTag.End) return out;
        out.push(readKeyPart(r, t));
      }
    }
    case KeyTag.Null:
      return null;
    case KeyTag.Undefined:
      return undefined;
    case KeyTag.False:
      return false;
    case KeyTag.True:
      return true;
    case KeyTag.BigIntZero:
      return 0n;
    case KeyTag.BigIntNeg:
      return readBigInt(r, true);
    case KeyTag.BigIntPos:
      return readBigInt(r, false);
    default:
      throw new KilnError('internal', `corrupt key: unknown key tag 0x${tag.toString(16)} at offset ${r.pos - 1}`);
  }
}

/**
 * Finds the end of an escaped element at the reader's position: the first 0x00 not
 * followed by 0xFF. Returns [start, stop, hadEscapes] and moves the reader past the 0x00.
 */
function findEnd(r: ByteReader): [number, number, boolean] {
  const buf = r.buf;
  const start = r.pos;
  let escaped = false;
  for (let i = start; i < r.end; i++) {
    if (buf[i] !== 0) continue;
    if (i + 1 < r.end && buf[i + 1] === 0xff) {
      escaped = true;
      i++;
      continue;
    }
    r.pos = i + 1;
    return [start, i, escaped];
  }
  throw new KilnError('internal', `corrupt key: unterminated element at offset ${start}`);
}

/** Copies [start, stop) with each 0x00 0xFF pair turned back into 0x00. */
function unescape(r: ByteReader, start: number, stop: number): Buffer {
  const out = Buffer.allocUnsafe(stop - start);
  let n = 0;
  for (let i = start; i < stop; i++) {
    const byte = r.buf[i]!;
    out[n++] = byte;
    if (byte === 0) i++; // skip the 0xFF
  }
  return out.subarray(0, n);
}
