// Plain-TypeScript partitioned sort, the reference the sort kernels are checked against:
// Array.prototype.sort with a comparator on (partition, key bytes unsigned with a
// proper prefix first, input index). Slow on purpose, for clarity.

/** Unsigned byte-order comparison; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const m = Math.min(a.length, b.length);
  for (let i = 0; i < m; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The stable sorted order of records: indices sorted by (partition, key, index). */
export function sortReference(keys: readonly Uint8Array[], partitions?: ArrayLike<number>): number[] {
  const order = keys.map((_, i) => i);
  const part = (i: number): number => (partitions ? partitions[i]! : 0);
  return order.sort((x, y) => part(x) - part(y) || compareBytes(keys[x]!, keys[y]!) || x - y);
}
