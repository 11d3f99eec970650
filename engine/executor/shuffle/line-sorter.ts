// The byte-level line sort shared by both sides of sortLines (`LC_ALL=C sort`).
// Policy: lines are never JS strings. A buffer of '\n'-terminated lines in kernel
// memory is split by the lineSplit kernel, ordered by the partitioned-sort kernel
// (radix on an 8-byte prefix, then a full-key, index-stable tie-break) and copied in
// order by its gather kernel. JS touches each line only in a few cheap loops over u32
// offsets (copying line starts out of the splitter's pairs, swapping terminators,
// building key-mode keys, and reverse/unique run handling), each said where it is.
//
// Why the terminator swap is exact: the sort kernel's key i is the byte range
// [offsets[i], offsets[i + 1]), so a line's key must include its terminator. With
// '\n' (0x0a) as terminator, "a\n" > "a\t\n" although memcmp puts "a" first. With the
// terminator replaced by 0x00, the smallest byte, comparing line+"\0" orders lines
// exactly like memcmp with a proper prefix first: if two lines differ at a position
// before either ends, that byte decides both ways; if line a is a proper prefix of b,
// then at position |a| the 0x00 terminator meets b[|a|] >= 0x00, and when that is 0x00
// too (b holds a NUL there), a+"\0" is a proper prefix of b+"\0" and still sorts
// first; equal lines stay equal (and keep input order through the index tie-break).
// test/line-sort.test.ts checks this against `LC_ALL=C sort` on lines with NUL bytes.
//
// Key mode (keyBytes N) sorts a separate buffer of fixed-width keys: the first
// min(len, N) bytes zero-padded to N, then the length (u32 big-endian), so padding can
// never tie a short key with a longer one that continues in NULs (the length decides,
// shorter first, as memcmp does); under reverse a u32 big-endian ~index follows, so
// equal keys sort by descending input index, and reversing the whole order yields
// descending keys with equal keys in input order (stable reverse).
//
// Map tasks use sort + cuts + groupByRange (lines grouped by key range, input order
// inside a range); reduce tasks use sort + gather on one range of a few MiB at a time
// (why: see groupByRange). One LineSortScratch per worker thread keeps every region
// between tasks (fresh memory costs ~0.4-3 s/GiB to first touch here); regions only
// grow.
import { KilnError } from '../../common/errors.js';
import type { LinesAggregator } from '../../common/protocol/protocol.js';
import { LineSplitter } from '../kernels/lines.js';
import type { KernelRuntime } from '../kernels/runtime.js';
import { PartitionedSorter, SORT_ENTRY_BYTES } from '../kernels/sort.js';
import { decodeStatus, KernelError } from '../kernels/status.js';
import { OutOfMemoryError } from '../memory/allocator.js';
import type { Region } from '../memory/region.js';

const NEWLINE = 0x0a;

/** Names of the scratch regions a thread keeps for line sorting. */
type ScratchName = 'input' | 'gathered' | 'offsets' | 'keys' | 'keyOffsets' | 'entries' | 'dstOffsets' | 'groups' | 'zeros' | 'tmp' | 'ctl' | 'range';

/** Per-thread working memory of the line sort (kept between tasks, grown on demand). */
export class LineSortScratch {
  private static readonly byRuntime = new WeakMap<KernelRuntime, LineSortScratch>();
  private readonly regions = new Map<ScratchName, Region>();
  /** The sort kernels' wrapper (keeps its entry buffers between sorts). */
  readonly sorter: PartitionedSorter;
  /** The line-split kernel's wrapper. */
  readonly splitter: LineSplitter;

  private constructor(readonly rt: KernelRuntime) {
    this.sorter = new PartitionedSorter(rt);
    this.splitter = new LineSplitter(rt, 1 << 16);
  }

  /** This thread's scratch (one per kernel runtime). */
  static of(rt: KernelRuntime): LineSortScratch {
    let s = LineSortScratch.byRuntime.get(rt);
    if (!s) {
      s = new LineSortScratch(rt);
      LineSortScratch.byRuntime.set(rt, s);
    }
    return s;
  }

