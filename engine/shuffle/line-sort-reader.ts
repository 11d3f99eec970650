// The reduce side of sortLines: a reduce task's segments (sorted runs of
// '\n'-terminated lines, one per map block) are copied back to back into the thread's
// input region and re-sorted by the kernels — a radix pass over all runs measured
// faster than any merge JS could drive — then gathered in output order (reverse,
// unique, stable key order: engine/shuffle/line-sorter.ts) into the thread's output
// region. From there the bytes go, without a JS string per line, to an open file
// descriptor in partition order (engine/shuffle/ordered-output.ts) or to the task's
// part file; the generic Dataset path (collect, map, ...) gets them as strings.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import type { Emit } from '../exec/compute.js';
import type { LinesAggregator, LinesTarget, NodeSpec } from '../exec/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../exec/task-context.js';
import type { Region } from '../memory/region.js';
import { LineSort, LineSortScratch } from './line-sorter.js';
import { announceTurn, writeAll, writeInTurn } from './ordered-output.js';
import { locateSegments, type Segment } from './reader.js';

/** A reduce partition's output in the thread's output region. */
interface SortedPartition {
  readonly ptr: number;
  readonly bytes: number;
  readonly lines: number;
  /** Offsets of the output lines, relative to ptr (u32[lines + 1], a view into scratch). */
  readonly offsets: Uint32Array;
}

/** Sorts the lines of `segments` into the thread's output region. */
function sortSegments(segments: readonly Segment[], agg: LinesAggregator, ctx: TaskContext): SortedPartition {
  const scratch = LineSortScratch.of(ctx.rt);
  let total = 0;
  for (const s of segments) total += s.len;
  ctx.metrics.shuffleReadBytes += total;
  const input = scratch.region('input', Math.max(total, 1));
  const u8 = ctx.rt.u8;
  let at = input.ptr;
  for (const s of segments) {
    u8.copyWithin(at, s.ptr, s.ptr + s.len);
    at += s.len;
  }
  ctx.checkCancelled();
  const sorter = new LineSort(scratch, agg);
  const sorted = sorter.sort(input.ptr, total);
  ctx.metrics.shuffleReadRecords += sorted.n;
  const output = scratch.region('output', Math.max(total, 1));
  const { lines, dstOffsets } = sorter.gather(input.ptr, sorted, output.ptr, { unique: agg.unique });
  return { ptr: output.ptr, bytes: dstOffsets[lines]!, lines, offsets: dstOffsets.subarray(0, lines + 1) };
}

/** Sorts a 'lines' shuffle read node's partition (segments of spilled blocks are read in first). */
function sortReadNode(node: NodeSpec, ctx: TaskContext): SortedPartition {
  if (node.t !== 'shuffle' || node.read.format !== 'lines' || node.read.aggregator?.kind !== 'lines') {
    throw new KilnError('internal', 'writeLines needs a sortLines shuffle read: a bug in kiln');
  }
  const spilled: Region[] = [];
  try {
    const segments = locateSegments(node.read, ctx, spilled);
    return sortSegments(segments, node.read.aggregator, ctx);
  } finally {
    for (const r of spilled) ctx.rt.allocator.release(r);
  }
}

/** The generic path: emits the partition's sorted lines as strings (UTF-8, without '\n'). */
export function emitSortedLines(segments: readonly Segment[], agg: LinesAggregator, ctx: TaskContext, emit: Emit): void {
  const out = sortSegments(segments, agg, ctx);
  const bytes = Buffer.from(ctx.rt.u8.buffer, out.ptr, out.bytes);
  for (let i = 0; i < out.lines; i++) {
    if (i % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
    emit(bytes.toString('utf8', out.offsets[i]!, out.offsets[i + 1]! - 1));
  }
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
      const copy = LineSortScratch.of(ctx.rt).region('input', 1);
      writeInTurn(ctx, target, partition, out.ptr, out.bytes, { ptr: copy.ptr, size: Math.min(copy.size, 1 << 30) });
      break;
    }
    case 'dir': {
      const fd = openSync(join(target.dir, `part-${String(partition).padStart(5, '0')}`), 'w');
      try {
        writeAll(ctx, fd, out.ptr, out.bytes);
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
