// The reduce side of a table shuffle (built-in aggregators: valueCounts, the CLI's word
// count, sum/min/max by key), out of core. Policy: a reduce partition's records are
// merged into one combiner table while it fits its share of the thread's span
// (TABLE_SHARE). When it does not — tens of millions of distinct keys — the partition
// is aggregated in passes, DuckDB's radix-partitioned aggregation on one partition:
// pass i of n keeps only the keys whose (hash / partitions) % n == i (the partition
// fixed hash % partitions already), so each pass holds about 1/n of the keys, and each
// pass's table is handed to the caller and cleared before the next. No key is in two
// passes, so no merge of runs is needed; the input is read once per pass, from the
// shuffle arena in place or from spilled blocks in CHUNK-sized pieces (never whole,
// so a partition larger than the span works). The pass count is found by trying: the
// first pass that outgrows the share stops, and the count is raised from how far it
// got (a restart, before anything was handed out). Only a later pass that outgrows it
// (keys far from uniform over hashes, which XXH64 makes unlikely) fails, with a clear
// error. Word-count-sized inputs take one pass, the same work as before.
import { closeSync, openSync, readSync } from 'node:fs';
import type { AggregatorSpec, ShuffleReadSpec } from '../../common/protocol/protocol.js';
import type { TaskContext } from '../runtime/task-context.js';
import { KilnError } from '../../common/errors.js';
import type { CombinerTable, ValueKind } from '../kernels/combiner.js';
import { OutOfMemoryError } from '../memory/allocator.js';
import type { Region } from '../memory/region.js';

/** A table may hold this share of the thread's span before the partition goes to passes. */
const TABLE_SHARE = 0.25;
/** Spilled segments are read in pieces of this size. */
const CHUNK = 8 << 20;
/** More passes than this means a table share too small to be useful. */
const MAX_PASSES = 1 << 12;

/** Thrown inside a pass when the table outgrew its share; caught by mergeTable. */
class Outgrown extends Error {}

/** Where one block's segment of this partition is. */
type Piece = { readonly kind: 'memory'; readonly ptr: number; readonly len: number } | { readonly kind: 'file'; readonly path: string; readonly start: number; readonly len: number };

/**
 * Merges the reduce partition `read` into combiner tables, handing each finished
 * table to `take` (once with one pass, else once per pass; keys never repeat across
 * calls). The table is the caller's only during `take`. Returns the pass count.
 */
export function mergeTable(read: ShuffleReadSpec, agg: Extract<AggregatorSpec, { kind: 'builtin' }>, ctx: TaskContext, take: (table: CombinerTable<ValueKind>) => void): number {
  const pieces = piecesOf(read);
  const total = pieces.reduce((s, p) => s + p.len, 0);
  ctx.metrics.shuffleReadBytes += total;
  const limit = ctx.rt.allocator.capacity * TABLE_SHARE;
  // The shuffle's partition count: a key's partition is hash % divisor (tableEmit).
  const divisor = Math.max(1, (read.blocks[0]?.offsets.length ?? 2) - 1);
  let passes = 1;
  let table = ctx.combinerTable(agg.op === 'count' ? 'i64' : 'f64', 1 << 14);
  const chunk = new ChunkBuffer(ctx);
  try {
    for (let pass = 0; pass < passes; ) {
      let scanned = 0;
      try {
        for (const piece of pieces) {
          ctx.checkCancelled();
          scanned += insertPiece(table, piece, passes, pass, divisor, ctx, chunk, limit, read);
        }
      } catch (e) {
        if (!(e instanceof Outgrown || e instanceof OutOfMemoryError)) throw e;
        if (pass > 0 || passes >= MAX_PASSES) {
          throw new KilnError(
            'resources',
            `shuffle ${read.shuffleId} partition ${read.partition}: pass ${pass + 1} of ${passes} of the aggregation outgrew ${Math.round(limit / 2 ** 20)} MiB of the worker's memory — raise --worker-memory (Kiln.start's workerMemory) or use more partitions (--partitions)`,
            { partition: read.partition },
            { cause: e },
          );
        }
        // How many passes the whole input needs, from how far this one got (with room to spare).
        const done = Math.max(scanned, 1) / Math.max(total, 1);
        const projected = table.bytesHeld / Math.min(1, done);
        passes = Math.min(MAX_PASSES, Math.max(passes * 2, nextPow2(Math.ceil((passes * projected) / (limit * 0.5)))));
        // A fresh table: the outgrown one holds regions past the share.
        table.free();
        table = ctx.combinerTable(agg.op === 'count' ? 'i64' : 'f64', 1 << 14);
        continue;
      }
      ctx.metrics.shuffleReadRecords += table.size;
      take(table);
      table.clear();
      pass++;
    }
    if (passes > 1) ctx.metrics.aggregationPasses = Math.max(ctx.metrics.aggregationPasses ?? 1, passes);
    return passes;
  } finally {
    ctx.returnTable(table);
    chunk.release();
  }
}

