// Transparent huge pages for the kernel memory. Policy: on Linux, when the optional
// native binding is present, the whole shared WebAssembly.Memory is marked
// MADV_HUGEPAGE once, after the budget has sized it and before any task touches it.
// Why: first-touching fresh memory is the largest fixed cost of a job on these VMs
// (about 4 s/GiB with 4 KiB pages, measured with a 512 MiB touch loop; 1.4-2.4 s/GiB
// once the range is advised), and a word count first-touches ~100 MB per process
// (chunk buffers, combiner tables, shuffle blocks). The kernel decides whether huge
// pages are used (`/sys/kernel/mm/transparent_hugepage/enabled`: 'madvise' or
// 'always'); where it refuses, or the binding is missing, nothing changes.
import { mmapBinding } from '../io/mmap.js';

/** Linux's MADV_HUGEPAGE (include/uapi/asm-generic/mman-common.h); the binding does not export it. */
const MADV_HUGEPAGE = 14;

/** The binding takes offsets and lengths as C ints: advise at most this much per call. */
const STEP = 2 ** 30;

/**
 * Marks `memory` as eligible for transparent huge pages. Returns whether the advice
 * was taken (false: not Linux, no binding, or the kernel refused).
 */
export function adviseHugePages(memory: WebAssembly.Memory): boolean {
  if (process.platform !== 'linux') return false;
  const binding = mmapBinding();
  if (!binding || typeof binding.advise !== 'function') return false;
  const total = memory.buffer.byteLength;
  try {
    for (let at = 0; at < total; at += STEP) {
      const length = Math.min(STEP, total - at);
      binding.advise(Buffer.from(memory.buffer, at, length), 0, length, MADV_HUGEPAGE);
    }
    return true;
  } catch {
    return false;
  }
}
