// Assigns records to reduce partitions in a worker, in batches. Policy: key bytes are
// the canonical encodings (engine/common/codec/key-codec.ts, or raw UTF-8 for the kernel word
// path); hash partitioning hashes a whole batch of keys in one kernel call
// (xxh64Partitions), since one JS->WASM call costs more than hashing a short key.
import { writeKey, ByteWriter } from '../../common/codec/index.js';
import type { TaskContext } from '../runtime/task-context.js';
import { hashPartitions } from '../kernels/hash.js';
import type { Region } from '../memory/region.js';
import { rangePartition, type PartitionerSpec } from '../../common/protocol/partitioner.js';

/** Records per kernel call. */
export const ASSIGN_BATCH = 8192;

/** Encodes keys and computes their partitions, a batch at a time. */
export class PartitionAssigner {
  /** Canonical key bytes of the batch, back to back. */
  readonly keys = new ByteWriter(1 << 16);
  /** Start offset of each key in `keys`, plus the end. */
  readonly offsets = new Uint32Array(ASSIGN_BATCH + 1);
  readonly partitions = new Uint32Array(ASSIGN_BATCH);
  private count = 0;
  private roundRobin: number;
  private scratch: Region | undefined;

  constructor(
    private readonly ctx: TaskContext,
    private readonly partitioner: PartitionerSpec,
  ) {
    // Spark starts each map task's round robin at a position derived from its partition.
    this.roundRobin = (ctx.spec.partition * 2654435761) % partitioner.partitions;
  }

  /** Keys in the current batch. */
  get size(): number {
    return this.count;
  }

  /** True when the batch is full and must be assigned. */
  get full(): boolean {
    return this.count === ASSIGN_BATCH;
  }

  /** Adds a key (encoded canonically, or as raw UTF-8 for string keys when `utf8`). */
  add(key: unknown, utf8 = false): void {
    if (this.count === 0) {
      this.keys.reset();
      this.offsets[0] = 0;
    }
    if (utf8) this.keys.writeUtf8(key as string);
    else writeKey(this.keys, key);
    this.offsets[++this.count] = this.keys.length;
  }

  /** Key bytes of batch entry i (a view, valid until the next batch). */
  keyBytes(i: number): Uint8Array {
    return this.keys.bytes().subarray(this.offsets[i]!, this.offsets[i + 1]!);
  }

  /** Computes `partitions` for the batch; the next `add` starts a new batch. */
  assign(): Uint32Array {
    const n = this.count;
    const p = this.partitioner;
    switch (p.kind) {
      case 'roundRobin':
        for (let i = 0; i < n; i++) this.partitions[i] = this.roundRobin++ % p.partitions;
        break;
      case 'range':
        for (let i = 0; i < n; i++) this.partitions[i] = rangePartition(this.keyBytes(i), p.bounds, p.ascending);
        break;
      case 'hash':
        this.hashBatch(n, p.partitions);
        break;
    }
    this.count = 0;
    return this.partitions;
  }

  /** Releases kernel scratch. */
  close(): void {
    if (this.scratch) this.ctx.rt.allocator.release(this.scratch);
    this.scratch = undefined;
  }

  private hashBatch(n: number, partitions: number): void {
    const rt = this.ctx.rt;
    const bytes = this.keys.length;
    const need = bytes + 4 * (ASSIGN_BATCH + 1) + 4 * ASSIGN_BATCH;
    if (!this.scratch || this.scratch.size < need) {
      if (this.scratch) rt.allocator.release(this.scratch);
      this.scratch = rt.allocator.alloc(Math.max(need, 1 << 20));
    }
    const offPtr = this.scratch.ptr;
    const outPtr = offPtr + 4 * (ASSIGN_BATCH + 1);
    const dataPtr = outPtr + 4 * ASSIGN_BATCH;
    rt.u32(offPtr, n + 1).set(this.offsets.subarray(0, n + 1));
    rt.u8.set(this.keys.bytes(), dataPtr);
    hashPartitions(rt, dataPtr, offPtr, n, partitions, outPtr);
    this.partitions.set(rt.u32(outPtr, n));
  }
}
