// The TypeScript side of the fused stats kernel (kernels/stats.ts): folds the lines of
// a chunk into a Welford state in kernel memory, handing the lines the kernel does not
// parse to the caller. Policy: the caller's callback must apply JS Number() and the
// same update, so the fold stays in line order and equals the JS path exactly.
import type { KernelRuntime } from './runtime.js';
import { decodeStatus } from './status.js';

/** Bytes of the state (f64[5]: n, mean, m2, max, min) and control (u32[4]) block. */
export const STATS_BLOCK_BYTES = 64;

/**
 * Folds the lines of [src, src + len) into the state at `block` (f64[5], then u32[4]
 * of control at block + 40); `other(start, end)` is called, in order, for each line
 * the kernel hands back, with its byte range (relative to src, "\r" dropped), and must
 * fold its value itself. Returns the number of lines.
 */
export function statsLines(rt: KernelRuntime, src: number, len: number, block: number, other: (start: number, end: number) => void): number {
  let at = 0;
  let lines = 0;
  for (;;) {
    const status = decodeStatus('statsLines', rt.exports.statsLines(src + at, len - at, block, block + 40), { len: len - at });
    const ctl = rt.u32(block + 40, 4);
    lines += ctl[3]!;
    if (status === 'ok') return lines;
    other(at + ctl[0]!, at + ctl[1]!);
    lines++;
    at += ctl[2]!;
    if (at >= len) return lines;
  }
}
