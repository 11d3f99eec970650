// The line-splitting kernel (kernels/lines.ts) for the engine. Policy: a LineSplitter
// owns one reusable output region (line pairs) and a control block, takes input that
// is already in kernel memory, drains the output to a callback whenever the kernel
// reports it full, and leaves the partial last line to the caller, who carries it into
// the next chunk with {@link carryTail}. Nothing is allocated per call.
import type { Region } from '../memory/region.js';
import { SCAN_FLAGS } from './exports.js';
import type { KernelRuntime } from './runtime.js';
import { KernelError, decodeStatus, unreachable } from './status.js';

/** Lines per output batch when not given: 64 Ki pairs, a 512 KiB region. */
export const DEFAULT_LINE_CAPACITY = 1 << 16;

/**
 * Receives one batch of lines: `count` pairs in {@link LineSplitter.pairs}
 * (start, end at 2i, 2i + 1), relative to `offset` bytes into the scanned input.
 * The views are valid until the callback returns.
 */
export type LineSink = (count: number, offset: number) => void;

/**
 * Moves the unconsumed tail `[consumed, len)` of a buffer in kernel memory to its
 * start and returns the tail's length: the caller then reads the next chunk after
 * it. This is how a partial line or word crosses a chunk boundary.
 * Measured (Node 20.20): copying into shared memory at an unaligned destination runs
 * ~5x slower than at an aligned one, so on hot paths prefer reading the next chunk at
 * an aligned address and placing the tail just before it (bench/kernels/lines.ts).
 */
export function carryTail(rt: KernelRuntime, ptr: number, len: number, consumed: number): number {
  const tail = len - consumed;
  if (tail > 0 && consumed > 0) rt.u8.copyWithin(ptr, ptr + consumed, ptr + len);
  return tail;
}

/** Splits byte ranges in kernel memory into lines ("\n" or "\r\n" terminated). */
export class LineSplitter {
  private out: Region;
  private readonly ctl: Region;
  private pairView: Uint32Array;

  /** `capacity`: lines per batch handed to the sink (the output region holds 8 bytes a line). */
  constructor(private readonly rt: KernelRuntime, readonly capacity = DEFAULT_LINE_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`line capacity must be a positive integer, got ${capacity}`);
    this.out = rt.allocator.alloc(8 * capacity, 8);
    this.ctl = rt.allocator.alloc(8, 8);
    this.pairView = rt.u32(this.out.ptr, 2 * capacity);
  }

  /** (start, end) pairs of the current batch, relative to the batch's offset. */
  get pairs(): Uint32Array {
    // memory.grow detaches nothing for shared memory, but old views keep the old length.
    if (this.pairView.buffer !== this.rt.memory.buffer) this.pairView = this.rt.u32(this.out.ptr, 2 * this.capacity);
    return this.pairView;
  }

  /** Pointer of the pair region, for handing a batch straight to another kernel. */
  get pairsPtr(): number {
    return this.out.ptr;
  }

  /**
   * Splits `[ptr, ptr + len)` and hands every line to `sink` in batches. With `final`
   * a last line without a newline is a line too (a lone trailing "\r" is dropped).
   * Returns the bytes consumed: without `final`, the bytes after the last newline are
   * left for the next chunk. If that is the whole buffer (consumed 0 of a full
   * buffer), the line is longer than the buffer and the caller must grow it.
   */
  scan(ptr: number, len: number, final: boolean, sink: LineSink): number {
    const flags = final ? SCAN_FLAGS.final : 0;
    const ex = this.rt.exports;
    let done = 0;
    for (;;) {
      const code = ex.lineSplit(ptr + done, len - done, flags, this.out.ptr, this.capacity, this.ctl.ptr);
      const status = decodeStatus('lineSplit', code, { len: len - done, cap: this.capacity });
      const dv = this.rt.dv;
      const count = dv.getUint32(this.ctl.ptr, true);
      const consumed = dv.getUint32(this.ctl.ptr + 4, true);
      if (count > 0) sink(count, done);
      switch (status) {
        case 'ok':
          return done + consumed;
        case 'full':
          done += consumed;
          break;
        case 'grow':
          // lineSplit never asks for a larger table; seeing it is a kernel bug.
          throw new KernelError('lineSplit', "returned 'grow', which it never does: a kernel bug", { len: len - done });
        default:
          return unreachable(status, 'lineSplit');
      }
    }
  }

  /** Returns the regions to the allocator; the splitter is unusable afterwards. */
  release(): void {
    this.rt.allocator.release(this.out);
    this.rt.allocator.release(this.ctl);
  }
}

/**
 * Convenience for tests and the driver (not hot paths): the lines of `bytes` as
 * (start, end) pairs, the whole input being final. Copies `bytes` into kernel memory.
 */
export function splitLines(rt: KernelRuntime, bytes: Uint8Array, capacity?: number): Array<[number, number]> {
  const splitter = new LineSplitter(rt, capacity);
  const input = rt.allocator.alloc(bytes.length);
  try {
    rt.u8.set(bytes, input.ptr);
    const lines: Array<[number, number]> = [];
    splitter.scan(input.ptr, bytes.length, true, (count, offset) => {
      const p = splitter.pairs;
      for (let i = 0; i < count; i++) lines.push([offset + p[2 * i]!, offset + p[2 * i + 1]!]);
    });
    return lines;
  } finally {
    rt.allocator.release(input);
    splitter.release();
  }
}
