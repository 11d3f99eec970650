// The map side of a shuffle (Spark's SortShuffleWriter; kiln's three paths):
//  - built-in aggregators ('count' | 'sum' | 'min' | 'max') combine in the combiner
//    kernel's table and emit it grouped by partition; the kernel word count feeds the
//    table straight from file chunks, so no JS string is made per word;
//  - JS aggregators combine in a Map on the map side (Spark's append-only map), then
//    write [key, combiner] records (map-combine.ts: bounded, may pass records through);
//  - without combining, records go to per-partition buffers (Spark's bypass-merge
//    path), so each reduce partition's bytes are contiguous in the block.
// A map task writes one block (data + partition offsets). A combiner table that
// outgrows its share of the worker's span is emitted as an extra block and cleared;
// the reduce side merges blocks anyway.
import { ByteWriter, writeKey, writeValue } from '../../common/codec/index.js';
import { compute, pair } from '../runtime/compute.js';
import type { AggregatorSpec, BlockSpec, NodeSpec, SinkSpec } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import type { CombinerTable, ValueKind } from '../kernels/combiner.js';
import { decodeStatus, KernelError } from '../kernels/status.js';
import type { Region } from '../memory/region.js';
import { KilnError } from '../../common/errors.js';
import { storeBlock } from './block-store.js';
import { writeLineSort } from './line-sort-writer.js';
import { writeCombined } from './map-combine.js';
import { ASSIGN_BATCH, PartitionAssigner } from './partition-assigner.js';
import type { PartitionerSpec } from '../../common/protocol/partitioner.js';
import { repairUtf8 } from '../../common/io/text-encoding.js';

/** The sink of a shuffle map task. */
export type ShuffleWriteSink = Extract<SinkSpec, { t: 'shuffleWrite' }>;

/** A table is emitted as a block once it holds this share of the worker's span. */
const TABLE_FLUSH_SHARE = 0.25;

/** Runs a map task: computes `node` and writes its shuffle output. */
export function writeShuffle(node: NodeSpec, sink: ShuffleWriteSink, ctx: TaskContext): BlockSpec[] {
  const agg = sink.aggregator;
  if (agg?.kind === 'lines') return writeLineSort(node, sink, agg, ctx);
  if (agg?.kind === 'builtin') return writeTable(node, sink, agg, ctx);
  if (agg && sink.mapSideCombine) return writeCombined(node, sink, agg, ctx);
  // 'sorted' also under a hash partitioner when the reduce side sorts by key (repartitionAndSortWithinPartitions).
  const mode = sink.partitioner.kind === 'roundRobin' ? 'whole' : sink.partitioner.kind === 'range' || sink.sortedKeys ? 'sorted' : sink.keyed ? 'pair' : 'key';
  // Records are encoded as they arrive, a batch at a time: holding the whole partition
  // as JS objects first kept them all alive into the old generation (measured: 40% of
  // a join's map task in the garbage collector).
  return [writePartitioned((push) => compute(node, ctx, push), sink.partitioner, ctx, mode, sink.operator)];
}

