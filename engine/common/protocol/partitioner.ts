// Partitioners: which reduce partition a key goes to. Policy (Spark's
// Partitioner.scala): hash partitioning is the default, `nonNegativeMod(hash, n)`
// where the hash is XXH64 of the key's canonical bytes (content, never identity, so
// tuple keys work); range partitioning cuts the key space at sampled bounds compared
// as canonical, order-preserving key bytes. A partitioner is plain data so it
// crosses to workers; two datasets are co-partitioned only if their specs are equal.

/** How keys are turned into bytes for hashing and ordering. */
export type KeyFormat =
  /** Raw UTF-8 bytes of a string key (the kernel word path). */
  | 'utf8'
  /** Raw bytes of a latin1 string key, one byte per char (the word path over textFile({ encoding: 'latin1' })). */
  | 'latin1'
  /** engine/common/codec/key-codec.ts canonical, order-preserving encoding. */
  | 'key';

/** A partitioner, as data. */
export type PartitionerSpec =
  | { readonly kind: 'hash'; readonly partitions: number; readonly keyFormat: KeyFormat }
  | {
      readonly kind: 'range';
      readonly partitions: number;
      /** partitions - 1 ascending upper bounds, as canonical key bytes. */
      readonly bounds: readonly Uint8Array[];
      readonly ascending: boolean;
    }
  /** Records (not keys) spread evenly: repartition(). */
  | { readonly kind: 'roundRobin'; readonly partitions: number };

/** A hash partitioner over `partitions` reduce partitions. */
export function hashPartitioner(partitions: number, keyFormat: KeyFormat = 'key'): PartitionerSpec {
  checkPartitions(partitions);
  return { kind: 'hash', partitions, keyFormat };
}

/** Throws unless `n` is a positive integer partition count. */
export function checkPartitions(n: number, what = 'number of partitions'): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

/** True when two partitioners place every key in the same partition. */
export function samePartitioner(a: PartitionerSpec | undefined, b: PartitionerSpec | undefined): boolean {
  if (!a || !b || a.kind !== b.kind || a.partitions !== b.partitions) return false;
  if (a.kind === 'hash' && b.kind === 'hash') return a.keyFormat === b.keyFormat;
  if (a.kind === 'range' && b.kind === 'range') {
    return a.ascending === b.ascending && a.bounds.length === b.bounds.length && a.bounds.every((x, i) => Buffer.compare(x, b.bounds[i]!) === 0);
  }
  return false;
}

/** Partition of an unsigned 64-bit hash: Spark's nonNegativeMod. */
export function hashToPartition(hash: bigint, partitions: number): number {
  return Number(hash % BigInt(partitions));
}

/**
 * Partition of canonical key bytes under range bounds: the first bound >= key
 * (binary search, as Spark does past 128 bounds), mirrored when descending.
 */
export function rangePartition(key: Uint8Array, bounds: readonly Uint8Array[], ascending: boolean): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(bounds[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return ascending ? lo : bounds.length - lo;
}
