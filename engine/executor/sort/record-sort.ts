// The external sort of keyed shuffle records (sortByKey, sortBy,
// repartitionAndSortWithinPartitions): records of a reduce partition are
// `varint keyLength, key bytes (order-preserving key codec), one encoded value`.
// Policy: records are copied into a run buffer of the task's runBytes (and at most
// runLines records); a full run's keys are copied back to back and ordered by the
// partitioned-sort kernel (stable, full key bytes). A partition that fits one run is
// decoded and emitted from memory, as before; otherwise each run is written to disk in
// output order (engine/executor/sort/run-file.ts) and the runs are merged k ways through
// per-run buffers that fit the merge's share of the sort memory. Ascending ties go to
// the earlier run; descending output is the exact reverse of the stable ascending
// order (runs written reversed, ties to the later run), as the in-memory path gives.
// Spilled map blocks are read in chunks, never whole.
import { closeSync, openSync, readSync } from 'node:fs';
import { ByteReader, readKey, readValue } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import type { Emit } from '../../common/emit.js';
import type { ShuffleReadSpec } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import { PartitionedSorter } from '../kernels/sort.js';
import type { Region } from '../memory/region.js';
import { sortMemoryPlan } from './memory-plan.js';
import { removeRun, RunReader, RunWriter, type SortRun } from './run-file.js';

/** Bytes read from a spilled block per positional read. */
const CHUNK_BYTES = 4 << 20;

