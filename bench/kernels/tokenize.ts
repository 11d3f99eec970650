// Benchmark cases for the tokenize kernel(s).
import type { BenchCase } from '../harness.js';

/** Cases for kernels/tokenize.ts (filled in with the kernel). */
export async function tokenizeCases(): Promise<BenchCase[]> {
  return [];
}
