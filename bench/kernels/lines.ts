// Benchmark cases for the lines kernel(s).
import type { BenchCase } from '../harness.js';

/** Cases for kernels/lines.ts (filled in with the kernel). */
export async function lineCases(): Promise<BenchCase[]> {
  return [];
}
