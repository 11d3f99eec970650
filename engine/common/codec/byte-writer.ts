// A growable byte writer that reuses one buffer. Policy: the codecs in this folder
// write records with it on hot paths, so it never allocates per write: it grows by
// doubling (amortised O(1)), `reset()` keeps the memory, and `bytes()` is a view, not
// a copy (copy it if you keep it past the next write or reset). Multi-byte numbers
// are little-endian, except where a codec needs big-endian for byte-order comparison
// (`writeU32BE`). UTF-8 is written straight into the buffer (Buffer#utf8Write), with
// a JS loop for short ASCII strings where the native call costs more than the copy.
// Lone surrogates are written as U+FFFD (EF BF BD), as TextEncoder and Buffer do.

/**
 * Node's internal encoders, on every Buffer since Node 0.x but not in @types/node.
 * `buf.write(s, offset, 'utf8')` is the documented equivalent; we feature-detect so a
 * runtime without them still works, only a little slower (argument parsing).
 */
interface NativeUtf8 {
  utf8Write?(s: string, offset: number, length?: number): number;
  utf8Slice?(start: number, end: number): string;
}
const nativeUtf8Write = typeof (Buffer.prototype as NativeUtf8).utf8Write === 'function';

/** Strings up to this many UTF-16 units try the JS ASCII loop before the native encoder. */
const SHORT_STRING = 24;

/** A growable, reusable byte buffer for encoding records. */
export class ByteWriter {
  /**
   * The backing store. Codec internals only: it is replaced when the writer grows,
   * and bytes at and past `pos` are garbage.
   */
  buf: Buffer;
  /** Write position, also the number of bytes written. Codec internals only. */
  pos = 0;
  private view: DataView;

  /** @param initialBytes starting capacity; the writer doubles it as needed. */
  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(16, initialBytes));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Number of bytes written since construction or the last `reset()`. */
  get length(): number {
    return this.pos;
  }

  /** Current capacity in bytes. */
  get capacity(): number {
    return this.buf.length;
  }

  /** Forgets the written bytes and keeps the memory for reuse. */
  reset(): void {
    this.pos = 0;
  }

  /** A view of the written bytes; valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Makes room for `extra` more bytes (grows by doubling, copying what was written). */
  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** Writes one byte (0-255). */
  writeU8(byte: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = byte;
  }

  /** Writes an unsigned 32-bit integer, big-endian (byte order = numeric order). */
  writeU32BE(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, n, false);
    this.pos += 4;
  }

  /**
   * Writes a non-negative integer up to 2^53 - 1 as a LEB128 varint (7 bits a byte,
   * low group first, high bit = more). 1 byte below 128, 5 bytes below 2^35.
   */
  writeVarUint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    if (n < 0x80000000) {
      // Bitwise fast path: exact for values below 2^31.
      while (n >= 0x80) {
        buf[pos++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
    } else {
      while (n >= 0x80) {
        buf[pos++] = (n % 0x80) | 0x80;
        n = Math.floor(n / 0x80);
      }
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  /**
   * Writes a signed integer with |n| < 2^52 as a zigzag varint (0, -1, 1, -2 ... ->
   * 0, 1, 2, 3 ...), so small negative numbers stay short. The zigzag value stays
   * below 2^53, where doubles are still exact.
   */
  writeZigzag(n: number): void {
    this.writeVarUint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  /** Writes a float64, little-endian, bit-exact (NaN payload, -0 and infinities kept). */
  writeF64(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** Writes the bytes of `src` (a copy). */
  writeBytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * Writes a latin1 ("binary") string, one byte per char (chars above 0xFF keep their
   * low byte, as Buffer's 'latin1' does), with no length prefix; returns the count.
   */
  writeLatin1(s: string): number {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    const start = this.pos;
    for (let i = 0; i < n; i++) buf[start + i] = s.charCodeAt(i) & 0xff;
    this.pos = start + n;
    return n;
  }

  /**
   * Writes `s` as UTF-8 with no length prefix and returns the byte count. Lone
   * surrogates become U+FFFD.
   */
  writeUtf8(s: string): number {
    const n = s.length;
    if (n <= SHORT_STRING) {
      this.ensure(n * 3);
      const buf = this.buf;
      const start = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        this.pos = start + n;
        return n;
      }
      // Not ASCII: the native encoder redoes the string (short, so cheap).
    } else {
      this.ensure(n * 3);
    }
    const written = nativeUtf8Write ? (this.buf as NativeUtf8).utf8Write!(s, this.pos) : this.buf.write(s, this.pos, 'utf8');
    this.pos += written;
    return written;
  }

  /**
   * Writes `s` as a varint byte length followed by its UTF-8 bytes, encoding once
   * straight into the buffer: it reserves the varint for the worst case (3 bytes per
   * UTF-16 unit), writes the bytes, then moves them back if the real length needs a
   * shorter varint (only for strings of 43+ units).
   */
  writeString(s: string): void {
    const max = s.length * 3;
    if (max < 0x80) {
      this.ensure(1 + max);
      const at = this.pos++;
      this.buf[at] = this.writeUtf8(s);
      return;
    }
    const reserved = varUintSize(max);
    this.ensure(reserved + max);
    const at = this.pos;
    this.pos += reserved;
    const len = this.writeUtf8(s);
    const actual = varUintSize(len);
    if (actual < reserved) this.buf.copy(this.buf, at + actual, at + reserved, at + reserved + len);
    this.pos = at;
    this.writeVarUint(len);
    this.pos += len;
  }
}

export type { NativeUtf8 };

/** Bytes a LEB128 varint of `n` takes. */
export function varUintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}
