// The literal line-search kernel (kernels/grep.ts) for the engine. Policy: a
// LiteralSearch owns its needle, an output region of line pairs and a control block,
// all allocated once; it scans input already in kernel memory and drains the matching
// lines to a callback whenever the kernel reports the output full. Which needles it
// accepts is decided here, once, so the kernel never sees a byte it would mishandle:
// no '\n' (lines could not hold it), no '\r' (the line reader drops a line's last
// '\r', so a match across it would select a line the string path does not), no NUL
// (binary files end lines there), and with ignoreCase ASCII only (non-ASCII folding is
// JS RegExp's, not byte-wise).
import { Buffer } from 'node:buffer';
import type { Region } from '../memory/region.js';
import type { KernelRuntime } from './runtime.js';
import { KernelError, decodeStatus, unreachable } from './status.js';

/** Lines per output batch: 16 Ki pairs, a 128 KiB region. */
export const DEFAULT_MATCH_CAPACITY = 1 << 14;

/** Flags of grepScan (kernels/grep.ts). */
const GREP_ICASE = 1;
const GREP_COUNT = 2;

/**
 * Receives one batch of matching lines: `count` pairs in {@link LiteralSearch.pairs}
 * (start, end at 2i, 2i + 1), relative to `offset` bytes into the scanned input.
 */
export type MatchSink = (count: number, offset: number) => void;

/**
 * Why a needle cannot be searched by the kernel, or undefined when it can. The caller
 * then runs the string path instead.
 */
export function literalUnsupported(literal: string, ignoreCase: boolean, encoding: 'utf8' | 'latin1' = 'utf8'): string | undefined {
  if (literal === '') return 'the empty string matches every line';
  // eslint-disable-next-line no-control-regex
  if (encoding === 'latin1' && /[^\x00-\xff]/.test(literal)) return 'latin1 text holds only chars U+0000-U+00FF';
  if (/[\n\r\0]/.test(literal)) return 'it holds a line break or NUL';
  if (/\p{Cs}/u.test(literal)) return 'it holds a lone surrogate (not UTF-8)';
  if (literal.includes('\ufffd')) return 'it holds U+FFFD, which the string path also matches for invalid UTF-8';
  // eslint-disable-next-line no-control-regex
  if (ignoreCase && /[^\x00-\x7f]/.test(literal)) return 'case folding of non-ASCII letters is the RegExp engine\'s';
  return undefined;
}

/** Searches regions of whole lines for one byte string. */
export class LiteralSearch {
  private readonly needle: Region;
  private readonly needleBytes: number;
  private readonly out: Region;
  private readonly ctl: Region;
  private pairView: Uint32Array;
  private readonly flags: number;

  /**
   * @param literal the string to find (UTF-8 encoded; see {@link literalUnsupported})
   * @param ignoreCase ASCII letters match either case
   * @param encoding how the searched text is decoded (engine/common/io/text-encoding.ts)
   * @param capacity lines per output batch
   */
  constructor(
    private readonly rt: KernelRuntime,
    literal: string,
    ignoreCase: boolean,
    encoding: 'utf8' | 'latin1' = 'utf8',
    readonly capacity = DEFAULT_MATCH_CAPACITY,
  ) {
    const why = literalUnsupported(literal, ignoreCase, encoding);
    if (why !== undefined) throw new KernelError('grepScan', `cannot search for ${JSON.stringify(literal)}: ${why}`);
    // The needle is the literal's bytes in the text's encoding (ASCII lowercased: the
    // kernel folds input letters to lowercase before comparing).
    const bytes = Buffer.from(ignoreCase ? literal.toLowerCase() : literal, encoding);
    this.needleBytes = bytes.length;
    this.needle = rt.allocator.alloc(Math.max(8, bytes.length), 8);
    rt.u8.set(bytes, this.needle.ptr);
    this.out = rt.allocator.alloc(8 * capacity, 8);
    this.ctl = rt.allocator.alloc(8, 8);
    this.pairView = rt.u32(this.out.ptr, 2 * capacity);
    this.flags = ignoreCase ? GREP_ICASE : 0;
  }

  /** (start, end) pairs of the current batch, relative to the batch's offset. */
  get pairs(): Uint32Array {
    if (this.pairView.buffer !== this.rt.memory.buffer) this.pairView = this.rt.u32(this.out.ptr, 2 * this.capacity);
    return this.pairView;
  }

