// The partitioned sort through the kernels: orders records by (partition id, key bytes),
// stable, and hands out the permutation or the records gathered in that order.
// Policy: one PartitionedSorter per thread owns its working regions (entries, the radix
// ping-pong buffer, the control block, and staging for keys given as JS arrays) and
// keeps them between calls, growing only when a larger input arrives, because fresh
// memory costs ~3 s/GiB to first touch. Results are views into those regions: valid
// until the next sort on the same sorter. The four kernel steps (prepare, radix,
// tie-break, permutation) run as four calls per sort, never one call per record.
import type { Region } from '../memory/region.js';
import type { KernelRuntime } from './runtime.js';
import { decodeStatus, KernelError, unreachable } from './status.js';

/** Bytes per sort entry (prefix u64, index u32, pad); mirrors kernels/sort.ts. */
export const SORT_ENTRY_BYTES = 16;

/** Input of {@link PartitionedSorter.sort}: keys laid out as in xxh64Batch. */
export interface SortInput {
  /** Key bytes: key i is keys[offsets[i] .. offsets[i + 1]). */
  keys: number;
  /** u32[n + 1] offsets relative to `keys`, non-decreasing. */
  offsets: number;
  /** Number of records. */
  n: number;
  /** u32[n] partition ids, each < numPartitions; omit when every record is in partition 0. */
  partitions?: number;
  /** Number of partitions (1 .. 2^32); sets how many prefix bits the partition takes. */
  numPartitions: number;
}

/** Prefix bits a partition id takes: ceil(log2(numPartitions)), 0 for one partition. */
export function partitionBits(numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > 2 ** 32) {
    throw new KernelError('sortPrepare', 'numPartitions must be an integer in 1 .. 2^32', { numPartitions });
  }
  return numPartitions === 1 ? 0 : 32 - Math.clz32(numPartitions - 1);
}

/** Sorts records by (partition, key bytes), stable, reusing its regions between calls. */
export class PartitionedSorter {
  private entries: Region | undefined;
  private tmp: Region | undefined;
  private ctl: Region | undefined;
  /** Staging for {@link sortKeys}: key bytes, offsets, partition ids. */
  private stageKeys: Region | undefined;
  private stageOffsets: Region | undefined;
  private stageParts: Region | undefined;
  /** Where the last sort's ordered entries are (entries or tmp), and how many. */
  private sortedPtr = 0;
  private sortedN = -1;

  constructor(private readonly rt: KernelRuntime) {}

  /**
   * Sorts the records and returns the permutation: element i is the index of the record
   * that sorts i-th. The array is a view into the sorter's memory, valid until the next
   * sort or {@link release}; copy it (`.slice()`) to keep it.
   */
  sort(input: SortInput): Uint32Array {
    const { keys, offsets, n } = input;
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new KernelError('sortPrepare', 'n must be a non-negative integer', { n });
    const partBits = partitionBits(input.numPartitions);
    const sizes = { n, partBits };
    const bytes = Math.max(n, 1) * SORT_ENTRY_BYTES;
    this.entries = this.ensure('entries', bytes, 16);
    this.tmp = this.ensure('tmp', bytes, 16);
    const ctlBytes = this.rt.exports.SORT_CTL_BYTES.value as number;
    this.ctl = this.ensure('ctl', ctlBytes, 64);
    const entries = this.entries.ptr;
    const tmp = this.tmp.ptr;
    const ex = this.rt.exports;
    this.sortedN = -1;

    check('sortPrepare', ex.sortPrepare(input.partitions ?? 0, keys, offsets, n, partBits, entries), sizes);
    check('radixSort', ex.radixSort(entries, tmp, n, this.ctl.ptr), sizes);
    const inTmp = this.rt.u32(this.ctl.ptr, 1)[0] === 1;
    const sorted = inTmp ? tmp : entries;
    const other = inTmp ? entries : tmp;
    // The buffer not holding the result is free now: scratch for the tie-break's merges,
    // then home of the permutation (4 bytes per record in a 16-byte-per-record region).
    check('sortTieBreak', ex.sortTieBreak(sorted, n, keys, offsets, other), sizes);
    check('sortPermutation', ex.sortPermutation(sorted, n, other), sizes);
    this.sortedPtr = sorted;
    this.sortedN = n;
    return this.rt.u32(other, n);
  }

