// Benchmark cases for the combiner kernel(s).
import type { BenchCase } from '../harness.js';

/** Cases for kernels/combiner.ts (filled in with the kernel). */
export async function combinerCases(): Promise<BenchCase[]> {
  return [];
}