  /** Hands every line of `[ptr, ptr + len)` (whole lines) that holds the needle to `sink`, in batches. */
  lines(ptr: number, len: number, sink: MatchSink): void {
    const ex = this.rt.exports;
    drainLines(this.rt, this.ctl.ptr, this.capacity, ptr, len, (at, rest) => ex.grepScan(at, rest, this.needle.ptr, this.needleBytes, this.flags, this.out.ptr, this.capacity, this.ctl.ptr), sink);
  }

  /**
   * The number of segments of `[ptr, ptr + len)` (whole lines) that hold the needle,
   * where '\n' and NUL both end a segment: for text, the matching lines; for a binary
   * file, what GNU grep -c counts.
   */
  count(ptr: number, len: number): number {
    const code = this.rt.exports.grepScan(ptr, len, this.needle.ptr, this.needleBytes, this.flags | GREP_COUNT, this.out.ptr, this.capacity, this.ctl.ptr);
    decodeStatus('grepScan', code, { len });
    return this.rt.dv.getUint32(this.ctl.ptr, true);
  }

  /** Whether byte `b` occurs in `[ptr, ptr + len)`. */
  hasByte(ptr: number, len: number, b: number): boolean {
    return this.rt.exports.hasByte(ptr, len, b) === 1;
  }

  /** Frees the regions. */
  release(): void {
    this.rt.allocator.release(this.needle);
    this.rt.allocator.release(this.out);
    this.rt.allocator.release(this.ctl);
  }
}

/**
 * Runs a lines-mode kernel call over `[ptr, ptr + len)` until it reports the range
 * consumed, handing each batch to `sink`; `call(at, rest)` scans from `at`.
 */
function drainLines(rt: KernelRuntime, ctl: number, capacity: number, ptr: number, len: number, call: (at: number, rest: number) => number, sink: MatchSink): void {
  let done = 0;
  for (;;) {
    const rest = len - done;
    const status = decodeStatus('grepScan', call(ptr + done, rest), { len: rest, cap: capacity });
    const dv = rt.dv;
    const count = dv.getUint32(ctl, true);
    const consumed = dv.getUint32(ctl + 4, true);
    if (count > 0) sink(count, done);
    switch (status) {
      case 'ok':
        return;
      case 'full':
        done += consumed;
        break;
      case 'grow':
        throw new KernelError('grepScan', "returned 'grow', which it never does: a kernel bug", { len: rest });
      default:
        return unreachable(status, 'grepScan');
    }
  }
}

/**
 * Why the byte range [lo, hi] cannot be searched, or undefined: it must be ASCII (a
 * byte < 0x80 is always its own char in UTF-8 and Latin-1 text) and must not hold
 * '\n', which ends lines.
 */
export function rangeUnsupported(lo: number, hi: number): string | undefined {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 0x7f || lo > hi) return `[${lo}, ${hi}] is not a range of ASCII bytes`;
  if (lo <= 0x0a && hi >= 0x0a) return 'it holds the line break';
  return undefined;
}

/** Finds the lines of regions of whole lines that hold a byte in [lo, hi] (kernels/grep.ts, grepRange). */
export class ByteRangeSearch {
  private readonly out: Region;
  private readonly ctl: Region;
  private pairView: Uint32Array;

  constructor(
    private readonly rt: KernelRuntime,
    readonly lo: number,
    readonly hi: number,
    readonly capacity = DEFAULT_MATCH_CAPACITY,
  ) {
    const why = rangeUnsupported(lo, hi);
    if (why !== undefined) throw new KernelError('grepRange', `cannot search for bytes ${lo}-${hi}: ${why}`);
    this.out = rt.allocator.alloc(8 * capacity, 8);
    this.ctl = rt.allocator.alloc(8, 8);
    this.pairView = rt.u32(this.out.ptr, 2 * capacity);
  }

  /** (start, end) pairs of the current batch, relative to the batch's offset. */
  get pairs(): Uint32Array {
    if (this.pairView.buffer !== this.rt.memory.buffer) this.pairView = this.rt.u32(this.out.ptr, 2 * this.capacity);
    return this.pairView;
  }

  /** Hands every line of `[ptr, ptr + len)` holding a byte of the range to `sink`, in batches. */
  lines(ptr: number, len: number, sink: MatchSink): void {
    const ex = this.rt.exports;
    drainLines(this.rt, this.ctl.ptr, this.capacity, ptr, len, (at, rest) => ex.grepRange(at, rest, this.lo, this.hi, this.out.ptr, this.capacity, this.ctl.ptr), sink);
  }

  /** Frees the regions. */
  release(): void {
    this.rt.allocator.release(this.out);
    this.rt.allocator.release(this.ctl);
  }
}
