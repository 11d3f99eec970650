// The k-way merge of sorted line runs (the external half of sortLines). Policy: each
// run is read through its own buffer of kernel memory (RunReader, a fixed size the
// caller derives from the task's sort memory, so k buffers fit the budget); a binary
// heap of the runs' current lines picks the next line by the sort's order — bytes
// as memcmp, a proper prefix first, only the first keyBytes bytes in key mode,
// descending under reverse — and equal keys by run number, so the merge is stable
// (runs are cut from the input in input order). unique drops a line whose key equals
// the previous output line's; count prints `uniq -c` lines. Output is staged in one
// more buffer and handed to the sink in chunks of whole lines. This is JS per line:
// it runs only for key ranges too large to sort in memory, where the disk is the cost.
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import type { Region } from '../memory/region.js';
import { RunReader, type SortRun } from './run-file.js';

const NEWLINE = 0x0a;

/** How merged lines are ordered and reduced (the LinesAggregator's rules). */
export interface LineOrder {
  readonly reverse: boolean;
  readonly unique: boolean;
  readonly count: boolean;
  readonly keyBytes?: number;
}

/** Receives merged output: `len` bytes of `lines` whole lines at ptr (valid during the call). */
export type LineChunkSink = (ptr: number, len: number, lines: number) => void;

/** One run being merged: its buffer holds [at, end) unread; the current line is [at, nl]. */
interface Cursor {
  readonly index: number;
  readonly reader: RunReader;
  buf: Region;
  at: number;
  nl: number;
  end: number;
}

/**
 * Merges `runs` (each sorted by `order`, '\n'-terminated lines) into `sink`, reading
 * each through a buffer of `bufferBytes`; returns the input and output line counts.
 */