function writeTable(node: NodeSpec, sink: ShuffleWriteSink, agg: Extract<AggregatorSpec, { kind: 'builtin' }>, ctx: TaskContext): BlockSpec[] {
  const table = ctx.combinerTable(agg.op === 'count' ? 'i64' : 'f64', 1 << 14);
  const blocks: BlockSpec[] = [];
  const limit = ctx.rt.allocator.capacity * TABLE_FLUSH_SHARE;
  const wordPath = node.t === 'words' && agg.op === 'count' && !sink.keyed;
  const wordsBefore = table.wordsCounted;
  const emit = (): void => {
    ctx.metrics.shuffleWriteRecords += table.size;
    blocks.push(emitTable(table, sink, ctx, blocks.length));
  };
  const flushIfBig = (): void => {
    if (table.bytesHeld <= limit) return;
    emit();
    table.clear();
  };
  try {
    if (wordPath && node.t === 'words') {
      // The kernel path: tokenize + lowercase + hash + count, straight from the chunk.
      // Chunks hold whole lines, so every word in one is complete (final).
      const options = { lowercase: node.lowercase, nonAlnum: node.nonAlnum, final: true };
      for (const split of node.splits) {
        const { bytesRead } = ctx.reader.read(split, (ptr, len) => {
          ctx.checkCancelled();
          if (node.encoding === 'utf8') {
            // Keys are the bytes the kernels hash: a chunk with invalid UTF-8 is counted
            // as the bytes of its decoded text, so two words that decode to the same
            // string are one key, as on the JS path (engine/common/io/text-encoding.ts).
            const repaired = repairUtf8(ctx.rt.u8.subarray(ptr, ptr + len));
            if (repaired) {
              countRepaired(ctx, table, repaired, options);
              flushIfBig();
              return;
            }
          }
          table.countWords(ptr, len, options);
          flushIfBig();
        });
        ctx.metrics.inputBytes += bytesRead;
      }
      // The word kernel counts words without returning them as records.
      ctx.metrics.inputRecords += table.wordsCounted - wordsBefore;
    } else {
      const batch = new NumberBatch(ctx, table, agg.keyFormat === 'key' ? undefined : agg.keyFormat, flushIfBig);
      let n = 0;
      compute(node, ctx, (rec) => {
        if (sink.keyed) {
          const [k, v] = pair(rec, `aggregate '${agg.op}'`);
          batch.add(k, v);
        } else batch.add(rec, 1);
        if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      });
      batch.flush();
      batch.close();
    }
    emit();
    return blocks;
  } finally {
    ctx.returnTable(table);
  }
}

/** Counts the words of a repaired chunk, copied into a scratch region of kernel memory. */
function countRepaired(ctx: TaskContext, table: CombinerTable<ValueKind>, bytes: Uint8Array, options: { lowercase: boolean; nonAlnum: boolean; final: boolean }): void {
  const scratch = ctx.rt.allocator.alloc(Math.max(1, bytes.length));
  try {
    ctx.rt.u8.set(bytes, scratch.ptr);
    table.countWords(scratch.ptr, bytes.length, options);
  } finally {
    ctx.rt.allocator.release(scratch);
  }
}

function emitTable(table: CombinerTable<ValueKind>, sink: ShuffleWriteSink, ctx: TaskContext, seq: number): BlockSpec {
  // A tripwire: a word once came out with its input case in a few runs that could not
  // be reproduced (see the skipped test in test/cli-commands.test.ts). If the key arena
  // ever disagrees with the entries' own copies, fail the task (it is retried) rather
  // than ship wrong keys.
  if (!table.keysConsistent()) {
    throw new KilnError('internal', 'combiner table keys disagree with their entries (memory corruption): this is a bug in kiln, please report it');
  }
  const partitions = sink.partitioner.partitions;
  const ex = ctx.rt.exports;
  const bytes = ex.tableEmitSize(table.header) >>> 0;
  if (bytes === 0) return { location: { kind: 'memory', ptr: 0, len: 0 }, offsets: new Array<number>(partitions + 1).fill(0) };
  const offsetsRegion = ctx.rt.allocator.alloc(4 * (partitions + 1));
  try {
    let offsets: number[] = [];
    const { location } = storeBlock(ctx, bytes, () => offsets, (ptr) => {
      // Emitted straight into the shuffle region: the block is written once.
      const status = decodeStatus('tableEmit', ex.tableEmit(table.header, partitions, ptr, bytes, offsetsRegion.ptr), { partitions, bytes });
      if (status !== 'ok') throw new KernelError('tableEmit', `reported ${status} for a block of tableEmitSize bytes`, { partitions, bytes });
      offsets = Array.from(ctx.rt.u32(offsetsRegion.ptr, partitions + 1));
    }, seq);
    return { location, offsets };
  } finally {
    ctx.rt.allocator.release(offsetsRegion);
  }
}

/** Feeds (key, number) pairs to a combiner table, a batch of encoded keys per kernel call. */
class NumberBatch {
  private readonly keys = new ByteWriter(1 << 16);
  private readonly offsets = new Uint32Array(ASSIGN_BATCH + 1);
  private readonly values = new Float64Array(ASSIGN_BATCH);
  private n = 0;
  private scratch: Region | undefined;

  constructor(
    private readonly ctx: TaskContext,
    private readonly table: CombinerTable<ValueKind>,
    /** How string keys are written raw ('utf8' or 'latin1' bytes), or undefined: the key codec. */
    private readonly raw: 'utf8' | 'latin1' | undefined,
    private readonly afterFlush: () => void,
  ) {}

