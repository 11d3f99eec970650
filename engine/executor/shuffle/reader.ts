// The reduce side of a shuffle: a reduce task reads its segment of every map output
// block. Policy: in-memory blocks are read in place from the shared memory (no copy,
// no re-encoding: the combiner kernel merges table segments where they lie, the
// record decoder reads views); spilled blocks are read back from their data file's
// byte range into this worker's scratch, then handled the same way.
import { isAscii } from 'node:buffer';
import { ByteReader, readKey, readValue } from '../../common/codec/index.js';
import type { Emit } from '../../common/emit.js';
import type { AggregatorSpec, ShuffleReadSpec } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import { KilnError } from '../../common/errors.js';
import type { Region } from '../memory/region.js';
import { readSpilled } from './block-store.js';
import { mergeTable } from './table-merge.js';
import { combinerFunctions } from './keyed-map.js';
import { ExternalMap } from './external-map.js';
import { sortKeyedPartition } from '../sort/record-sort.js';
import { emitSortedLines } from './line-sort-reader.js';

/** A segment of one block, in kernel memory. */
export interface Segment {
  readonly ptr: number;
  readonly len: number;
}

/** Pushes the records of a reduce partition to `emit`. */
export function readShuffle(read: ShuffleReadSpec, ctx: TaskContext, emit: Emit): void {
  // sortLines blocks are indexed by key range, not partition: their reader locates its own bytes.
  if (read.aggregator?.kind === 'lines') return emitSortedLines(read, read.aggregator, ctx, emit);
  // Sorted reads stream their blocks themselves (they may be larger than memory: engine/executor/sort/).
  if (read.format === 'keyed') return sortKeyedPartition(read, read.ascending ?? true, ctx, emit);
  // Table blocks too: merged in passes when their keys do not fit (table-merge.ts).
  if (read.format === 'table') {
    if (read.aggregator?.kind !== 'builtin') throw new Error('table blocks need a built-in aggregator');
    return mergeTables(read, read.aggregator, ctx, emit);
  }
  const scratch: Region[] = [];
  try {
    const segments = locateSegments(read, ctx, scratch);
    for (const s of segments) ctx.metrics.shuffleReadBytes += s.len;
    const agg = read.aggregator;
    switch (read.format) {
      case 'lines':
        throw new Error('line blocks are read by emitSortedLines');
      case 'records':
        if (!agg) return decodeRecords(segments, ctx, emit);
        if (agg.kind === 'builtin') throw new Error('record blocks never carry a built-in aggregator');
        if (agg.kind === 'js' && !read.combined) return aggregateUncombined(segments, agg, ctx, emit);
        return combineRecords(segments, agg, ctx, emit);
    }
  } finally {
    for (const r of scratch) ctx.rt.allocator.release(r);
  }
}

/** The segments of `read.partition` in every block: in place, or read back from spill files into `scratch`. */
export function locateSegments(read: ShuffleReadSpec, ctx: TaskContext, scratch: Region[]): Segment[] {
  const p = read.partition;
  const segments: Segment[] = [];
  for (const block of read.blocks) {
    const start = block.offsets[p]!;
    const len = block.offsets[p + 1]! - start;
    if (len === 0) continue;
    const loc = block.location;
    if (loc.kind === 'memory') {
      segments.push({ ptr: loc.ptr + start, len });
      continue;
    }
    segments.push({ ptr: readSpilled(ctx, loc.path, start, len, read, scratch), len });
  }
  return segments;
}

/** A reduce partition of a table shuffle, merged, as columns the driver expands (see collectTable). */
export interface TableBatch {
  readonly kind: 'tableBatch';
  /** All keys' UTF-8 text, back to back (ASCII: byte offsets are string offsets). */
  readonly text: string;
  readonly keyOffsets: Uint32Array;
  readonly keyLengths: Uint32Array;
  readonly values: Float64Array;
}

/** True for a result part that is a TableBatch. */
export function isTableBatch(x: unknown): x is TableBatch {
  return typeof x === 'object' && x !== null && (x as TableBatch).kind === 'tableBatch';
}

/** Expands a TableBatch into [key, value] records (on the driver), written to out[at...]. */
export function expandTableBatch(b: TableBatch, out: unknown[], at: number): void {
  const { text, keyOffsets, keyLengths, values } = b;
  for (let i = 0; i < values.length; i++) out[at + i] = [text.slice(keyOffsets[i]!, keyOffsets[i]! + keyLengths[i]!), values[i]!];
}

/**
 * The collect of a word-count style table shuffle (UTF-8 keys, ASCII text), returned as
 * one string and typed arrays: a structured clone of a few objects instead of one
 * small array per key. Returns undefined when the keys are not plain ASCII or not
 * UTF-8 strings; the caller then emits records as usual.
 */
