// The map side of sortLines: one task reads its splits' lines whole into kernel
// memory and, one run at a time (at most 32 MiB and a bounded number of lines, so the
// sort's scratch stays bounded whatever the lines' lengths), sorts them with the
// kernels (engine/executor/shuffle/line-sorter.ts), cuts the sorted order at the range
// partitioner's bounds (one binary search per bound, not a lookup per line) and copies
// the lines, grouped by key range and in input order within a range, into one 'lines'
// block per run of '\n'-terminated lines. The block's offsets index
// the ranges (partitions x rangesPerPartition + 1 of them), not just the partitions;
// under reverse, range 0 holds the largest keys.
// Policy: the splits are read straight into the thread's reusable input region, by
// Hadoop's line rule (a split owns the lines that start in it) applied at the two
// edges with small reads, so no chunking and no second copy; a file's last line
// without '\n' gets one. The block goes to the shuffle arena, or to disk when the
// driver refuses (storeBlock), with identical contents.
import { closeSync, openSync, readSync } from 'node:fs';
import { KilnError } from '../../common/errors.js';
import type { BlockSpec, LinesAggregator, NodeSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from '../runtime/task-context.js';
import { inputError, type FileSplit } from '../io/index.js';
import { storeBlock } from './block-store.js';
import { LineSort, LineSortScratch } from './line-sorter.js';
import type { ShuffleWriteSink } from './writer.js';

const NEWLINE = 0x0a;
/** Bytes read per probe when looking for a split's edge line breaks. */
const EDGE_PROBE_BYTES = 64 * 1024;
/** Bytes of one map-side run (one block); a single longer line is a run of its own. */
const MAP_RUN_BYTES = 32 << 20;
/** Largest single readSync (Node takes an int32 length). */
const MAX_READ_BYTES = 1 << 30;

/** Runs a sortLines map task: writes one 'lines' block. */
export function writeLineSort(node: NodeSpec, sink: ShuffleWriteSink, agg: LinesAggregator, ctx: TaskContext): BlockSpec[] {
  if (node.t !== 'text') throw new KilnError('internal', `sortLines reads a text file source, not '${node.t}': a bug in kiln`);
  const partitioner = sink.partitioner;
  if (partitioner.kind !== 'range') throw new KilnError('internal', 'sortLines needs a range partitioner: a bug in kiln');
  const scratch = LineSortScratch.of(ctx.rt);
  const { ptr: buf, len } = readSplits(node.splits, scratch, ctx);
  ctx.checkCancelled();
  const sorter = new LineSort(scratch, agg);
  const ranges = partitioner.partitions * agg.rangesPerPartition;
  if (partitioner.bounds.length + 1 !== ranges) {
    throw new KilnError('internal', `sortLines partitioner has ${partitioner.bounds.length} bounds for ${partitioner.partitions} x ${agg.rangesPerPartition} ranges`);
  }
  if (len === 0) return [{ location: { kind: 'memory', ptr: 0, len: 0 }, offsets: new Array<number>(ranges + 1).fill(0) }];
  // The sort's scratch grows with the line count (~100 bytes a line here: the sorter's
  // entries, the grouping pass's, offsets), not with the bytes: a split of short lines
  // is cut into runs of at most maxLines lines, one block each, in input order, so
  // equal keys keep input order across them (reduce tasks read blocks in order).
  const maxLines = mapRunLines(ctx.rt.allocator.capacity);
  const blocks: BlockSpec[] = [];
  const u8 = ctx.rt.u8;
  for (let at = 0; at < len; ) {
    // At most MAP_RUN_BYTES a run (cut after a line break), so a block that spills needs
    // that much scratch, not the split's size: the spans' resident memory stays small.
    let runLen = len - at;
    if (runLen > MAP_RUN_BYTES) {
      const nl = u8.subarray(buf + at, buf + at + MAP_RUN_BYTES).lastIndexOf(NEWLINE);
      if (nl >= 0) runLen = nl + 1;
    }
    const sorted = sorter.sort(buf + at, runLen, maxLines);
    ctx.metrics.inputRecords += sorted.n;
    ctx.metrics.shuffleWriteRecords += sorted.n;
    // The bounds cut the keys into P x rangesPerPartition ranges (see LinesAggregator).
    const cuts = sorter.cuts(buf + at, sorted, partitioner.bounds);
    const from = buf + at;
    let offsets: number[] = [];
    blocks.push(storeBlock(ctx, sorted.bytes, () => offsets, (dst) => {
      offsets = sorter.groupByRange(from, sorted, cuts, dst);
    }, blocks.length));
    at += sorted.bytes;
    ctx.checkCancelled();
  }
  return blocks;
}

/** Lines per map-side run: the sort scratch (~100 bytes a line) within a quarter of the thread's span. */
export function mapRunLines(spanBytes: number): number {
  return Math.max(1 << 14, Math.floor(spanBytes / 4 / 100));
}

/**
 * Reads the lines of `splits` back to back into the thread's input region; returns
 * where they are. Each split ends in '\n' (appended at the end of a file that lacks it).
 */
function readSplits(splits: readonly FileSplit[], scratch: LineSortScratch, ctx: TaskContext): { ptr: number; len: number } {
  const ranges: { split: FileSplit; from: number; to: number }[] = [];
  let total = 0;
  for (const split of splits) {
    const range = lineRange(split);
    if (range.to > range.from) {
      ranges.push({ split, ...range });
      total += range.to - range.from + 1;
    }
  }
  const region = scratch.region('input', Math.max(total, 1));
  const u8 = ctx.rt.u8;
  let at = region.ptr;
  for (const { split, from, to } of ranges) {
    const fd = openFile(split);
    try {
      for (let pos = from; pos < to; ) {
        const n = readSync(fd, u8, at, Math.min(to - pos, MAX_READ_BYTES), pos);
        if (n === 0) throw changedError(split, pos);
        pos += n;
        at += n;
      }
    } catch (error) {
      throw error instanceof KilnError ? error : inputError(error, split.path, [split.start, split.start + split.length]);
    } finally {
      closeSync(fd);
    }
    if (u8[at - 1] !== NEWLINE) u8[at++] = NEWLINE;
    ctx.metrics.inputBytes += to - from;
  }
  return { ptr: region.ptr, len: at - region.ptr };
}

/**
 * The byte range [from, to) of the lines a split owns (Hadoop's LineRecordReader rule,
 * as engine/executor/io/split-reader.ts): from just past the first '\n' at or after start - 1
 * (0 for the first split), to just past the first '\n' at or after end - 1 (or the
 * file's end). Empty when the split's first line starts at or after its end.
 */
export function lineRange(split: FileSplit): { from: number; to: number } {
  const { start, length, fileSize } = split;
  const end = start + length;
  if (length === 0) return { from: 0, to: 0 };
  const fd = openFile(split);
  try {
    const from = start === 0 ? 0 : nextLineStart(fd, start - 1, fileSize);
    if (from >= end) return { from: 0, to: 0 };
    return { from, to: nextLineStart(fd, end - 1, fileSize) };
  } catch (error) {
    throw error instanceof KilnError ? error : inputError(error, split.path, [start, end]);
  } finally {
    closeSync(fd);
  }
}

const probe = Buffer.allocUnsafe(EDGE_PROBE_BYTES);

/** Offset just past the first '\n' at or after `pos`, or fileSize if there is none. */
function nextLineStart(fd: number, pos: number, fileSize: number): number {
  for (let at = pos; at < fileSize; ) {
    const n = readSync(fd, probe, 0, Math.min(EDGE_PROBE_BYTES, fileSize - at), at);
    if (n === 0) return fileSize;
    const i = probe.subarray(0, n).indexOf(NEWLINE);
    if (i >= 0) return at + i + 1;
    at += n;
  }
  return fileSize;
}

function openFile(split: FileSplit): number {
  try {
    return openSync(split.path, 'r');
  } catch (error) {
    throw inputError(error, split.path, [split.start, split.start + split.length]);
  }
}

function changedError(split: FileSplit, pos: number): KilnError {
  return new KilnError('input', `${split.path} ended at byte ${pos} but was ${split.fileSize} bytes when the job was planned — do not change input files while a job runs`, {
    file: split.path,
    range: [split.start, split.start + split.length],
  });
}
