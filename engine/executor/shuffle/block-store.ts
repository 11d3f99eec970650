// Where a map task's block goes: a shuffle-arena region the driver grants, or, when
// the driver refuses (the memory budget is spent), a spill file pair in the same
// layout — `<dir>/shuffle_<shuffle>_<map>_<n>.data` and `.index` (u64 offsets, as
// Spark's IndexShuffleBlockResolver) — which reduce tasks read instead. Policy: the
// consumer spills (STYLE.md 6); results are identical either way.
import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext } from '../runtime/task-context.js';
import type { BlockSpec } from '../../common/protocol/protocol.js';
import { KilnError } from '../../common/errors.js';
import type { Region } from '../memory/region.js';

/**
 * Stores a block whose bytes are produced by `fill(ptr)` into `bytes` bytes of kernel
 * memory at ptr. `fill` runs exactly once, into the granted region or into scratch
 * that is then written to disk; `offsets` is read after it (the kernel emit computes
 * them while filling).
 */
export function storeBlock(ctx: TaskContext, bytes: number, offsets: () => readonly number[], fill: (ptr: number) => void, seq: number): BlockSpec {
  ctx.metrics.shuffleWriteBytes += bytes;
  const region = bytes > 0 ? ctx.reserveShuffle(bytes) : { ptr: 0, size: 0 };
  if (region) {
    if (bytes > 0) fill(region.ptr);
    return { location: { kind: 'memory', ptr: region.ptr, len: bytes }, offsets: offsets() };
  }
  const scratch = ctx.rt.allocator.alloc(bytes);
  try {
    fill(scratch.ptr);
    const path = spillPath(ctx, seq);
    writeFileFrom(`${path}.data`, ctx.rt.u8.subarray(scratch.ptr, scratch.ptr + bytes));
    const offs = offsets();
    const index = Buffer.alloc(offs.length * 8);
    offs.forEach((o, i) => index.writeBigUInt64LE(BigInt(o), i * 8));
    writeFileFrom(`${path}.index`, index);
    ctx.metrics.spillBytes += bytes;
    return { location: { kind: 'file', path: `${path}.data`, len: bytes }, offsets: offs };
  } finally {
    ctx.rt.allocator.release(scratch);
  }
}

function spillPath(ctx: TaskContext, seq: number): string {
  const { spillDir, sink, attempt } = ctx.spec;
  mkdirSync(spillDir, { recursive: true });
  const shuffle = sink.t === 'shuffleWrite' ? `${sink.shuffleId}_${sink.mapId}` : 'x';
  return join(spillDir, `shuffle_${shuffle}_${seq}.a${attempt}`);
}

function writeFileFrom(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads bytes [start, start + len) of a spilled block's data file into a scratch region
 * of this worker (pushed to `scratch` for the caller to release); returns its pointer.
 * A missing file is Spark's FetchFailed: the map output is gone and the job must rerun.
 */
export function readSpilled(ctx: TaskContext, path: string, start: number, len: number, where: { shuffleId: number; partition: number }, scratch: Region[]): number {
  const region = ctx.rt.allocator.alloc(len);
  scratch.push(region);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    throw new KilnError('execution', `shuffle ${where.shuffleId} spill file ${path} is missing: ${(cause as Error).message}`, { file: path, partition: where.partition }, { cause });
  }
  try {
    for (let done = 0; done < len; ) {
      const n = readSync(fd, ctx.rt.u8, region.ptr + done, len - done, start + done);
      if (n === 0) throw new KilnError('execution', `shuffle spill file ${path} is truncated`, { file: path, partition: where.partition });
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return region.ptr;
}