export function collectTable(read: ShuffleReadSpec, ctx: TaskContext): TableBatch | undefined {
  const agg = read.aggregator;
  if (read.format !== 'table' || agg?.kind !== 'builtin' || agg.keyFormat === 'key') return undefined;
  const parts: TableBatch[] = [];
  let ascii = true;
  let records = 0;
  mergeTable(read, agg, ctx, (table) => {
    if (!ascii) return;
    const cols = table.columns(agg.op);
    const arena = Buffer.from(ctx.rt.memory.buffer, cols.arenaPtr, cols.arenaBytes);
    // latin1 keys are the arena's bytes one char each; utf8 keys are that only when ASCII.
    if (agg.keyFormat === 'utf8' && !isAscii(arena)) {
      ascii = false;
      return;
    }
    records += table.size;
    parts.push({ kind: 'tableBatch', text: arena.toString('latin1'), keyOffsets: cols.keyOffsets.slice(), keyLengths: cols.keyLengths.slice(), values: cols.values.slice() });
  });
  if (!ascii) return undefined;
  ctx.metrics.resultRecords += records;
  return parts.length === 1 ? parts[0]! : concatBatches(parts);
}

/** One TableBatch of several (a partition aggregated in passes). */
function concatBatches(parts: readonly TableBatch[]): TableBatch {
  const n = parts.reduce((s, p) => s + p.values.length, 0);
  const keyOffsets = new Uint32Array(n);
  const keyLengths = new Uint32Array(n);
  const values = new Float64Array(n);
  let at = 0;
  let base = 0;
  for (const p of parts) {
    for (let i = 0; i < p.values.length; i++) keyOffsets[at + i] = p.keyOffsets[i]! + base;
    keyLengths.set(p.keyLengths, at);
    values.set(p.values, at);
    at += p.values.length;
    base += p.text.length;
  }
  return { kind: 'tableBatch', text: parts.map((p) => p.text).join(''), keyOffsets, keyLengths, values };
}

function mergeTables(read: ShuffleReadSpec, agg: Extract<AggregatorSpec, { kind: 'builtin' }>, ctx: TaskContext, emit: Emit): void {
  const pick = (e: { count: number; sum: unknown; min: unknown; max: unknown }): number =>
    agg.op === 'count' ? e.count : Number(agg.op === 'sum' ? e.sum : agg.op === 'min' ? e.min : e.max);
  mergeTable(read, agg, ctx, (table) => {
    if (agg.keyFormat === 'utf8' || agg.keyFormat === 'latin1') {
      // Columns, not entries(): no bigint or object per key (a partition may hold millions).
      const cols = table.columns(agg.op);
      const arena = Buffer.from(ctx.rt.memory.buffer, cols.arenaPtr, cols.arenaBytes);
      const { keyOffsets, keyLengths, values } = cols;
      for (let i = 0; i < values.length; i++) {
        const at = keyOffsets[i]!;
        emit([arena.toString(agg.keyFormat, at, at + keyLengths[i]!), values[i]!]);
        if ((i & (CANCEL_CHECK_EVERY - 1)) === 0) ctx.checkCancelled();
      }
    } else {
      for (const e of table.entries('bytes')) emit([readKey(new ByteReader(e.key)), pick(e)]);
    }
  });
}

function decodeRecords(segments: Segment[], ctx: TaskContext, emit: Emit): void {
  const u8 = ctx.rt.u8;
  let n = 0;
  for (const s of segments) {
    const r = new ByteReader(u8, s.ptr, s.ptr + s.len);
    while (!r.done) {
      emit(readValue(r));
      if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
    }
  }
  ctx.metrics.shuffleReadRecords += n;
}

function combineRecords(segments: Segment[], agg: Exclude<AggregatorSpec, { kind: 'builtin' | 'lines' }>, ctx: TaskContext, emit: Emit): void {
  if (agg.kind === 'first') {
    // distinct: keys only, deduplicated out of core like the combiners (value null).
    const none = (): null => null;
    return foldOutOfCore(segments, ctx, new ExternalMap(ctx, (a) => a, 'distinct'), (keys, k) => keys.update(k, null, none, none), (e) => emit(e[0]));
  }
  // Map outputs were combined on the map side, so values here are combiners.
  const merge = ctx.fn<(a: unknown, b: unknown) => unknown>(agg.mergeCombiners);
  const identity = (x: unknown): unknown => x;
  foldOutOfCore(segments, ctx, new ExternalMap(ctx, merge, 'combine'), (combined, rec) => {
    const [k, c] = rec as [unknown, unknown];
    combined.update(k, c, identity, merge);
  }, emit);
}

/** Reduce side of a shuffle without map-side combine but with an aggregator (groupByKey). */
function aggregateUncombined(segments: Segment[], agg: Extract<AggregatorSpec, { kind: 'js' }>, ctx: TaskContext, emit: Emit): void {
  const { create, merge } = combinerFunctions(agg, ctx);
  foldOutOfCore(segments, ctx, new ExternalMap(ctx, ctx.fn<(a: unknown, b: unknown) => unknown>(agg.mergeCombiners), 'group'), (combined, rec) => {
    const [k, v] = rec as [unknown, unknown];
    combined.update(k, v, create, merge);
  }, emit);
}

/** Folds every record of the segments into `map`, then drains it to `emit`; a failure removes its spilled runs. */
function foldOutOfCore(segments: Segment[], ctx: TaskContext, map: ExternalMap, fold: (map: ExternalMap, rec: unknown) => void, emit: (e: [unknown, unknown]) => void): void {
  try {
    decodeRecords(segments, ctx, (rec) => fold(map, rec));
  } catch (e) {
    map.discard();
    throw e;
  }
  map.drain(emit);
}