export function mergeLineRuns(ctx: TaskContext, runs: readonly SortRun[], order: LineOrder, bufferBytes: number, sink: LineChunkSink): { inputLines: number; lines: number } {
  const rt = ctx.rt;
  const alloc = rt.allocator;
  const cursors: Cursor[] = [];
  const held: Region[] = [];
  const kb = order.keyBytes ?? Infinity;
  let inputLines = 0;
  let outLines = 0;
  try {
    const out = { region: alloc.alloc(bufferBytes + 1), len: 0, lines: 0 };
    held.push(out.region);
    for (let i = 0; i < runs.length; i++) {
      const buf = alloc.alloc(bufferBytes + 1);
      held.push(buf);
      const c: Cursor = { index: i, reader: new RunReader(ctx, runs[i]!), buf, at: buf.ptr, nl: buf.ptr, end: buf.ptr };
      cursors.push(c);
      if (!refill(c)) c.reader.close();
    }
    let u8 = rt.u8;
    const compare = (a: Cursor, b: Cursor): number => {
      let la = a.nl - a.at;
      let lb = b.nl - b.at;
      if (la > kb) la = kb;
      if (lb > kb) lb = kb;
      const m = la < lb ? la : lb;
      let d = 0;
      for (let i = 0; i < m; i++) {
        d = u8[a.at + i]! - u8[b.at + i]!;
        if (d !== 0) break;
      }
      if (d === 0) d = la - lb;
      if (order.reverse) d = -d;
      return d !== 0 ? d : a.index - b.index;
    };
    const heap = cursors.filter((c) => c.at < c.end);
    // Bottom-up heapify.
    const down = (i: number): void => {
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) return;
        const r = l + 1;
        const m = r < n && compare(heap[r]!, heap[l]!) < 0 ? r : l;
        if (compare(heap[m]!, heap[i]!) >= 0) return;
        const t = heap[m]!;
        heap[m] = heap[i]!;
        heap[i] = t;
        i = m;
      }
    };
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);

    // Previous output key (unique, count) and the pending counted line.
    let prev = new Uint8Array(256);
    let prevLen = -1;
    let pending = new Uint8Array(256);
    let pendingLen = 0;
    let pendingCount = 0;
    const flush = (): void => {
      if (out.len > 0) sink(out.region.ptr, out.len, out.lines);
      out.len = 0;
      out.lines = 0;
    };
    const room = (bytes: number): number => {
      if (out.len + bytes > out.region.size - 1) flush();
      if (bytes > out.region.size - 1) {
        // A line longer than the staging buffer: grow it (the long-record hook).
        const old = out.region;
        out.region = alloc.alloc(bytes + 1);
        held[held.indexOf(old)] = out.region;
        alloc.release(old);
        u8 = rt.u8;
      }
      return out.region.ptr + out.len;
    };
    const writeCounted = (): void => {
      let c = pendingCount;
      const digits = String(c).length;
      const width = c < 10_000_000 ? 7 : digits;
      const at = room(width + 1 + pendingLen);
      u8 = rt.u8;
      let d = at + width - 1;
      do {
        u8[d--] = 48 + (c % 10);
        c = Math.floor(c / 10);
      } while (c > 0);
      while (d >= at) u8[d--] = 0x20;
      u8[at + width] = 0x20;
      u8.set(pending.subarray(0, pendingLen), at + width + 1);
      out.len += width + 1 + pendingLen;
      out.lines++;
      outLines++;
    };
    while (heap.length > 0) {
      const c = heap[0]!;
      if (++inputLines % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
      const lineLen = c.nl + 1 - c.at;
      let keep = true;
      if (order.unique) {
        const keyLen = Math.min(lineLen - 1, kb);
        if (prevLen === keyLen) {
          let i = 0;
          while (i < keyLen && u8[c.at + i] === prev[i]) i++;
          keep = i < keyLen;
        }
        if (keep) {
          if (prev.length < keyLen) prev = new Uint8Array(Math.max(keyLen, 2 * prev.length));
          prev.set(u8.subarray(c.at, c.at + keyLen));
          prevLen = keyLen;
        }
      }
      if (order.count) {
        if (keep) {
          if (pendingCount > 0) writeCounted();
          if (pending.length < lineLen) pending = new Uint8Array(Math.max(lineLen, 2 * pending.length));
          pending.set(u8.subarray(c.at, c.at + lineLen));
          pendingLen = lineLen;
          pendingCount = 1;
        } else pendingCount++;
      } else if (keep && lineLen > out.region.size - 1) {
        // A line longer than the staging buffer goes to the sink straight from its
        // run's buffer: no second copy of a long line in kernel memory.
        flush();
        sink(c.at, lineLen, 1);
        u8 = rt.u8;
        outLines++;
      } else if (keep) {
        const at = room(lineLen);
        u8 = rt.u8;
        u8.copyWithin(at, c.at, c.at + lineLen);
        out.len += lineLen;
        out.lines++;
        outLines++;
      }
      // Next line of this run.
      c.at = c.nl + 1;
      if (!nextLine(c)) {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      u8 = rt.u8;
      if (heap.length > 0) down(0);
    }
    if (order.count && pendingCount > 0) writeCounted();
    flush();
    return { inputLines, lines: outLines };
  } finally {
    for (const c of cursors) c.reader.close();
    for (const r of held) alloc.release(r);
  }

  /** Finds the line at c.at, refilling the buffer when it is not whole; false at the run's end. */
  function nextLine(c: Cursor): boolean {
    const u8 = rt.u8;
    if (c.at < c.end) {
      // The byte at c.end is a '\n' sentinel, so the search stops there at the latest.
      const nl = u8.indexOf(NEWLINE, c.at);
      if (nl < c.end) {
        c.nl = nl;
        return true;
      }
    }
    return refill(c);
  }

  /** Moves the unread tail to the buffer's start and reads on; false when the run is done. */
  function refill(c: Cursor): boolean {
    for (;;) {
      let u8 = rt.u8;
      const tail = c.end - c.at;
      if (tail > 0 && c.at > c.buf.ptr) u8.copyWithin(c.buf.ptr, c.at, c.end);
      if (tail >= c.buf.size - 1) {
        // One line longer than the buffer: grow it to hold the rest of the run, which
        // holds the line. Runs are at most the plan's run size except one-line runs of a
        // long line, so this is bounded by the longer of the two (doubling would need a
        // half-size old buffer and a twice-size new one at once).
        const old = c.buf;
        c.buf = alloc.alloc(Math.max(2 * (old.size - 1), tail + c.reader.remaining) + 1);
        u8 = rt.u8;
        u8.copyWithin(c.buf.ptr, old.ptr, old.ptr + tail);
        held[held.indexOf(old)] = c.buf;
        alloc.release(old);
      }
      c.at = c.buf.ptr;
      const n = c.reader.read(c.buf.ptr + tail, c.buf.size - 1 - tail);
      c.end = c.buf.ptr + tail + n;
      rt.u8[c.end] = NEWLINE;
      if (c.end === c.at) return false;
      const nl = rt.u8.indexOf(NEWLINE, c.at);
      if (nl < c.end) {
        c.nl = nl;
        return true;
      }
      if (n === 0) return false;
    }
  }
}
