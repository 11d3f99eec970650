// The map side of sortLines: one task reads its splits' lines whole into kernel
// memory, sorts them with the kernels (engine/shuffle/line-sorter.ts), cuts the sorted
// order at the range partitioner's bounds (one binary search per bound, not a lookup
// per line) and gathers the lines, partition by partition, into one 'lines' block:
// '\n'-terminated lines, each partition's segment a sorted run (descending under
// reverse, where partition 0 holds the largest lines).
// Policy: the splits are read straight into the thread's reusable input region, by
// Hadoop's line rule (a split owns the lines that start in it) applied at the two
// edges with small reads, so no chunking and no second copy; a file's last line
// without '\n' gets one. The block goes to the shuffle arena, or to disk when the
// driver refuses (storeBlock), with identical contents.
import { closeSync, openSync, readSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { BlockSpec, LinesAggregator, NodeSpec } from '../exec/protocol.js';
import type { TaskContext } from '../exec/task-context.js';
import { inputError, type FileSplit } from '../io/index.js';
import { storeBlock } from './block-store.js';
import { LineSort, LineSortScratch } from './line-sorter.js';
import type { ShuffleWriteSink } from './writer.js';

const NEWLINE = 0x0a;
/** Bytes read per probe when looking for a split's edge line breaks. */
const EDGE_PROBE_BYTES = 64 * 1024;
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
  const sorted = sorter.sort(buf, len);
  ctx.metrics.inputRecords += sorted.n;
  ctx.metrics.shuffleWriteRecords += sorted.n;
  const cuts = sorter.cuts(buf, sorted, partitioner.bounds);
  const P = partitioner.partitions;
  if (cuts.length !== P + 1) throw new KilnError('internal', `range partitioner has ${partitioner.bounds.length} bounds for ${P} partitions`);
  const n = sorted.n;
  let offsets: number[] = [];
  const block = storeBlock(ctx, len, () => offsets, (dst) => {
    const { dstOffsets } = sorter.gather(buf, sorted, dst, { unique: false });
    // Ascending partition a holds sorted positions [cuts[a], cuts[a + 1]); in reverse
    // the block is the sorted order backwards, and partition q = P - 1 - a.
    offsets = agg.reverse
      ? Array.from({ length: P + 1 }, (_, q) => dstOffsets[n - cuts[P - q]!]!)
      : cuts.map((c) => dstOffsets[c]!);
  }, 0);
  if (len === 0) return [{ location: block.location, offsets: new Array<number>(P + 1).fill(0) }];
  return [block];
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
 * as engine/io/split-reader.ts): from just past the first '\n' at or after start - 1
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
