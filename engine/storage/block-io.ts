// The task side of persistence: computing a persisted partition stores its records
// as a block, and reading a stored block gives the records back. Policy: a block is
// the partition's records in the record codec (engine/codec/value-codec.ts), written
// once, by the attempt that computed the whole partition: records are encoded as they
// pass to the rest of the pipeline, and the block is kept only if the partition ran
// to its end (an action that stops early, such as take, stores nothing). A memory
// block goes to a region of the shared memory's pool that the driver grants, where
// every worker reads it in place, without a copy or a message; when the driver
// refuses (the pool is full) or the level is DISK_ONLY, a level with disk writes a
// file in the spill directory, and MEMORY_ONLY stores nothing (the partition is
// recomputed from lineage next time). Loaded by workers.
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ByteReader, ByteWriter, readValue, writeValue } from '../codec/index.js';
import { KilnError } from '../errors.js';
import type { Emit } from '../exec/compute.js';
import type { BlockLocation, NodeSpec, StoredBlock } from '../exec/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../exec/task-context.js';

/** Computes `node.parent` through `emit`, storing its records as a block when it completes. */
export function computeAndStore(node: NodeSpec & { t: 'persist' }, ctx: TaskContext, compute: (n: NodeSpec, emit: Emit) => void, emit: Emit): void {
  const w = new ByteWriter(1 << 16);
  let records = 0;
  compute(node.parent, (r) => {
    writeValue(w, r);
    records++;
    emit(r);
  });
  const bytes = w.bytes();
  let location: BlockLocation | undefined;
  if (node.memory) {
    // The pool's region belongs to the driver's storage manager once the task returns.
    const region = bytes.length === 0 ? { ptr: 0, size: 0 } : ctx.reserveShuffle(bytes.length);
    if (region) {
      if (bytes.length > 0) ctx.rt.u8.set(bytes, region.ptr);
      location = { kind: 'memory', ptr: region.ptr, len: bytes.length };
    }
  }
  if (!location && node.disk) location = writeBlockFile(ctx, node.datasetId, node.partition, bytes);
  if (location) ctx.stored.push({ datasetId: node.datasetId, partition: node.partition, location, records } satisfies StoredBlock);
}

/** Pushes the records of a stored block to `emit`: in place from shared memory, or read from its file. */
export function readStoredBlock(node: NodeSpec & { t: 'cached' }, ctx: TaskContext, emit: Emit): void {
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