  /** A region of at least `bytes` (contents undefined); reuses the last one when it is big enough. */
  region(name: ScratchName, bytes: number): Region {
    const old = this.regions.get(name);
    if (old && old.size >= bytes) return old;
    // Release first so the allocator can coalesce the old space into the new region.
    if (old) {
      this.rt.allocator.release(old);
      this.regions.delete(name);
    }
    let r: Region;
    try {
      // 25% headroom: the next task's input is usually a little larger or smaller.
      r = this.rt.allocator.alloc(Math.max(64, Math.ceil(bytes * 1.25)), 64);
    } catch (e) {
      if (!(e instanceof OutOfMemoryError)) throw e;
      try {
        r = this.rt.allocator.alloc(Math.max(64, bytes), 64);
      } catch (cause) {
        throw new KilnError(
          'resources',
          `sortLines needs ${bytes} bytes of worker memory for its ${name} buffer and the worker span is full — raise --worker-memory (workerMemory), or use more partitions (--partitions, numPartitions) and smaller splits (--split-size, maxPartitionBytes)`,
          {},
          { cause },
        );
      }
    }
    this.regions.set(name, r);
    return r;
  }

  /**
   * Releases every region but `keep`, so one long line can take the span: the regions
   * are caches kept between tasks, and `region()` reallocates any that is asked for again.
   */
  releaseExcept(keep?: ScratchName): void {
    for (const [name, r] of [...this.regions]) {
      if (name === keep) continue;
      this.rt.allocator.release(r);
      this.regions.delete(name);
    }
  }

  /** Grows region `name` to at least `bytes` (exactly, with `exact`; else 1.5x for slack), keeping its first `keep` bytes. */
  grow(name: ScratchName, bytes: number, keep: number, exact = false): Region {
    const old = this.regions.get(name);
    if (!old) return this.region(name, bytes);
    if (old.size >= bytes) return old;
    const r = this.rt.allocator.resize(old, exact ? bytes : Math.ceil(bytes * 1.5), keep);
    this.regions.set(name, r);
    return r;
  }
}

/** The result of sorting one buffer of lines. */
export interface SortedBuffer {
  /** Number of lines. */
  readonly n: number;
  /** Bytes those lines take from the buffer's start (less than its length when maxLines cut it). */
  readonly bytes: number;
  /** Line i occupies [buf + offsets[i], buf + offsets[i + 1]) with its '\n' (a view into scratch). */
  readonly offsets: Uint32Array;
  /** Pointer of the offsets (u32[n + 1], relative to buf). */
  readonly offsetsPtr: number;
  /** Line index of each sorted position, ascending by key (a view into the sorter; valid until the next sort). */
  readonly perm: Uint32Array;
}

/** Sorts buffers of '\n'-terminated lines by the rules of one {@link LinesAggregator}. */
export class LineSort {
  private readonly rt: KernelRuntime;
  private readonly width: number;

  constructor(
    private readonly scratch: LineSortScratch,
    private readonly agg: LinesAggregator,
  ) {
    this.rt = scratch.rt;
    const kb = agg.keyBytes;
    if (kb !== undefined && (!Number.isInteger(kb) || kb < 1)) throw new KilnError('usage', `keyBytes must be a positive integer, got ${kb}`);
    this.width = kb === undefined ? 0 : kb + 4 + (agg.reverse ? 4 : 0);
  }