/** Parses the record at `at` (below `end`): its key's start and length and the record's end; undefined if cut off. */
function parseRecord(u8: Uint8Array, at: number, end: number): { keyStart: number; keyLen: number; next: number } | undefined {
  let len = 0;
  let shift = 0;
  let b: number;
  let p = at;
  do {
    if (p >= end) return undefined;
    b = u8[p++]!;
    len += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  if (p + len >= end) return undefined;
  const r = new ByteReader(u8, p + len, end);
  try {
    readValue(r);
  } catch (e) {
    if (e instanceof KilnError && e.kind === 'internal') return undefined;
    throw e;
  }
  return { keyStart: p, keyLen: len, next: r.offset };
}

/** Emits the [key, value] records of `read.partition`, ordered by key bytes. */
export function sortKeyedPartition(read: ShuffleReadSpec, ascending: boolean, ctx: TaskContext, emit: Emit): void {
  const plan = sortMemoryPlan(ctx);
  const alloc = ctx.rt.allocator;
  const held: Region[] = [];
  const runs: SortRun[] = [];
  const sorter = new PartitionedSorter(ctx.rt);
  try {
    let run = alloc.alloc(plan.runBytes);
    held.push(run);
    // The current run: records back to back in `run`, their starts and key positions.
    let used = 0;
    let recStarts: number[] = [];
    let keyStarts: number[] = [];
    let keyLens: number[] = [];
    let keyBytes = 0;
    let records = 0;

    /** Sorts the run; returns its record order (ascending, stable). */
    const sortRun = (): Uint32Array => {
      const n = recStarts.length;
      const keys = alloc.alloc(Math.max(keyBytes, 1));
      const offsets = alloc.alloc(4 * (n + 1));
      try {
        const u8 = ctx.rt.u8;
        const offs = ctx.rt.u32(offsets.ptr, n + 1);
        let at = 0;
        for (let i = 0; i < n; i++) {
          offs[i] = at;
          u8.copyWithin(keys.ptr + at, run.ptr + keyStarts[i]!, run.ptr + keyStarts[i]! + keyLens[i]!);
          at += keyLens[i]!;
        }
        offs[n] = at;
        ctx.checkCancelled();
        return sorter.sort({ keys: keys.ptr, offsets: offsets.ptr, n, numPartitions: 1 }).slice();
      } finally {
        alloc.release(keys);
        alloc.release(offsets);
      }
    };
    /** Writes the run to disk in output order and starts an empty one. */
    const spill = (): void => {
      const n = recStarts.length;
      if (n === 0) return;
      const order = sortRun();
      const out = alloc.alloc(used);
      const writer = RunWriter.create(ctx, 'records');
      try {
        const u8 = ctx.rt.u8;
        let at = out.ptr;
        for (let j = 0; j < n; j++) {
          const i = order[ascending ? j : n - 1 - j]!;
          const s = run.ptr + recStarts[i]!;
          const e = run.ptr + (i + 1 < n ? recStarts[i + 1]! : used);
          u8.copyWithin(at, s, e);
          at += e - s;
        }
        writer.append(out.ptr, used);
        runs.push(writer.finish());
      } catch (e) {
        writer.abort();
        throw e;
      } finally {
        alloc.release(out);
      }
      used = 0;
      recStarts = [];
      keyStarts = [];
      keyLens = [];
      keyBytes = 0;
    };
    /** Adds the records of kernel memory [ptr, end); returns where the first cut-off record starts (end when none). */
    const addRecords = (ptr: number, end: number, more: boolean): number => {
      let at = ptr;
      while (at < end) {
        const u8 = ctx.rt.u8;
        const rec = parseRecord(u8, at, end);
        if (!rec) {
          if (more) return at;
          throw new KilnError('internal', `shuffle ${read.shuffleId} partition ${read.partition}: a keyed record is cut off at the end of its block`);
        }
        const len = rec.next - at;
        if (used + len > run.size || recStarts.length >= plan.runLines) {
          spill();
          if (len > run.size) {
            // A record larger than the run buffer: a buffer that holds it.
            alloc.release(run);
            held.splice(held.indexOf(run), 1);
            run = alloc.alloc(len);
            held.push(run);
          }
        }
        ctx.rt.u8.copyWithin(run.ptr + used, at, rec.next);
        recStarts.push(used);
        keyStarts.push(used + (rec.keyStart - at));
        keyLens.push(rec.keyLen);
        keyBytes += rec.keyLen;
        used += len;
        at = rec.next;
        if (++records % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      }
      return end;
    };

    const p = read.partition;
    let chunk: Region | undefined;
    for (const block of read.blocks) {
      const start = block.offsets[p]!;
      const len = block.offsets[p + 1]! - start;
      if (len === 0) continue;
      ctx.metrics.shuffleReadBytes += len;
      const loc = block.location;
      if (loc.kind === 'memory') {
        addRecords(loc.ptr + start, loc.ptr + start + len, false);
        continue;
      }
      let fd: number;
      try {
        fd = openSync(loc.path, 'r');
      } catch (cause) {
        throw new KilnError('execution', `shuffle ${read.shuffleId} spill file ${loc.path} is missing: ${(cause as Error).message}`, { file: loc.path, partition: p }, { cause });
      }
      try {
        if (!chunk) {
          chunk = alloc.alloc(CHUNK_BYTES);
          held.push(chunk);
        }
        let carry = 0;
        for (let pos = start; pos < start + len || carry > 0; ) {
          const want = Math.min(chunk.size - carry, start + len - pos);
          let got = 0;
          while (got < want) {
            const n = readSync(fd, ctx.rt.u8, chunk.ptr + carry + got, want - got, pos + got);
            if (n === 0) throw new KilnError('execution', `shuffle spill file ${loc.path} is truncated`, { file: loc.path, partition: p });
            got += n;
          }
          pos += got;
          const end = chunk.ptr + carry + got;
          const more = pos < start + len;
          const cut = addRecords(chunk.ptr, end, more);
          carry = end - cut;
          if (carry > 0) {
            if (carry === chunk.size) {
              // One record larger than the chunk: a chunk twice the size.
              const bigger = alloc.alloc(chunk.size * 2);
              ctx.rt.u8.copyWithin(bigger.ptr, chunk.ptr, chunk.ptr + carry);
              held[held.indexOf(chunk)] = bigger;
              alloc.release(chunk);
              chunk = bigger;
            } else ctx.rt.u8.copyWithin(chunk.ptr, cut, end);
          }
        }
      } finally {
        closeSync(fd);
      }
    }
    ctx.metrics.shuffleReadRecords += records;
    if (runs.length === 0) {
      // The partition fits one run: decode in order from memory.
      const n = recStarts.length;
      if (n === 0) return;
      const order = sortRun();
      const u8 = ctx.rt.u8;
      for (let j = 0; j < n; j++) {
        const i = order[ascending ? j : n - 1 - j]!;
        const ks = run.ptr + keyStarts[i]!;
        const ke = ks + keyLens[i]!;
        const end = run.ptr + (i + 1 < n ? recStarts[i + 1]! : used);
        const key = readKey(new ByteReader(u8, ks, ke));
        emit([key, readValue(new ByteReader(u8, ke, end))]);
        if (j % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      }
      return;
    }
    spill();
    alloc.release(run);
    held.splice(held.indexOf(run), 1);
    sorter.release();
    mergeRecordRuns(ctx, runs, ascending, Math.max(64 << 10, Math.min(1 << 20, Math.floor(plan.mergeBytes / runs.length))), emit);
  } finally {
    sorter.release();
    for (const r of held) alloc.release(r);
    for (const r of runs) removeRun(r);
  }
}

/** One run being merged: [at, end) of its buffer unread; the current record is [at, next). */
interface Cursor {
  readonly index: number;
  readonly reader: RunReader;
  buf: Region;
  at: number;
  end: number;
  keyStart: number;
  keyLen: number;
  next: number;
}

/** Merges sorted record runs, emitting decoded records. */
function mergeRecordRuns(ctx: TaskContext, runs: readonly SortRun[], ascending: boolean, bufferBytes: number, emit: Emit): void {
  const rt = ctx.rt;
  const alloc = rt.allocator;
  const cursors: Cursor[] = [];
  try {
    for (let i = 0; i < runs.length; i++) {
      const c: Cursor = { index: i, reader: new RunReader(ctx, runs[i]!), buf: alloc.alloc(bufferBytes), at: 0, end: 0, keyStart: 0, keyLen: 0, next: 0 };
      c.at = c.end = c.buf.ptr;
      cursors.push(c);
    }
    const advance = (c: Cursor): boolean => {
      for (;;) {
        const rec = c.at < c.end ? parseRecord(rt.u8, c.at, c.end) : undefined;
        if (rec) {
          c.keyStart = rec.keyStart;
          c.keyLen = rec.keyLen;
          c.next = rec.next;
          return true;
        }
        if (c.reader.remaining === 0) {
          if (c.at < c.end) throw new KilnError('internal', `sort run ${c.reader.run.path} ends inside a record`);
          return false;
        }
        const tail = c.end - c.at;
        if (tail === c.buf.size) {
          const bigger = alloc.alloc(c.buf.size * 2);
          rt.u8.copyWithin(bigger.ptr, c.at, c.end);
          alloc.release(c.buf);
          c.buf = bigger;
        } else if (tail > 0) rt.u8.copyWithin(c.buf.ptr, c.at, c.end);
        c.at = c.buf.ptr;
        c.end = c.buf.ptr + tail + c.reader.read(c.buf.ptr + tail, c.buf.size - tail);
      }
    };
    const compare = (a: Cursor, b: Cursor): number => {
      const u8 = rt.u8;
      const m = Math.min(a.keyLen, b.keyLen);
      let d = 0;
      for (let i = 0; i < m; i++) {
        d = u8[a.keyStart + i]! - u8[b.keyStart + i]!;
        if (d !== 0) break;
      }
      if (d === 0) d = a.keyLen - b.keyLen;
      if (!ascending) d = -d;
      if (d !== 0) return d;
      return ascending ? a.index - b.index : b.index - a.index;
    };
    const heap = cursors.filter(advance);
    const down = (i: number): void => {
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) return;
        const r = l + 1;
        const m = r < heap.length && compare(heap[r]!, heap[l]!) < 0 ? r : l;
        if (compare(heap[m]!, heap[i]!) >= 0) return;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    let k = 0;
    while (heap.length > 0) {
      const c = heap[0]!;
      const u8 = rt.u8;
      const ke = c.keyStart + c.keyLen;
      const key = readKey(new ByteReader(u8, c.keyStart, ke));
      emit([key, readValue(new ByteReader(u8, ke, c.next))]);
      if (++k % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      c.at = c.next;
      if (!advance(c)) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length > 0) down(0);
    }
  } finally {
    for (const c of cursors) {
      c.reader.close();
      alloc.release(c.buf);
    }
  }
}
