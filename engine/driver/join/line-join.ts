// The byte-level path of `kiln join` (GNU join(1) over unsorted files): no JS string
// or object per line. Policy: decorate, sort, merge.
//  1. Decorate (one streaming pass over LEFT then RIGHT, Buffers only): each line
//     becomes `key padded with NUL to W bytes, a side tag, a has-other-fields flag,
//     the line's output body (its other fields joined by the output separator)`, all
//     into one spill file. RIGHT's tag (1) sorts before LEFT's (2).
//  2. Sort that file on its first W + 1 bytes with the kernels' stable line sort
//     (sortLines keyBytes: range-partitioned over the workers, spilling past the
//     memory budget), written to a second spill file.
//  3. Merge (one streaming pass): for each key, RIGHT's lines come first and are
//     held; each LEFT line then pairs with all of them in file order, which is the
//     left-major order `LC_ALL=C join` prints for stably sorted inputs. Output is
//     written to the fd in large buffers as it is made, never collected.
// NUL padding orders keys exactly as memcmp of the unpadded keys as long as no key
// holds a NUL byte; a key that does (or a separator that is not one byte) makes
// decorate return null and the caller takes the engine's record path instead.
// W is the longest key of a sample; a longer key met later restarts the decorate
// pass with the wider W (one extra pass at most per doubling).
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join as joinPath } from 'node:path';
import { KilnError } from '../../common/errors.js';
import type { Kiln } from '../api/kiln.js';
import type { ActionOptions } from '../api/dataset.js';

/** What to join and print, in join(1)'s terms. */
export interface LineJoinSpec {
  readonly left: string;
  readonly right: string;
  /** 0-based join field of LEFT and of RIGHT. */
  readonly leftField: number;
  readonly rightField: number;
  /** The -t separator (one byte as latin1), or undefined for runs of blanks. */
  readonly separator: string | undefined;
  /** Print paired lines (false with -v). */
  readonly joined: boolean;
  /** Print LEFT's / RIGHT's unpaired lines (-a or -v). */
  readonly unpairedLeft: boolean;
  readonly unpairedRight: boolean;
  /** Reduce partitions of the sort (default: the engine's choice). */
  readonly partitions?: number | undefined;
}

/** What {@link joinLineFiles} wrote. */
export interface LineJoinSummary {
  readonly lines: number;
  readonly bytes: number;
  /** Width the keys were padded to. */
  readonly keyWidth: number;
}

const NL = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const TAG_RIGHT = 1;
const TAG_LEFT = 2;
const CHUNK = 8 << 20;
const SAMPLE_BYTES = 1 << 20;
/** sortLines accepts keys up to 1 MiB; a longer join field takes the record path. */
const MAX_KEY_WIDTH = (1 << 20) - 1;

/**
 * Copies src[s, e) to dst at o and returns e - s. Join fields and bodies are short:
 * a JS loop beats the native call of Buffer.copy below 64 bytes.
 */
function copy(src: Uint8Array, s: number, e: number, dst: Buffer, o: number): number {
  const n = e - s;
  if (n < 64) {
    for (let i = 0; i < n; i++) dst[o + i] = src[s + i]!;
  } else {
    dst.set(src.subarray(s, e), o);
  }
  return n;
}

/** Line splitter state shared by the passes. */
class FieldCutter {
  ks = -1;
  ke = -1;
  constructor(private readonly field: number, private readonly sep: number) {}

  /** Finds the join field of buf[s, e); ks = ke = -1 when the line has no such field. */
  cut(buf: Buffer, s: number, e: number): void {
    const field = this.field;
    const sep = this.sep;
    if (sep >= 0) {
      let p = s;
      for (let i = 0; i < field; i++) {
        while (p < e && buf[p] !== sep) p++;
        if (p === e) {
          this.ks = this.ke = -1;
          return;
        }
        p++;
      }
      let q = p;
      while (q < e && buf[q] !== sep) q++;
      this.ks = p;
      this.ke = q;
      return;
    }
    let p = s;
    while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
    if (p === e) {
      this.ks = this.ke = -1;
      return;
    }
    for (let i = 0; ; i++) {
      let q = p;
      while (q < e && buf[q] !== SPACE && buf[q] !== TAB) q++;
      if (i === field) {
        this.ks = p;
        this.ke = q;
        return;
      }
      if (q === e) {
        this.ks = this.ke = -1;
        return;
      }
      p = q;
      while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
      // Trailing blanks end in one empty field (as "a b ".split(/[ \t]+/) does).
      if (p === e) {
        if (i + 1 === field) {
          this.ks = this.ke = e;
        } else {
          this.ks = this.ke = -1;
        }
        return;
      }
    }
  }
}

