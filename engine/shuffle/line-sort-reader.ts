// The reduce side of sortLines: a reduce partition is rangesPerPartition key ranges;
// each range's pieces (one per map block, lines in input order) are copied back to
// back into a small scratch region, sorted by the kernels there — a few MiB, so the
// radix passes and the gather stay in cache — and gathered in output order (reverse,
// unique, stable key order: engine/shuffle/line-sorter.ts) into the thread's output
// region, after the previous ranges. From there the bytes go, without a JS string per line, to an open file
// descriptor in partition order (engine/shuffle/ordered-output.ts) or to the task's
// part file; the generic Dataset path (collect, map, ...) gets them as strings.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import type { Emit } from '../exec/compute.js';
import type { LinesAggregator, LinesTarget, NodeSpec, ShuffleReadSpec } from '../exec/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../exec/task-context.js';
import type { Region } from '../memory/region.js';
import { readSpilled } from './block-store.js';
import { LineSort, LineSortScratch } from './line-sorter.js';
import { announceTurn, writeAll, writeInTurn } from './ordered-output.js';

/** Where one map block's share of this reduce partition is, and its ranges in it. */
interface BlockShare {
  readonly ptr: number;
  /** Range starts relative to ptr: rangesPerPartition + 1 offsets. */
  readonly starts: readonly number[];
}

/**
 * Sorts reduce partition `read.partition` one key range at a time: for each range,
 * its pieces from every block (in block order, so equal keys keep input order) are
 * copied back to back into a small scratch region, sorted there and gathered into
 * `dst(bytes)`'s region after the previous ranges; `onRange` sees each range's output.
 * Returns the output's length and line count.
 */
function sortPartition(
  read: ShuffleReadSpec,
  agg: LinesAggregator,
  ctx: TaskContext,
  onRange?: (ptr: number, lines: number, offsets: Uint32Array) => void,
): SortedPartition {
  const scratch = LineSortScratch.of(ctx.rt);
  const spilled: Region[] = [];
  try {
    const shares = locateShares(read, agg.rangesPerPartition, ctx, spilled);
    let total = 0;
    for (const b of shares) total += b.starts[b.starts.length - 1]!;
    ctx.metrics.shuffleReadBytes += total;
    // The output goes to the 'input' region: map tasks on this thread have touched it
    // already (first touch of fresh memory is what costs here), and a reduce task
    // sorts in the small 'range' region instead.
    const output = scratch.region('input', Math.max(total, 1));
    const sorter = new LineSort(scratch, agg);
    // Count mode's lines are longer: the same region, grown (keeping what it holds) as needed.
    let countedPtr = output.ptr;
    const u8 = ctx.rt.u8;
    let bytes = 0;
    let lines = 0;
    for (let r = 0; r < agg.rangesPerPartition; r++) {
      let len = 0;
      for (const b of shares) len += b.starts[r + 1]! - b.starts[r]!;
      if (len === 0) continue;
      ctx.checkCancelled();
      const range = scratch.region('range', len);
      let at = range.ptr;
      for (const b of shares) {
        const from = b.ptr + b.starts[r]!;
        const to = b.ptr + b.starts[r + 1]!;
        u8.copyWithin(at, from, to);
        at += to - from;
      }
      const sorted = sorter.sort(range.ptr, len);
      ctx.metrics.shuffleReadRecords += sorted.n;
      if (agg.count) {
        // uniq -c lines are longer than their lines: gather aside, then write them
        // with their counts after the previous ranges, growing the output if needed.
        const gathered = scratch.region('gathered', len);
        const out = sorter.gather(range.ptr, sorted, gathered.ptr, { unique: true, count: true });
        const { ptr, offsets } = appendCounted(ctx, scratch, bytes, gathered.ptr, out.lines, out.dstOffsets, out.counts!);
        onRange?.(ptr + bytes, out.lines, offsets);
        countedPtr = ptr;
        bytes += offsets[out.lines]!;
        lines += out.lines;
        continue;
      }
      const out = sorter.gather(range.ptr, sorted, output.ptr + bytes, { unique: agg.unique });
      onRange?.(output.ptr + bytes, out.lines, out.dstOffsets);
      bytes += out.dstOffsets[out.lines]!;
      lines += out.lines;
    }
    return { ptr: agg.count ? countedPtr : output.ptr, bytes, lines };
  } finally {
    for (const r of spilled) ctx.rt.allocator.release(r);
  }
}

/** Bytes of a count prefix: `uniq -c` prints "%7d " (wider for counts of 8+ digits). */
function prefixBytes(count: number): number {
  return count < 10_000_000 ? 8 : String(count).length + 1;
}

/** Copies below this many bytes are a JS loop: cheaper than a call into copyWithin. */
const SHORT_COPY = 32;

/**
 * Appends `lines` gathered lines (at `src`, offsets `srcOffsets`) with their uniq -c
 * count prefixes to the 'input' region (the partition's output) after its first `at`
 * bytes, growing it (keeping those bytes) when needed. Returns the region's pointer
 * and the appended lines' offsets relative to ptr + at. JS per line (digits written
 * arithmetically, short lines copied in a loop): ~11.8M lines of 1 GB in about a second.
 */