  /**
   * Writes the last sort's records, in sorted order, to `dst` with their offsets
   * u32[n + 1] (relative to `dst`) at `dstOffsets`. `data`/`offsets` describe the records
   * as in {@link SortInput} (often the keys themselves, or whole records with the same n);
   * `dst` must hold offsets[n] - offsets[0] bytes.
   */
  gather(data: number, offsets: number, dst: number, dstOffsets: number): void {
    if (this.sortedN < 0) throw new KernelError('sortGather', 'gather called before sort');
    check('sortGather', this.rt.exports.sortGather(this.sortedPtr, this.sortedN, data, offsets, dst, dstOffsets), { n: this.sortedN });
  }

  /**
   * Sorts keys given as JS arrays (for tests and the driver, not hot paths): copies them
   * into staging regions, sorts, and returns a copy of the permutation.
   */
  sortKeys(keys: readonly Uint8Array[], partitions?: ArrayLike<number>, numPartitions = 1): Uint32Array {
    const n = keys.length;
    if (partitions && partitions.length !== n) {
      throw new KernelError('sortPrepare', 'partitions and keys differ in length', { n, partitions: partitions.length });
    }
    const total = keys.reduce((sum, k) => sum + k.length, 0);
    this.stageKeys = this.ensure('stageKeys', total, 16);
    this.stageOffsets = this.ensure('stageOffsets', 4 * (n + 1), 4);
    const u8 = this.rt.u8;
    const offs = this.rt.u32(this.stageOffsets.ptr, n + 1);
    let at = 0;
    for (let i = 0; i < n; i++) {
      offs[i] = at;
      u8.set(keys[i]!, this.stageKeys.ptr + at);
      at += keys[i]!.length;
    }
    offs[n] = at;
    let partsPtr: number | undefined;
    if (partitions) {
      this.stageParts = this.ensure('stageParts', 4 * n, 4);
      this.rt.u32(this.stageParts.ptr, n).set(partitions);
      partsPtr = this.stageParts.ptr;
    }
    const input: SortInput = { keys: this.stageKeys.ptr, offsets: this.stageOffsets.ptr, n, numPartitions };
    if (partsPtr !== undefined) input.partitions = partsPtr;
    return this.sort(input).slice();
  }

  /** Returns every region to the allocator; the sorter can still be used (it re-allocates). */
  release(): void {
    for (const r of [this.entries, this.tmp, this.ctl, this.stageKeys, this.stageOffsets, this.stageParts]) {
      if (r) this.rt.allocator.release(r);
    }
    this.entries = this.tmp = this.ctl = this.stageKeys = this.stageOffsets = this.stageParts = undefined;
    this.sortedN = -1;
  }

  private ensure(field: 'entries' | 'tmp' | 'ctl' | 'stageKeys' | 'stageOffsets' | 'stageParts', size: number, align: number): Region {
    const region = this[field];
    if (region && region.size >= size) return region;
    // Release first so the allocator can coalesce the old space into the new region.
    // The field forgets it at once: if the allocation below fails, a later call must not
    // release it a second time (the next task on this thread saw "release of a region
    // this allocator does not hold" instead of the out-of-memory error).
    if (region) {
      this[field] = undefined;
      this.rt.allocator.release(region);
    }
    return this.rt.allocator.alloc(size, align);
  }
}

/** Decodes a sort kernel's status: every kernel here finishes in one call, so only `ok` is expected. */
function check(kernel: string, code: number, sizes: Readonly<Record<string, number>>): void {
  const status = decodeStatus(kernel, code, sizes);
  switch (status) {
    case 'ok':
      return;
    case 'grow':
    case 'full':
      throw new KernelError(kernel, `returned '${status}', which the sort kernels never ask for`, sizes);
    default:
      unreachable(status, kernel);
  }
}