  /**
   * Sorts the lines of [buf, buf + len) and returns their permutation; the buffer is
   * left as it was (terminators are swapped to 0x00 for the sort and restored). Every
   * line, the last included, must end in '\n'. With `maxLines`, only the first
   * maxLines lines are sorted (`bytes` says where they end): that bounds the scratch,
   * about 60 bytes a line, whatever the lines' lengths; the caller sorts the rest in
   * another run.
   */
  sort(buf: number, len: number, maxLines = Infinity): SortedBuffer {
    const { rt, scratch } = this;
    if (len > 0 && rt.u8[buf + len - 1] !== NEWLINE) throw new KilnError('internal', 'line sort input must end in a newline: a bug in kiln');
    // Offsets: sized for 32-byte lines at first, grown (keeping what is written) when
    // the splitter finds more lines.
    let cap = Math.floor(scratch.region('offsets', 4 * (Math.ceil(len / 32) + 1024)).size / 4) - 1;
    let offsetsRegion = scratch.region('offsets', 0);
    let offsets = rt.u32(offsetsRegion.ptr, cap + 1);
    let n = 0;
    const splitter = scratch.splitter;
    const u8 = rt.u8;
    const swap = this.width === 0;
    // JS per line (1): copy each line start out of the splitter's (start, end) pairs
    // (the ends are useless here: lineSplit drops a '\r' before '\n', sort keeps it),
    // and in whole-line mode turn the previous line's '\n' into 0x00 in the same pass.
    let cut = len;
    splitter.scan(buf, len, true, (count, offset) => {
      if (cut < len) return;
      if (n + count > maxLines) {
        // The rest of the buffer is the next run's: stop at the first line past the limit.
        const keep = maxLines - n;
        cut = offset + splitter.pairs[2 * keep]!;
        count = keep;
      }
      if (n + count > cap) {
        offsetsRegion = scratch.grow('offsets', 4 * (n + count + 1), 4 * n);
        cap = Math.floor(offsetsRegion.size / 4) - 1;
        offsets = rt.u32(offsetsRegion.ptr, cap + 1);
      }
      const pairs = splitter.pairs;
      const at = buf + offset;
      if (swap) {
        for (let i = 0; i < count; i++) {
          const start = pairs[2 * i]!;
          if (n > 0) u8[at + start - 1] = 0;
          offsets[n++] = offset + start;
        }
      } else {
        for (let i = 0; i < count; i++) offsets[n++] = offset + pairs[2 * i]!;
      }
    });
    offsets[n] = cut;
    offsets = offsets.subarray(0, n + 1);
    let perm: Uint32Array;
    if (swap) {
      // Each line start zeroed the terminator before it; the last line's is at cut - 1.
      if (cut > 0) u8[buf + cut - 1] = 0;
      try {
        perm = scratch.sorter.sort({ keys: buf, offsets: offsetsRegion.ptr, n, numPartitions: 1 });
      } finally {
        // JS per line (2): the terminators back to '\n'.
        for (let i = 1; i <= n; i++) u8[buf + offsets[i]! - 1] = NEWLINE;
      }
    } else {
      const keys = this.buildKeys(buf, offsets, n);
      perm = scratch.sorter.sort({ keys: keys.keys, offsets: keys.offsets, n, numPartitions: 1 });
    }
    return { n, bytes: cut, offsets, offsetsPtr: offsetsRegion.ptr, perm };
  }

