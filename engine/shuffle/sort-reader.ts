// The reduce side of sortByKey: a range-partitioned shuffle whose records carry their
// canonical, order-preserving key bytes. Policy: sort on those bytes with the
// partitioned-sort kernel (stable, full-key), decoding each record once, in order.
// Keys are copied back to back into scratch (the kernel wants contiguous keys); values
// are decoded in place from the shuffle segments.
import { ByteReader, readKey, readValue } from '../codec/index.js';
import type { Emit } from '../exec/compute.js';
import type { TaskContext } from '../exec/task-context.js';
import { PartitionedSorter } from '../kernels/sort.js';
import type { Segment } from './reader.js';

/** Emits the [key, value] records of `segments` ordered by key bytes. */
export function sortSegments(segments: readonly Segment[], ascending: boolean, ctx: TaskContext, emit: Emit): void {
  const u8 = ctx.rt.u8;
  const keyStarts: number[] = [];
  const keyLens: number[] = [];
  const valueEnds: number[] = [];
  let keyBytes = 0;
  for (const s of segments) {
    let at = s.ptr;
    const end = s.ptr + s.len;
    while (at < end) {
      // varint key length (LEB128), then the key, then one encoded value.
      let len = 0;
      let shift = 0;
      let b: number;
      do {
        b = u8[at++]!;
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      keyStarts.push(at);
      keyLens.push(len);
      keyBytes += len;
      const r = new ByteReader(u8, at + len, end);
      readValue(r);
      at = r.offset;
      valueEnds.push(end);
    }
  }
  const n = keyStarts.length;
  ctx.metrics.shuffleReadRecords += n;
  if (n === 0) return;
  const keys = ctx.rt.allocator.alloc(keyBytes);
  const offsets = ctx.rt.allocator.alloc(4 * (n + 1));
  const sorter = new PartitionedSorter(ctx.rt);
  try {
    const offs = ctx.rt.u32(offsets.ptr, n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      offs[i] = at;
      u8.copyWithin(keys.ptr + at, keyStarts[i]!, keyStarts[i]! + keyLens[i]!);
      at += keyLens[i]!;
    }
    offs[n] = at;
    ctx.checkCancelled();
    const order = sorter.sort({ keys: keys.ptr, offsets: offsets.ptr, n, numPartitions: 1 });
    for (let j = 0; j < n; j++) {
      const i = order[ascending ? j : n - 1 - j]!;
      const ks = keyStarts[i]!;
      const key = readKey(new ByteReader(u8, ks, ks + keyLens[i]!));
      emit([key, readValue(new ByteReader(u8, ks + keyLens[i]!, valueEnds[i]!))]);
    }
  } finally {
    sorter.release();
    ctx.rt.allocator.release(keys);
    ctx.rt.allocator.release(offsets);
  }
}