/** The scratch region spilled pieces are read into, made on first use, grown for a record larger than it. */
class ChunkBuffer {
  private region: Region | undefined;

  constructor(private readonly ctx: TaskContext) {}

  get(): Region {
    return (this.region ??= this.ctx.rt.allocator.alloc(CHUNK));
  }

  /** Twice the size, keeping the first `keep` bytes. */
  grow(keep: number): Region {
    const old = this.get();
    this.region = this.ctx.rt.allocator.resize(old, 2 * old.size, keep);
    return this.region;
  }

  release(): void {
    if (this.region) this.ctx.rt.allocator.release(this.region);
    this.region = undefined;
  }
}

/** The partition's segment of each block. */
function piecesOf(read: ShuffleReadSpec): Piece[] {
  const p = read.partition;
  const out: Piece[] = [];
  for (const block of read.blocks) {
    const start = block.offsets[p]!;
    const len = block.offsets[p + 1]! - start;
    if (len === 0) continue;
    const loc = block.location;
    out.push(loc.kind === 'memory' ? { kind: 'memory', ptr: loc.ptr + start, len } : { kind: 'file', path: loc.path, start, len });
  }
  return out;
}

/** Inserts one piece's records of this pass; returns the bytes scanned. Throws Outgrown past `limit`. */
function insertPiece(
  table: CombinerTable<ValueKind>,
  piece: Piece,
  passes: number,
  pass: number,
  divisor: number,
  ctx: TaskContext,
  chunk: ChunkBuffer,
  limit: number,
  read: ShuffleReadSpec,
): number {
  const check = (): void => {
    if (table.bytesHeld > limit) throw new Outgrown();
  };
  if (piece.kind === 'memory') {
    // In the arena, in place; one kernel call per CHUNK so the limit is checked as it grows.
    for (let at = 0; at < piece.len; ) {
      const len = Math.min(CHUNK, piece.len - at);
      const used = table.insertRecords(piece.ptr + at, len, passes, pass, divisor);
      if (used === 0) {
        // One record longer than CHUNK: the rest of the segment in one call.
        const rest = table.insertRecords(piece.ptr + at, piece.len - at, passes, pass, divisor);
        if (rest === 0) throw corrupt(read, 'a record runs past the end of its segment');
        at += rest;
      } else at += used;
      check();
    }
    return piece.len;
  }
  let fd: number;
  try {
    fd = openSync(piece.path, 'r');
  } catch (cause) {
    throw new KilnError('execution', `shuffle ${read.shuffleId} spill file ${piece.path} is missing: ${(cause as Error).message}`, { file: piece.path, partition: read.partition }, { cause });
  }
  try {
    let buf = chunk.get();
    let carry = 0;
    let done = 0;
    while (done < piece.len || carry > 0) {
      const want = Math.min(buf.size - carry, piece.len - done);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, ctx.rt.u8, buf.ptr + carry + got, want - got, piece.start + done + got);
        if (n === 0) throw new KilnError('execution', `shuffle spill file ${piece.path} is truncated`, { file: piece.path, partition: read.partition });
        got += n;
      }
      done += got;
      const filled = carry + got;
      const used = table.insertRecords(buf.ptr, filled, passes, pass, divisor);
      check();
      carry = filled - used;
      if (carry > 0) {
        if (done >= piece.len) throw corrupt(read, 'the spilled segment ends inside a record');
        if (used === 0) {
          // One record larger than the buffer: a larger buffer for it (keys are bounded by the span).
          buf = chunk.grow(carry);
        } else ctx.rt.u8.copyWithin(buf.ptr, buf.ptr + used, buf.ptr + filled);
      }
    }
    return piece.len;
  } finally {
    closeSync(fd);
  }
}

function corrupt(read: ShuffleReadSpec, what: string): KilnError {
  return new KilnError('internal', `shuffle ${read.shuffleId} partition ${read.partition}: ${what} (corrupt shuffle data): this is a bug in kiln, please report it`, { partition: read.partition });
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
