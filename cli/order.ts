// Driver-side ordering of result rows (wordcount's "most frequent first"). Policy: the
// CLI's main thread must stay responsive while it orders millions of rows, so that a
// signal (Ctrl-C, SIGTERM) is handled within moments, not after minutes: rows are
// sorted in runs of RUN_ROWS with the native sort, then merged bottom-up, and every
// RUN_ROWS rows of work the loop yields to the event loop and checks the AbortSignal.
// Both are O(rows x log rows), as one Array.prototype.sort would be.

/** Rows sorted or merged between two yields to the event loop. */
const RUN_ROWS = 1 << 16;

/** Lets pending events (a signal handler) run, then throws if `signal` was aborted. */
async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}

/**
 * `rows` sorted by `compare` (stable), without blocking the event loop for more than
 * one run; rejects with the signal's reason once it is aborted.
 */
export async function sortRows<T>(rows: T[], compare: (a: T, b: T) => number, signal?: AbortSignal): Promise<T[]> {
  const n = rows.length;
  if (n <= RUN_ROWS) return rows.sort(compare);
  for (let from = 0; from < n; from += RUN_ROWS) {
    const run = rows.slice(from, from + RUN_ROWS).sort(compare);
    for (let i = 0; i < run.length; i++) rows[from + i] = run[i]!;
    await checkpoint(signal);
  }
  let src = rows;
  let dst = new Array<T>(n);
  for (let width = RUN_ROWS; width < n; width *= 2) {
    let done = 0;
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = compare(src[j]!, src[i]!) < 0 ? src[j++]! : src[i++]!;
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
      done += hi - lo;
      if (done >= RUN_ROWS) {
        done = 0;
        await checkpoint(signal);
      }
    }
    [src, dst] = [dst, src];
  }
  return src;
}

/**
 * The `n` first rows in `compare` order, by a bounded heap (O(rows x log n)), yielding
 * to the event loop every RUN_ROWS rows.
 */
export async function topRows<T>(rows: readonly T[], n: number, compare: (a: T, b: T) => number, signal?: AbortSignal): Promise<T[]> {
  if (n >= rows.length) return sortRows([...rows], compare, signal);
  // A max-heap on compare holds the best n so far; its root is the worst of them.
  const heap: T[] = [];
  const worse = (i: number, j: number): boolean => compare(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number): void => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(l, m)) m = l;
      if (r < heap.length && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let at = 0; at < rows.length; at++) {
    const row = rows[at]!;
    if (heap.length < n) {
      heap.push(row);
      for (let i = heap.length - 1; i > 0; ) {
        const p = (i - 1) >> 1;
        if (!worse(i, p)) break;
        swap(i, p);
        i = p;
      }
    } else if (n > 0 && compare(row, heap[0]!) < 0) {
      heap[0] = row;
      siftDown(0);
    }
    if (at % RUN_ROWS === RUN_ROWS - 1) await checkpoint(signal);
  }
  return heap.sort(compare);
}
