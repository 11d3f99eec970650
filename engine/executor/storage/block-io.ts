// The task side of persistence: computing a persisted partition stores its records
// as a block, and reading a stored block gives the records back. Policy: a block is
// the partition's records in the record codec (engine/common/codec/value-codec.ts), written
// once, by the attempt that computed the whole partition: records are encoded as they
// pass to the rest of the pipeline, and the block is kept only if the partition ran
// to its end (an action that stops early, such as take, stores nothing). A memory
// block goes to a region of the shared memory's pool that the driver grants only
// if storageMemory has room for it (so a block that will not be kept never touches
// the pool's pages), where
// every worker reads it in place, without a copy or a message; when the driver
// refuses (the pool is full) or the level is DISK_ONLY, a level with disk writes a
// file in the spill directory, and MEMORY_ONLY stores nothing (the partition is
// recomputed from lineage next time). A deserialized level also keeps the records
// themselves in this thread's heap (the decoded tier, engine/executor/storage/decoded-store.ts),
// reserving their estimated size from the driver ahead of the list's growth (at most
// RESERVE_STEP at a time, settled on the estimate at the end), so the copy never
// outgrows storageMemory; a refusal drops the
// list and the encoded block alone is stored. Reading a stored block uses this
// thread's decoded copy when it holds one, else the encoded block. Loaded by workers.
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ByteReader, ByteWriter, readValue, writeValue } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import type { Emit } from '../../common/emit.js';
import type { BlockLocation, NodeSpec, StoredBlock } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import { findDecoded } from './decoded-store.js';
import { SizeTracker } from './size-estimator.js';

/** Most heap bytes a decoded copy reserves ahead at a time: few requests to the driver, little over-reservation. */
const RESERVE_STEP = 8 << 20;

/** Computes `node.parent` through `emit`, storing its records as a block when it completes. */
export function computeAndStore(node: NodeSpec & { t: 'persist' }, ctx: TaskContext, compute: (n: NodeSpec, emit: Emit) => void, emit: Emit): void {
  const w = new ByteWriter(1 << 16);
  let records = 0;
  const keep = node.decoded && node.memory ? new DecodedCopy(node, ctx) : undefined;
  compute(node.parent, (r) => {
    writeValue(w, r);
    records++;
    keep?.add(r);
    emit(r);
  });
  const bytes = w.bytes();
  let location: BlockLocation | undefined;
  if (node.memory) {
    // The pool's region belongs to the driver's storage manager once the task returns.
    const region = bytes.length === 0 ? { ptr: 0, size: 0 } : ctx.reserveBlock(node.datasetId, node.partition, bytes.length);
    if (region) {
      if (bytes.length > 0) ctx.rt.u8.set(bytes, region.ptr);
      location = { kind: 'memory', ptr: region.ptr, len: bytes.length };
    }
  }
  if (!location && node.disk) location = writeBlockFile(ctx, node.datasetId, node.partition, bytes);
  if (!location) return;
  const decoded = keep?.finish();
  if (decoded) ctx.keepDecoded(decoded.ref, decoded.records);
  ctx.stored.push({ datasetId: node.datasetId, partition: node.partition, location, records, ...(decoded ? { decoded: decoded.ref } : {}) } satisfies StoredBlock);
}

/** The decoded copy a task builds while computing a persisted partition, reserved as it grows. */
class DecodedCopy {
  private records: unknown[] | undefined = [];
  private readonly size = new SizeTracker();
  private slot = -1;
  private gen = 0;
  private reserved = 0;

  constructor(
    private readonly node: NodeSpec & { t: 'persist' },
    private readonly ctx: TaskContext,
  ) {}

  add(r: unknown): void {
    const records = this.records;
    if (!records) return;
    records.push(r);
    this.size.add(r);
    // Reserve before the list grows past what is granted (STYLE.md 6); checked every 256 records.
    if ((records.length & 255) === 0 && this.size.bytes > this.reserved) {
      // Ahead by as much as the copy holds (doubling), between 64 KiB and RESERVE_STEP.
      const ahead = Math.min(RESERVE_STEP, Math.max(1 << 16, this.size.bytes));
      this.reserve(this.size.bytes + ahead - this.reserved);
    }
  }

  /** The copy and its slot, once the whole partition is in (undefined when refused). */
  finish(): { ref: { slot: number; gen: number }; records: unknown[] } | undefined {
    // Settles the reservation on the estimate: more if it grew since, the step's excess back.
    if (this.records && (this.slot < 0 || this.size.bytes !== this.reserved)) this.reserve(this.size.bytes - this.reserved);
    return this.records && this.slot >= 0 ? { ref: { slot: this.slot, gen: this.gen }, records: this.records } : undefined;
  }

  private reserve(bytes: number): void {
    const grant = this.ctx.reserveDecoded(this.node.datasetId, this.node.partition, this.slot, bytes);
    if (!grant) {
      // The driver freed the slot and what it held: the encoded block alone is stored.
      this.records = undefined;
      this.slot = -1;
      return;
    }
    this.slot = grant.slot;
    this.gen = grant.gen;
    this.reserved += bytes;
  }
}

/** Pushes the records of a stored block to `emit`: in place from shared memory, or read from its file. */
export function readStoredBlock(node: NodeSpec & { t: 'cached' }, ctx: TaskContext, emit: Emit): void {
  const decoded = node.decoded ? findDecoded(node.decoded) : undefined;
  ctx.reads.push({ datasetId: node.datasetId, tier: decoded ? 'decoded' : 'encoded' });
  if (decoded) {
    for (let i = 0; i < decoded.length; i++) {
      if ((i + 1) % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      emit(decoded[i]);
    }
    ctx.metrics.inputRecords += decoded.length;
    return;
  }
  const loc = node.location;
  let r: ByteReader;
  if (loc.kind === 'memory') r = new ByteReader(ctx.rt.u8, loc.ptr, loc.ptr + loc.len);
  else {
    let bytes: Buffer;
    try {
      bytes = readFileSync(loc.path);
    } catch (cause) {
      throw new KilnError('execution', `the stored block of dataset ${node.datasetId} partition ${node.partition} (${loc.path}) cannot be read: ${(cause as Error).message}; unpersist() the dataset to recompute it`, { file: loc.path, partition: node.partition }, { cause });
    }
    r = new ByteReader(bytes);
  }
  let n = 0;
  while (!r.done) {
    emit(readValue(r));
    if (++n % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
  }
  ctx.metrics.inputRecords += n;
}

/** Writes a block file atomically (temporary name, then rename), so a reader never sees half a block. */
export function writeBlockFile(ctx: { spec: { spillDir: string; attempt: number } }, datasetId: number, partition: number, bytes: Uint8Array): BlockLocation {
  const dir = join(ctx.spec.spillDir, 'storage');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rdd_${datasetId}_${partition}`);
  const temp = `${path}.a${ctx.spec.attempt}.t${threadId}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
  return { kind: 'file', path, len: bytes.length };
}
