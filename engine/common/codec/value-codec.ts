// The compact value codec for shuffle records and task results. Policy: common
// values (numbers, short strings, tuples) take a tag byte and a small payload with no
// per-value allocation; anything richer falls back to v8.serialize, which is exact
// but costs a Buffer per value. Decoding returns values the caller owns: bytes are
// copied out of the (possibly shared, reused) block.
//
// Layout: one tag byte, then the payload.
//   0x00 null          (no payload)
//   0x01 undefined     (no payload)
//   0x02 false, 0x03 true
//   0x04 integer       zigzag LEB128 varint; used for integers with |n| < 2^52 (not -0)
//   0x05 float64       8 bytes little-endian, bit-exact: NaN, -0, +-Infinity round-trip
//   0x06 string        varint UTF-8 byte length, UTF-8 bytes
//   0x07 bigint        sign byte (0 = non-negative, 1 = negative), varint count of
//                      64-bit words, magnitude words least significant first (LE)
//   0x08 Uint8Array    varint length, bytes (a Buffer decodes as a plain Uint8Array)
//   0x09 array         varint length, elements (holes decode as undefined; extra
//                      non-index properties on the array are dropped)
//   0x0A v8            varint length, v8.serialize bytes (objects, Map, Set, Date,
//                      other typed arrays, RegExp, Error...)
//
// Strings: lone surrogates (invalid UTF-16) are written as U+FFFD, like TextEncoder,
// so such a string decodes to a different string of the same length. Well-formed
// strings (including astral characters) round-trip exactly.

import v8 from 'node:v8';
import { KilnError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/** Tag bytes of the value codec (the first byte of every encoded value). */
export const ValueTag = {
  Null: 0x00,
  Undefined: 0x01,
  False: 0x02,
  True: 0x03,
  Int: 0x04,
  F64: 0x05,
  String: 0x06,
  BigInt: 0x07,
  Bytes: 0x08,
  Array: 0x09,
  V8: 0x0a,
} as const;

/** Largest |n| written as a zigzag varint: its zigzag value stays below 2^53, exact in a double. */
const MAX_VARINT_MAGNITUDE = 2 ** 52;
const U64_MASK = (1n << 64n) - 1n;

/** Appends the encoding of `v` to `w`. */
export function writeValue(w: ByteWriter, v: unknown): void {
  switch (typeof v) {
    case 'string':
      w.writeU8(ValueTag.String);
      w.writeString(v);
      return;
    case 'number':
      writeNumber(w, v);
      return;
    case 'boolean':
      w.writeU8(v ? ValueTag.True : ValueTag.False);
      return;
    case 'undefined':
      w.writeU8(ValueTag.Undefined);
      return;
    case 'bigint':
      writeBigInt(w, v);
      return;
    case 'object':
      if (v === null) {
        w.writeU8(ValueTag.Null);
      } else if (Array.isArray(v)) {
        w.writeU8(ValueTag.Array);
        w.writeVarUint(v.length);
        for (let i = 0; i < v.length; i++) writeValue(w, v[i]);
      } else if (v instanceof Uint8Array) {
        w.writeU8(ValueTag.Bytes);
        w.writeVarUint(v.length);
        w.writeBytes(v);
      } else {
        writeV8(w, v);
      }
      return;
    default:
      // function or symbol: v8.serialize throws a DataCloneError; say it our way.
      throw new KilnError('usage', `cannot encode a ${typeof v} as a record value; values must be structured-cloneable (no functions or symbols)`);
  }
}

/** Reads one value written by `writeValue`. */
export function readValue(r: ByteReader): unknown {
  const tag = r.readU8();
  switch (tag) {
    case ValueTag.String:
      return r.readString();
    case ValueTag.Int:
      return r.readZigzag();
    case ValueTag.F64:
      return r.readF64();
    case ValueTag.Null:
      return null;
    case ValueTag.Undefined:
      return undefined;
    case ValueTag.False:
      return false;
    case ValueTag.True:
      return true;
    case ValueTag.Array: {
      const n = r.readVarUint();
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r);
      return out;
    }
    case ValueTag.Bytes:
      return r.readBytesCopy(r.readVarUint());
    case ValueTag.BigInt:
      return readBigInt(r);
    case ValueTag.V8: {
      const n = r.readVarUint();
      return v8.deserialize(r.readBytes(n));
    }
    default:
      throw new KilnError('internal', `corrupt record: unknown value tag 0x${tag.toString(16)} at offset ${r.offset - 1}`);
  }
}

function writeNumber(w: ByteWriter, v: number): void {
  // -0 must stay a float: an integer encoding would turn it into 0.
  if (Number.isInteger(v) && v < MAX_VARINT_MAGNITUDE && v > -MAX_VARINT_MAGNITUDE && (v !== 0 || 1 / v > 0)) {
    w.writeU8(ValueTag.Int);
    w.writeZigzag(v);
  } else {
    w.writeU8(ValueTag.F64);
    w.writeF64(v);
  }
}

function writeBigInt(w: ByteWriter, v: bigint): void {
  w.writeU8(ValueTag.BigInt);
  const negative = v < 0n;
  let m = negative ? -v : v;
  w.writeU8(negative ? 1 : 0);
  let words = 0;
  for (let t = m; t > 0n; t >>= 64n) words++;
  w.writeVarUint(words);
  w.ensure(words * 8);
  const view = new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
  for (let i = 0; i < words; i++) {
    view.setBigUint64(w.pos, m & U64_MASK, true);
    w.pos += 8;
    m >>= 64n;
  }
}

function readBigInt(r: ByteReader): bigint {
  const negative = r.readU8() === 1;
  const words = r.readVarUint();
  const bytes = r.readBytes(words * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let m = 0n;
  for (let i = words - 1; i >= 0; i--) m = (m << 64n) | view.getBigUint64(i * 8, true);
  return negative ? -m : m;
}

function writeV8(w: ByteWriter, v: object): void {
  let bytes: Buffer;
  try {
    bytes = v8.serialize(v);
  } catch (error) {
    const what = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new KilnError('usage', `cannot encode a ${what} as a record value: ${(error as Error).message}; values must be structured-cloneable (no functions, symbols or class instances with native state)`, {}, { cause: error });
  }
  w.writeU8(ValueTag.V8);
  w.writeVarUint(bytes.length);
  w.writeBytes(bytes);
}
