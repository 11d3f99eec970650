// A cursor over encoded bytes. Policy: reading never copies unless asked to (views
// for bytes, one string allocation per decoded string), works over views of a
// SharedArrayBuffer (shuffle blocks live in shared WebAssembly memory: it uses a
// Buffer view for UTF-8 and a DataView for numbers, both of which accept shared
// memory), and treats running past `end` as corrupt data, a kiln bug: KilnError
// 'internal'. Byte order matches ByteWriter: little-endian, varints LEB128.

import { KilnError } from '../errors.js';
import type { NativeUtf8 } from './byte-writer.js';

/** Strings up to this many bytes are decoded by a JS loop when they are ASCII. */
const SHORT_STRING = 24;

/** Reads values written by ByteWriter from a byte range. */
export class ByteReader {
  /** The bytes as a Buffer view (no copy). Codec internals only. */
  readonly buf: Buffer;
  /** Read position (index into `buf`). Codec internals only; use `offset` outside. */
  pos: number;
  /** End of the readable range (exclusive). */
  readonly end: number;
  private readonly view: DataView;
  private readonly utf8Slice: boolean;

  /**
   * @param bytes the encoded bytes; may be a view over a SharedArrayBuffer.
   * @param start first byte to read, relative to `bytes` (default 0).
   * @param end end of the range, exclusive, relative to `bytes` (default its length).
   */
  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    if (start < 0 || end > bytes.length || start > end) {
      throw new KilnError('internal', `ByteReader range [${start}, ${end}) is outside the ${bytes.length} bytes given`);
    }
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.pos = start;
    this.end = end;
    this.utf8Slice = typeof (this.buf as NativeUtf8).utf8Slice === 'function';
  }

  /** Current read position, relative to the `bytes` given to the constructor. */
  get offset(): number {
    return this.pos;
  }

  /** True when every byte up to `end` has been read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Moves the read position (relative to the constructor's `bytes`). */
  seek(offset: number): void {
    if (offset < 0 || offset > this.end) this.truncated(offset - this.pos);
    this.pos = offset;
  }

  /** Reads one byte. */
  readU8(): number {
    if (this.pos >= this.end) this.truncated(1);
    return this.buf[this.pos++]!;
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  readU32BE(): number {
    if (this.pos + 4 > this.end) this.truncated(4);
    const n = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return n;
  }

  /** Reads a LEB128 varint written by `writeVarUint` (up to 2^53 - 1). */
  readVarUint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= this.end) this.truncated(1);
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 0x80;
    }
    throw new KilnError('internal', `corrupt varint at byte ${this.pos}: longer than 8 bytes`);
  }

  /** Reads a zigzag varint written by `writeZigzag`. */
  readZigzag(): number {
    const z = this.readVarUint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** Reads a little-endian float64. */
  readF64(): number {
    if (this.pos + 8 > this.end) this.truncated(8);
    const x = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return x;
  }

  /** Reads `n` bytes as a view (no copy; valid as long as the underlying memory is). */
  readBytes(n: number): Uint8Array {
    if (this.pos + n > this.end) this.truncated(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads `n` bytes into a new Uint8Array that the caller owns. */
  readBytesCopy(n: number): Uint8Array {
    if (this.pos + n > this.end) this.truncated(n);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** Reads `n` bytes of UTF-8 as a string (invalid sequences become U+FFFD). */
  readUtf8(n: number): string {
    const start = this.pos;
    const stop = start + n;
    if (stop > this.end) this.truncated(n);
    this.pos = stop;
    return this.decodeUtf8(start, stop);
  }

  /** Reads a string written by `writeString` (varint byte length, then UTF-8). */
  readString(): string {
    return this.readUtf8(this.readVarUint());
  }

  /** Decodes [start, stop) of `buf` as UTF-8; does not move the cursor. Codec internals. */
  decodeUtf8(start: number, stop: number): string {
    const buf = this.buf;
    if (stop - start <= SHORT_STRING) {
      // Short ASCII: building the string in JS beats the native call's fixed cost.
      let s = '';
      let i = start;
      for (; i < stop; i++) {
        const c = buf[i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === stop) return s;
    }
    return this.utf8Slice ? (buf as NativeUtf8).utf8Slice!(start, stop) : buf.toString('utf8', start, stop);
  }

  private truncated(wanted: number): never {
    throw new KilnError('internal', `corrupt or truncated record: wanted ${wanted} byte(s) at offset ${this.pos}, the range ends at ${this.end}`);
  }
}