  add(key: unknown, value: unknown): void {
    if (typeof value !== 'number') {
      throw new TypeError(`built-in aggregators need number values, got ${typeof value}; pass a function to aggregate other values`);
    }
    if (this.raw === 'utf8' && typeof key === 'string') this.keys.writeUtf8(key);
    else if (this.raw === 'latin1' && typeof key === 'string') this.keys.writeLatin1(key);
    else writeKey(this.keys, key);
    this.values[this.n] = value;
    this.offsets[++this.n] = this.keys.length;
    if (this.n === ASSIGN_BATCH) this.flush();
  }

  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const rt = this.ctx.rt;
    const keyBytes = this.keys.length;
    const need = 8 * n + 4 * (n + 1) + keyBytes;
    if (!this.scratch || this.scratch.size < need) {
      if (this.scratch) rt.allocator.release(this.scratch);
      this.scratch = rt.allocator.alloc(Math.max(need, 1 << 20));
    }
    const valuesPtr = this.scratch.ptr;
    const offsetsPtr = valuesPtr + 8 * n;
    const dataPtr = offsetsPtr + 4 * (n + 1);
    // An i64 table (count) takes no values: the kernel counts 1 per key.
    if (this.table.valueKind === 'f64') new Float64Array(rt.u8.buffer, valuesPtr, n).set(this.values.subarray(0, n));
    rt.u32(offsetsPtr, n + 1).set(this.offsets.subarray(0, n + 1));
    rt.u8.set(this.keys.bytes(), dataPtr);
    this.table.insert({ data: dataPtr, offsets: offsetsPtr, n, ...(this.table.valueKind === 'f64' ? { values: valuesPtr } : {}) });
    this.keys.reset();
    this.n = 0;
    this.afterFlush();
  }

  close(): void {
    if (this.scratch) this.ctx.rt.allocator.release(this.scratch);
    this.scratch = undefined;
  }
}

/**
 * Writes records into one block grouped by partition. 'pair' records are [key, value]
 * partitioned by key; 'key' records are their own keys; 'whole' records go round
 * robin; 'sorted' records are [key, value] written as (key bytes, value) so the
 * reduce side sorts on the bytes without decoding.
 */
export function writePartitioned(
  records: Iterable<unknown> | ((push: (rec: unknown) => void) => void),
  partitioner: PartitionerSpec,
  ctx: TaskContext,
  mode: 'pair' | 'key' | 'whole' | 'sorted',
  operator = 'partitionBy',
  seq = 0,
): BlockSpec {
  const parts = Array.from({ length: partitioner.partitions }, () => new ByteWriter(256));
  const assigner = new PartitionAssigner(ctx, partitioner);
  const batch: unknown[] = [];
  const drain = (): void => {
    const assigned = assigner.assign();
    for (let i = 0; i < batch.length; i++) {
      const w = parts[assigned[i]!]!;
      if (mode === 'sorted') {
        const key = assigner.keyBytes(i);
        w.writeVarUint(key.length);
        w.writeBytes(key);
        writeValue(w, (batch[i] as [unknown, unknown])[1]);
      } else writeValue(w, batch[i]);
    }
    batch.length = 0;
  };
  let n = 0;
  const add = (rec: unknown): void => {
    const key = mode === 'whole' ? null : mode === 'key' ? rec : pair(rec, operator)[0];
    try {
      assigner.add(key);
    } catch (e) {
      // Name the operator whose key it is (a join's key that the codec cannot encode).
      if (e instanceof KilnError && e.kind === 'usage' && operator !== 'partitionBy') throw new KilnError('usage', `${operator}: ${e.message}`, { operator }, { cause: e });
      throw e;
    }
    batch.push(rec);
    if (assigner.full) drain();
    if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
  };
  try {
    if (typeof records === 'function') {
      records(add);
      ctx.metrics.shuffleWriteRecords += n;
    } else for (const rec of records) add(rec);
    if (batch.length > 0) drain();
  } finally {
    assigner.close();
  }
  const offsets = [0];
  for (const w of parts) offsets.push(offsets[offsets.length - 1]! + w.length);
  const total = offsets[offsets.length - 1]!;
  return storeBlock(ctx, total, () => offsets, (ptr) => {
    const u8 = ctx.rt.u8;
    parts.forEach((w, p) => u8.set(w.bytes(), ptr + offsets[p]!));
  }, seq);
}
