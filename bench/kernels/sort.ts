// Benchmark cases for the partitioned sort kernels: records with a partition id < 200 and
// a 10-byte random key (gensort-like), sorted end to end (prepare + radix + tie-break,
// permutation out) against Array.prototype.sort with a comparator on the same records.
import { KernelRuntime, PartitionedSorter } from '../../engine/executor/kernels/index.js';
import { seeded } from '../corpus.js';
import type { BenchCase } from '../harness.js';

const KEY_BYTES = 10;
const PARTITIONS = 200;

/**
 * 10M records sorted by (partition, key). The baseline sorts record indices with the
 * fastest fair plain-JS comparator we found: partition ids first, then the key bytes in
 * a loop over one Uint8Array (Buffer.compare on subarrays allocates two views per
 * comparison and was slower), then the index for stability. At 10M the baseline takes
 * seconds per run, so this case times 3 iterations (plus tinybench's one warm-up).
 */
export async function sortCases(): Promise<BenchCase[]> {
  const n = Number(process.env['KILN_BENCH_SORT_N'] ?? 10_000_000);
  const rt = KernelRuntime.create();
  const r = seeded(9);
  const keyBytes = new Uint8Array(KEY_BYTES * n);
  for (let i = 0; i < keyBytes.length; i += 4) {
    const v = (r() * 2 ** 32) >>> 0;
    keyBytes[i] = v;
    keyBytes[i + 1] = v >>> 8;
    keyBytes[i + 2] = v >>> 16;
    keyBytes[i + 3] = v >>> 24;
  }
  const parts = Uint32Array.from({ length: n }, () => Math.floor(r() * PARTITIONS));
  const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i * KEY_BYTES);

  const keysRegion = rt.allocator.alloc(keyBytes.length);
  const offsetsRegion = rt.allocator.alloc(4 * (n + 1));
  const partsRegion = rt.allocator.alloc(4 * n);
  rt.u8.set(keyBytes, keysRegion.ptr);
  rt.u32(offsetsRegion.ptr, n + 1).set(offsets);
  rt.u32(partsRegion.ptr, n).set(parts);
  const sorter = new PartitionedSorter(rt);
  const input = { keys: keysRegion.ptr, offsets: offsetsRegion.ptr, n, partitions: partsRegion.ptr, numPartitions: PARTITIONS };

  const order: number[] = new Array<number>(n);
  const compare = (a: number, b: number): number => {
    const d = parts[a]! - parts[b]!;
    if (d !== 0) return d;
    let i = offsets[a]!;
    let j = offsets[b]!;
    const ea = offsets[a + 1]!;
    const eb = offsets[b + 1]!;
    for (; i < ea && j < eb; i++, j++) {
      const c = keyBytes[i]! - keyBytes[j]!;
      if (c !== 0) return c;
    }
    return ea - i - (eb - j) || a - b;
  };
  const baseline = (): number[] => {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort(compare);
  };

  return [
    {
      name: `partitioned sort, ${n / 1e6}M records (part < ${PARTITIONS} + ${KEY_BYTES}-byte key)`,
      work: n,
      unit: 'records',
      target: '>= 5M records/s, >= 3x',
      kernel: () => sorter.sort(input),
      baseline: { name: 'Array.prototype.sort, comparator (part, key bytes, index)', run: baseline },
      check: () => {
        const perm = sorter.sort(input);
        const expected = baseline();
        for (let i = 0; i < n; i++) if (perm[i] !== expected[i]) throw new Error(`sort order differs from the baseline at ${i}`);
      },
      iterations: 3,
    },
  ];
}