  /**
   * Sorted positions where each bound's range ends: cuts[0] = 0, cuts[i + 1] = the
   * number of lines whose key is <= bounds[i], cuts[B + 1] = n. One binary search per
   * bound (keys compare as bytes, a proper prefix first, as the driver's bounds do).
   */
  cuts(buf: number, sorted: SortedBuffer, bounds: readonly Uint8Array[]): number[] {
    const { n, offsets, perm } = sorted;
    const u8 = this.rt.u8;
    const kb = this.agg.keyBytes ?? Infinity;
    const keyOf = (j: number): Uint8Array => {
      const r = perm[j]!;
      const s = buf + offsets[r]!;
      const len = offsets[r + 1]! - offsets[r]! - 1;
      return u8.subarray(s, s + Math.min(len, kb));
    };
    const cuts = [0];
    for (const bound of bounds) {
      let lo = cuts[cuts.length - 1]!;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (Buffer.compare(keyOf(mid), bound) <= 0) lo = mid + 1;
        else hi = mid;
      }
      cuts.push(lo);
    }
    cuts.push(n);
    return cuts;
  }

  /**
   * Copies the lines to `dst` in output order: ascending or (reverse) descending, with
   * `unique` dropping a line equal by key to the previous output line. Returns the
   * number of lines written and their offsets (u32[m + 1] relative to dst, a view).
   * `dst` must hold offsets[n] bytes (dropped lines are gathered after the kept ones).
   * With `count` (and unique), `counts[i]` is how many input lines output line i stands for.
   */
  gather(buf: number, sorted: SortedBuffer, dst: number, options: { unique: boolean; count?: boolean }): { lines: number; dstOffsets: Uint32Array; counts?: Uint32Array } {
    const { rt, scratch } = this;
    const { n, offsetsPtr, perm } = sorted;
    const dstOffsetsRegion = scratch.region('dstOffsets', 4 * (n + 1));
    const reverse = this.agg.reverse;
    if (!reverse && !options.unique) {
      // The common path: the sorter's own entries, no JS per line.
      scratch.sorter.gather(buf, offsetsPtr, dst, dstOffsetsRegion.ptr);
      return { lines: n, dstOffsets: rt.u32(dstOffsetsRegion.ptr, n + 1) };
    }
    // JS per line (3): the output order as gather entries (index at byte 8 of each
    // 16-byte entry). Kept lines first, dropped duplicates after them, because the
    // gather kernel takes every index < n exactly once.
    const entriesRegion = scratch.region('entries', SORT_ENTRY_BYTES * Math.max(n, 1));
    const e32 = rt.u32(entriesRegion.ptr, 4 * n);
    const same = options.unique ? this.equalKeys(buf, sorted) : undefined;
    const counts = options.unique && options.count ? new Uint32Array(n) : undefined;
    let kept = 0;
    let dropped = n;
    let prev = -1;
    for (let j = 0; j < n; j++) {
      const r = perm[reverse ? n - 1 - j : j]!;
      if (same && prev >= 0 && same(prev, r)) {
        e32[4 * --dropped + 2] = r;
        if (counts) counts[kept - 1]!++;
        continue;
      }
      if (counts) counts[kept] = 1;
      e32[4 * kept++ + 2] = r;
      prev = r;
    }
    // Dropped lines were stored from the end backwards; any order will do there.
    check('sortGather', rt.exports.sortGather(entriesRegion.ptr, n, buf, offsetsPtr, dst, dstOffsetsRegion.ptr), { n });
    return { lines: kept, dstOffsets: rt.u32(dstOffsetsRegion.ptr, n + 1), ...(counts ? { counts } : {}) };
  }

  /**
   * Copies the lines to `dst` grouped by range, each group in input order: group g
   * holds the lines of sorted positions [cuts[f], cuts[f + 1]) with f = g, or under
   * reverse f = ranges - 1 - g. Returns the groups' byte offsets in dst (ranges + 1).
   * Why not gather in sorted order: a gather in a random order over a large buffer is
   * bound by cache and TLB misses (measured 210 ms per 125 MB of 100-byte lines, 26 ms
   * for the same bytes in input order), so the map side only groups (a stable radix
   * pass on the range id: sortPrepare over empty keys, radixSort, sortGather reading
   * the input nearly sequentially), and the reduce side sorts each range, a few MiB,
   * in cache. JS per line (5): the range id of each line, written through the sorted
   * permutation.
   */
  groupByRange(buf: number, sorted: SortedBuffer, cuts: readonly number[], dst: number): number[] {
    const { rt, scratch } = this;
    const { n, offsetsPtr, perm } = sorted;
    const ranges = cuts.length - 1;
    const reverse = this.agg.reverse;
    const groups = scratch.region('groups', 4 * Math.max(n, 1));
    assignGroups(rt.u32(groups.ptr, n), perm, cuts, reverse);
    const zeros = scratch.region('zeros', 4 * (n + 1));
    rt.u32(zeros.ptr, n + 1).fill(0);
    const entries = scratch.region('entries', SORT_ENTRY_BYTES * Math.max(n, 1));
    const tmp = scratch.region('tmp', SORT_ENTRY_BYTES * Math.max(n, 1));
    const ctl = scratch.region('ctl', rt.exports.SORT_CTL_BYTES.value as number);
    const bits = ranges <= 1 ? 0 : 32 - Math.clz32(ranges - 1);
    const ex = rt.exports;
    const sizes = { n, ranges };
    check('sortPrepare', ex.sortPrepare(groups.ptr, buf, zeros.ptr, n, bits, entries.ptr), sizes);
    check('radixSort', ex.radixSort(entries.ptr, tmp.ptr, n, ctl.ptr), sizes);
    const inTmp = rt.u32(ctl.ptr, 1)[0] === 1;
    const dstOffsets = scratch.region('dstOffsets', 4 * (n + 1));
    check('sortGather', ex.sortGather(inTmp ? tmp.ptr : entries.ptr, n, buf, offsetsPtr, dst, dstOffsets.ptr), sizes);
    const d32 = rt.u32(dstOffsets.ptr, n + 1);
    // Group g's lines are consecutive in dst, in group order.
    const out = [0];
    let at = 0;
    for (let g = 0; g < ranges; g++) {
      const f = reverse ? ranges - 1 - g : g;
      at += cuts[f + 1]! - cuts[f]!;
      out.push(d32[at]!);
    }
    return out;
  }

  /** Line equality by the aggregator's key (whole line, or the key-mode key without its index). */
  private equalKeys(buf: number, sorted: SortedBuffer): (a: number, b: number) => boolean {
    const u8 = this.rt.u8;
    const { offsets } = sorted;
    if (this.width === 0) {
      return (a, b) => {
        const sa = buf + offsets[a]!;
        const sb = buf + offsets[b]!;
        const len = offsets[a + 1]! - offsets[a]!;
        if (offsets[b + 1]! - offsets[b]! !== len) return false;
        for (let k = 0; k < len; k++) if (u8[sa + k] !== u8[sb + k]) return false;
        return true;
      };
    }
    const keys = this.scratch.region('keys', 0).ptr;
    const w = this.width;
    const cmp = this.agg.keyBytes! + 4;
    return (a, b) => {
      const sa = keys + a * w;
      const sb = keys + b * w;
      for (let k = 0; k < cmp; k++) if (u8[sa + k] !== u8[sb + k]) return false;
      return true;
    };
  }

  /** Builds the fixed-width key-mode keys (see the file header). JS per line (4). */
  private buildKeys(buf: number, offsets: Uint32Array, n: number): { keys: number; offsets: number } {
    const { rt, scratch } = this;
    const w = this.width;
    const kb = this.agg.keyBytes!;
    const keys = scratch.region('keys', Math.max(w * n, 1)).ptr;
    const keyOffsetsRegion = scratch.region('keyOffsets', 4 * (n + 1));
    const ko = rt.u32(keyOffsetsRegion.ptr, n + 1);
    const u8 = rt.u8;
    const reverse = this.agg.reverse;
    for (let i = 0; i < n; i++) {
      const s = buf + offsets[i]!;
      const len = Math.min(offsets[i + 1]! - offsets[i]! - 1, kb);
      const k = keys + i * w;
      ko[i] = i * w;
      let b = 0;
      for (; b < len; b++) u8[k + b] = u8[s + b]!;
      for (; b < kb; b++) u8[k + b] = 0;
      u8[k + kb] = len >>> 24;
      u8[k + kb + 1] = (len >>> 16) & 0xff;
      u8[k + kb + 2] = (len >>> 8) & 0xff;
      u8[k + kb + 3] = len & 0xff;
      if (reverse) {
        const x = ~i >>> 0;
        u8[k + kb + 4] = x >>> 24;
        u8[k + kb + 5] = (x >>> 16) & 0xff;
        u8[k + kb + 6] = (x >>> 8) & 0xff;
        u8[k + kb + 7] = x & 0xff;
      }
    }
    ko[n] = n * w;
    return { keys, offsets: keyOffsetsRegion.ptr };
  }
}

/**
 * Group id of each line, written through the sorted permutation. A function of its own
 * so that V8 optimizes the loop as a whole (measured: 64 ms inlined in a large method
 * in one worker, 839 ms in the other, when on-stack replacement came late).
 */
function assignGroups(groups: Uint32Array, perm: Uint32Array, cuts: readonly number[], reverse: boolean): void {
  const ranges = cuts.length - 1;
  for (let f = 0; f < ranges; f++) {
    const g = reverse ? ranges - 1 - f : f;
    const end = cuts[f + 1]!;
    for (let j = cuts[f]!; j < end; j++) groups[perm[j]!] = g;
  }
}

/** Decodes a kernel status: these kernels finish in one call, so anything but ok is a bug. */
function check(kernel: string, code: number, sizes: Readonly<Record<string, number>>): void {
  const status = decodeStatus(kernel, code, sizes);
  if (status !== 'ok') throw new KernelError(kernel, `reported ${status} on input the line sort built itself`, sizes);
}