/** A growable output buffer flushed to a file descriptor. */
class FdWriter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private n = 0;
  bytes = 0;
  constructor(private readonly fd: number, private readonly label: string) {}

  /** Room for `len` more bytes; returns the buffer and the offset to write at. */
  reserve(len: number): Buffer {
    if (this.n + len > this.buf.length) {
      this.flush();
      if (len > this.buf.length) this.buf = Buffer.allocUnsafe(len);
    }
    return this.buf;
  }

  get offset(): number {
    return this.n;
  }

  advance(len: number): void {
    this.n += len;
  }

  put(src: Buffer, s: number, e: number): void {
    const b = this.reserve(e - s);
    src.copy(b, this.n, s, e);
    this.n += e - s;
  }

  byte(x: number): void {
    const b = this.reserve(1);
    b[this.n++] = x;
  }

  flush(): void {
    let off = 0;
    try {
      while (off < this.n) off += writeSync(this.fd, this.buf, off, this.n - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw new KilnError('execution', `kiln join: cannot write to ${this.label} (${code}); the output there is incomplete`);
    }
    this.bytes += this.n;
    this.n = 0;
  }
}

/** Reads a file as whole lines, in large chunks: calls `line(buf, s, e)` for each line (without its newline). */
function forEachLine(path: string, line: (buf: Buffer, s: number, e: number) => void, limit = Infinity): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new KilnError('input', `kiln join: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0;
    let read = 0;
    for (;;) {
      if (have === buf.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = readSync(fd, buf, have, buf.length - have, null);
      read += n;
      const end = have + n;
      let s = 0;
      // A JS scan: lines are short, and indexOf's native call per line costs more.
      for (let q = 0; q < end; q++) {
        if (buf[q] === NL) {
          line(buf, s, q);
          s = q + 1;
        }
      }
      if (n === 0 || read >= limit) {
        if (n === 0 && s < end) line(buf, s, end);
        return;
      }
      buf.copy(buf, 0, s, end);
      have = end - s;
    }
  } finally {
    closeSync(fd);
  }
}

/** Longest join field (and whether any holds a NUL) in the first bytes of a file. */
function sampleKeyWidth(path: string, cutter: FieldCutter): number {
  let width = 0;
  forEachLine(
    path,
    (buf, s, e) => {
      cutter.cut(buf, s, e);
      if (cutter.ks >= 0) width = Math.max(width, cutter.ke - cutter.ks);
    },
    SAMPLE_BYTES,
  );
  return width;
}

/** Thrown inside the decorate pass when a key is wider than the width chosen. */
class Wider {
  constructor(readonly width: number) {}
}

/** Thrown inside the decorate pass when the byte path cannot keep join(1)'s order. */
class Unsupported {}

/**
 * Writes one side's decorated lines. Body = the line's other fields joined by the
 * output separator; the flag byte says whether there are any (join(1) prints the
 * separator before them only then).
 */
function decorateSide(path: string, cutter: FieldCutter, sep: number, tag: number, width: number, out: FdWriter): void {
  forEachLine(path, (buf, s, e) => {
    cutter.cut(buf, s, e);
    const { ks, ke } = cutter;
    const klen = ks < 0 ? 0 : ke - ks;
    if (klen > width) throw new Wider(klen);
    const b = out.reserve(width + 3 + (e - s));
    let o = out.offset;
    if (klen > 0) {
      for (let i = ks; i < ke; i++) if (buf[i] === 0) throw new Unsupported();
      copy(buf, ks, ke, b, o);
    }
    for (let i = o + klen; i < o + width; i++) b[i] = 0;
    o += width;
    b[o++] = tag;
    const flagAt = o++;
    let has = 1;
    if (sep >= 0) {
      // -t: the other fields joined by the separator are the line less the field and one separator.
      if (ks < 0) {
        // No such field: the key is empty and every field is another field.
        o += copy(buf, s, e, b, o);
      } else if (ks === s) {
        if (ke < e) o += copy(buf, ke + 1, e, b, o);
        else has = 0;
      } else {
        o += copy(buf, s, ks - 1, b, o);
        o += copy(buf, ke, e, b, o);
      }
    } else {
      // Blanks: the other fields, each once, joined by one space.
      let p = s;
      while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
      if (p === e) has = 0;
      else {
        let first = true;
        for (;;) {
          let q = p;
          while (q < e && buf[q] !== SPACE && buf[q] !== TAB) q++;
          if (p !== ks || q !== ke || ks < 0) {
            if (!first) b[o++] = SPACE;
            o += copy(buf, p, q, b, o);
            first = false;
          }
          if (q === e) break;
          p = q;
          while (p < e && (buf[p] === SPACE || buf[p] === TAB)) p++;
          if (p === e) {
            // A trailing empty field, unless it is the join field.
            if (!(ks === e && ke === e)) {
              if (!first) b[o++] = SPACE;
              first = false;
            }
            break;
          }
        }
        if (first) has = 0;
      }
    }
    b[flagAt] = has;
    b[o++] = NL;
    out.advance(o - out.offset);
  });
}

/**
 * Decorates LEFT and RIGHT into `path` (see the header); returns the key width, or
 * null when the byte path cannot keep join(1)'s semantics (a NUL in a key).
 */
function decorate(spec: LineJoinSpec, path: string): number | null {
  const sep = spec.separator === undefined ? -1 : spec.separator.charCodeAt(0);
  const cl = new FieldCutter(spec.leftField, sep);
  const cr = new FieldCutter(spec.rightField, sep);
  let width = Math.max(1, sampleKeyWidth(spec.left, cl), sampleKeyWidth(spec.right, cr));
  for (;;) {
    const fd = openSync(path, 'w');
    const out = new FdWriter(fd, path);
    try {
      decorateSide(spec.right, cr, sep, TAG_RIGHT, width, out);
      decorateSide(spec.left, cl, sep, TAG_LEFT, width, out);
      out.flush();
      return width;
    } catch (e) {
      if (e instanceof Wider) {
        width = Math.max(e.width, width * 2);
        if (e.width > MAX_KEY_WIDTH) return null;
        width = Math.min(width, MAX_KEY_WIDTH);
        continue;
      }
      if (e instanceof Unsupported) return null;
      throw e;
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Merges the sorted decorated file into join(1)'s output on `out` (see the header):
 * returns the number of lines written. Each output line is made with one reserve and
 * JS copies (the lines are short; a native call per piece cost more than the bytes).
 */
function merge(path: string, width: number, spec: LineJoinSpec, out: FdWriter): number {
  const outSep = spec.separator === undefined ? SPACE : spec.separator.charCodeAt(0);
  const key = Buffer.alloc(width);
  let keyLen = 0;
  let inGroup = false;
  // RIGHT's lines of the current key: their bodies (flag byte first) back to back.
  let rights = Buffer.allocUnsafe(1 << 16);
  let rightEnds: number[] = [];
  let rightCount = 0;
  let rightBytes = 0;
  let leftSeen = false;
  let lines = 0;
  const { joined, unpairedLeft, unpairedRight } = spec;

  /** Writes key, then [sep, body a) if its flag is set, then the same for body b (bf < 0: none), then a newline. */
  const emit = (a: Uint8Array, af: number, ae: number, bb: Uint8Array, bf: number, be: number): void => {
    const dst = out.reserve(keyLen + (ae - af) + (bf < 0 ? 0 : be - bf) + 3);
    let o = out.offset;
    for (let i = 0; i < keyLen; i++) dst[o + i] = key[i]!;
    o += keyLen;
    if (a[af] === 1) {
      dst[o++] = outSep;
      o += copy(a, af + 1, ae, dst, o);
    }
    if (bf >= 0 && bb[bf] === 1) {
      dst[o++] = outSep;
      o += copy(bb, bf + 1, be, dst, o);
    }
    dst[o++] = NL;
    out.advance(o - out.offset);
    lines++;
  };
  const endGroup = (): void => {
    if (inGroup && !leftSeen && unpairedRight) {
      let s = 0;
      for (let r = 0; r < rightCount; r++) {
        const e = rightEnds[r]!;
        emit(rights, s, e, rights, -1, 0);
        s = e;
      }
    }
    rightCount = 0;
    rightBytes = 0;
    leftSeen = false;
  };

  forEachLine(path, (buf, s, e) => {
    if (e - s < width + 2) throw new KilnError('internal', `kiln join: a sorted line of ${path} is shorter than its key: this is a bug in kiln, please report it`);
    let same = inGroup;
    if (same) {
      for (let i = 0; i < width; i++) {
        if (buf[s + i] !== key[i]) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      endGroup();
      for (let i = 0; i < width; i++) key[i] = buf[s + i]!;
      keyLen = width;
      while (keyLen > 0 && key[keyLen - 1] === 0) keyLen--;
      inGroup = true;
    }
    const bs = s + width + 1; // the flag byte, then the body
    if (buf[s + width] === TAG_RIGHT) {
      const need = rightBytes + (e - bs);
      if (need > rights.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, rights.length * 2));
        rights.copy(bigger, 0, 0, rightBytes);
        rights = bigger;
      }
      rightBytes += copy(buf, bs, e, rights, rightBytes);
      rightEnds[rightCount++] = rightBytes;
      return;
    }
    leftSeen = true;
    if (rightCount === 0) {
      if (unpairedLeft) emit(buf, bs, e, buf, -1, 0);
      return;
    }
    if (!joined) return;
    let rs = 0;
    for (let r = 0; r < rightCount; r++) {
      const re = rightEnds[r]!;
      emit(buf, bs, e, rights, rs, re);
      rs = re;
    }
  });
  endGroup();
  return lines;
}

/**
 * `kiln join`'s byte-level path: joins LEFT and RIGHT as `LC_ALL=C join` does on
 * stably sorted copies and writes the lines to `fd`. Returns null (having written
 * nothing) when the inputs need the record path: a join field holding a NUL byte or
 * longer than 1 MiB, or a separator that is not one byte.
 */
export async function joinLineFiles(kiln: Kiln, spec: LineJoinSpec, fd: number, options: ActionOptions & { label?: string } = {}): Promise<LineJoinSummary | null> {
  if (spec.separator !== undefined && (spec.separator.length !== 1 || spec.separator.charCodeAt(0) > 0xff || spec.separator === '\n')) return null;
  const label = options.label ?? (fd === 1 ? 'standard output' : `file descriptor ${fd}`);
  // Both spill files live in the context's spill directory, removed at stop (and so on a signal) as well as here.
  const dir = joinPath(kiln.options.spillDir, `join-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  try {
    const decorated = joinPath(dir, 'decorated');
    const width = decorate(spec, decorated);
    (globalThis as any).__joinTrace?.('decorated');
    if (width === null) return null;
    const sorted = joinPath(dir, 'sorted');
    if (fstatSafe(decorated) > 0) {
      const sortFd = openSync(sorted, 'w');
      try {
        await kiln
          .textFile(decorated, { encoding: 'latin1' })
          .sortLines({ keyBytes: width + 1, ...(spec.partitions !== undefined ? { numPartitions: spec.partitions } : {}) })
          .writeTo(sortFd, { ...(options.signal ? { signal: options.signal } : {}), label: 'the join spill file' });
      } finally {
        closeSync(sortFd);
      }
      (globalThis as any).__joinTrace?.('sorted');
      rmSync(decorated, { force: true });
    } else {
      closeSync(openSync(sorted, 'w'));
    }
    const out = new FdWriter(fd, label);
    const lines = merge(sorted, width, spec, out);
    out.flush();
    return { lines, bytes: out.bytes, keyWidth: width };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fstatSafe(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
