// Benchmark cases for the sort kernel(s).
import type { BenchCase } from '../harness.js';

/** Cases for kernels/sort.ts (filled in with the kernel). */
export async function sortCases(): Promise<BenchCase[]> {
  return [];
}