function appendCounted(ctx: TaskContext, scratch: LineSortScratch, at: number, src: number, lines: number, srcOffsets: Uint32Array, counts: Uint32Array): { ptr: number; offsets: Uint32Array } {
  let need = srcOffsets[lines]!;
  for (let i = 0; i < lines; i++) need += prefixBytes(counts[i]!);
  const ptr = scratch.grow('input', at + need, at).ptr;
  const u8 = ctx.rt.u8;
  const offsets = new Uint32Array(lines + 1);
  const base = ptr + at;
  let out = base;
  for (let i = 0; i < lines; i++) {
    if (i % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
    offsets[i] = out - base;
    let c = counts[i]!;
    const width = prefixBytes(c) - 1;
    // Digits right-aligned in `width` columns, then a space.
    let d = out + width - 1;
    do {
      u8[d--] = 48 + (c % 10);
      c = Math.floor(c / 10);
    } while (c > 0);
    while (d >= out) u8[d--] = 0x20;
    u8[out + width] = 0x20;
    out += width + 1;
    const from = src + srcOffsets[i]!;
    const len = srcOffsets[i + 1]! - srcOffsets[i]!;
    if (len < SHORT_COPY) {
      for (let k = 0; k < len; k++) u8[out + k] = u8[from + k]!;
    } else {
      u8.copyWithin(out, from, from + len);
    }
    out += len;
  }
  offsets[lines] = out - base;
  return { ptr, offsets };
}

/** Each block's share of the partition: in place in memory, or read from its spill file. */
function locateShares(read: ShuffleReadSpec, k: number, ctx: TaskContext, spilled: Region[]): BlockShare[] {
  const first = read.partition * k;
  const shares: BlockShare[] = [];
  for (const block of read.blocks) {
    const base = block.offsets[first];
    if (base === undefined || block.offsets.length < first + k + 1) {
      throw new KilnError('internal', `sortLines block has ${block.offsets.length - 1} ranges, reduce partition ${read.partition} needs ${first + k}`);
    }
    const starts = block.offsets.slice(first, first + k + 1).map((o) => o - base);
    const len = starts[k]!;
    if (len === 0) continue;
    const loc = block.location;
    if (loc.kind === 'memory') {
      shares.push({ ptr: loc.ptr + base, starts });
      continue;
    }
    shares.push({ ptr: readSpilled(ctx, loc.path, base, len, read, spilled), starts });
  }
  return shares;
}

/** A reduce partition's output in the thread's output region. */
interface SortedPartition {
  readonly ptr: number;
  readonly bytes: number;
  readonly lines: number;
}

/** Sorts a 'lines' shuffle read node's partition. */
function sortReadNode(node: NodeSpec, ctx: TaskContext): SortedPartition {
  if (node.t !== 'shuffle' || node.read.format !== 'lines' || node.read.aggregator?.kind !== 'lines') {
    throw new KilnError('internal', 'writeLines needs a sortLines shuffle read: a bug in kiln');
  }
  return sortPartition(node.read, node.read.aggregator, ctx);
}

/** The generic path: emits the partition's sorted lines as strings (UTF-8, without '\n'). */
export function emitSortedLines(read: ShuffleReadSpec, agg: LinesAggregator, ctx: TaskContext, emit: Emit): void {
  sortPartition(read, agg, ctx, (ptr, lines, offsets) => {
    const bytes = Buffer.from(ctx.rt.u8.buffer, ptr, offsets[lines]!);
    for (let i = 0; i < lines; i++) {
      if (i % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      emit(bytes.toString(agg.encoding, offsets[i]!, offsets[i + 1]! - 1));
    }
  });
}

/** Result of one writeLines task. */
export interface LinesWritten {
  readonly lines: number;
  readonly bytes: number;
}

/** Runs a writeLines result task: sorts the partition and writes its bytes to the target. */
export function writeSortedLines(node: NodeSpec, target: LinesTarget, ctx: TaskContext): LinesWritten {
  if (target.kind === 'fd') announceTurn(target.turn, ctx.spec.partition);
  const out = sortReadNode(node, ctx);
  ctx.metrics.resultRecords += out.lines;
  const partition = ctx.spec.partition;
  switch (target.kind) {
    case 'fd': {
      // The input region is free now: it carries parked successors' bytes to the fd.
      const copy = LineSortScratch.of(ctx.rt).region('range', 1 << 20);
      writeInTurn(ctx, target, partition, out.ptr, out.bytes, { ptr: copy.ptr, size: Math.min(copy.size, 1 << 30) });
      break;
    }
    case 'dir': {
      const path = join(target.dir, `part-${String(partition).padStart(5, '0')}`);
      const fd = openSync(path, 'w');
      try {
        // Each task owns its part file: a retry rewrites it from the start.
        writeAll(ctx, fd, out.ptr, out.bytes, path);
      } finally {
        closeSync(fd);
      }
      break;
    }
    case 'count':
      break;
  }
  return { lines: out.lines, bytes: out.bytes };
}
