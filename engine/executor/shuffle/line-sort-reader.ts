// The reduce side of sortLines: a reduce partition is rangesPerPartition key ranges,
// each range's pieces (one per map block, lines in input order) read in range order.
// Policy: a range that fits one run (runBytes and a line limit, both from the task's
// sort memory) is copied back to back into a small scratch region, sorted by the
// kernels there — a few MiB, so the radix passes and the gather stay in cache — and
// gathered in output order (reverse, unique, stable key order:
// engine/executor/shuffle/line-sorter.ts) into the partition's output. A larger range (many
// equal keys, skew) is an external sort: runs of that size are sorted the same way
// and written to disk (engine/executor/sort/run-file.ts), then merged k ways
// (engine/executor/sort/line-merge.ts) with per-run buffers that fit the sort memory. Pieces
// of spilled map blocks are read range by range with positional reads, never whole.
// The output (PartitionOutput) stays in the thread's output region while it fits
// outputBytes, and moves to a file when it does not; from there the bytes go, without
// a JS string per line, to an open file descriptor in partition order
// (engine/executor/shuffle/ordered-output.ts) or to the task's part file; the generic Dataset
// path (collect, map, ...) gets them as strings.
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import type { Emit } from '../../common/emit.js';
import type { LinesAggregator, LinesTarget, NodeSpec, ShuffleReadSpec } from '../../common/protocol/protocol.js';
import { CANCEL_CHECK_EVERY, type TaskContext } from '../runtime/task-context.js';
import { OutOfMemoryError } from '../memory/allocator.js';
import type { Region } from '../memory/region.js';
import { mergeLineRuns } from '../sort/line-merge.js';
import { sortMemoryPlan } from '../sort/memory-plan.js';
import { removeRun, RunReader, RunWriter, type SortRun } from '../sort/run-file.js';
import { LineSort, LineSortScratch } from './line-sorter.js';
import { announceTurn, writeAll, writeInTurn, type TurnSource } from './ordered-output.js';

/** Where one map block's share of this reduce partition is, and its ranges in it. */
interface BlockShare {
  /** In memory: the share's first byte; on disk: its offset in the data file. */
  readonly base: number;
  /** The spill data file, or undefined for an in-memory block. */
  readonly path?: string;
  /** Range starts relative to base: rangesPerPartition + 1 offsets. */
  readonly starts: readonly number[];
}

/** The rest of one range's piece of one block: [pos, to), a kernel-memory address or a file offset. */
interface Piece {
  pos: number;
  readonly to: number;
  readonly fd: number;
}

/** Receives sorted output: whole lines at kernel-memory ptr, or a place to gather them in place. */
interface LineOutput {
  /** A kernel-memory address where `len` more bytes may be written, or undefined: gather aside and append. */
  reserve(len: number): number | undefined;
  /** Records `len` bytes of `lines` lines written at the reserved address. */
  commit(len: number, lines: number): void;
  /** Takes a copy of `len` bytes of `lines` lines at ptr. */
  append(ptr: number, len: number, lines: number): void;
}

/**
 * A partition's output: in the thread's output region (the scratch 'input' region:
 * map tasks on this thread have touched it already, and first touch of fresh memory
 * is what costs here) while it fits `limit`, else in a file in the spill directory.
 */
class PartitionOutput implements LineOutput {
  bytes = 0;
  lines = 0;
  private ptr = 0;
  private file: RunWriter | undefined;

  constructor(
    private readonly ctx: TaskContext,
    private readonly scratch: LineSortScratch,
    private readonly limit: number,
  ) {}

  reserve(len: number): number | undefined {
    if (this.file) return undefined;
    if (this.bytes + len > this.limit) {
      this.spill();
      return undefined;
    }
    try {
      this.ptr = this.scratch.grow('input', this.bytes + len, this.bytes).ptr;
    } catch (e) {
      if (!(e instanceof OutOfMemoryError || (e instanceof KilnError && e.kind === 'resources'))) throw e;
      this.spill();
      return undefined;
    }
    return this.ptr + this.bytes;
  }

  commit(len: number, lines: number): void {
    this.bytes += len;
    this.lines += lines;
  }

  append(ptr: number, len: number, lines: number): void {
    const at = this.reserve(len);
    if (at === undefined) this.file!.append(ptr, len);
    else this.ctx.rt.u8.copyWithin(at, ptr, ptr + len);
    this.commit(len, lines);
  }

  /** Moves what the region holds to a file; later bytes are appended there. */
  private spill(): void {
    const file = RunWriter.create(this.ctx, 'output');
    if (this.bytes > 0) file.append(this.ptr, this.bytes);
    this.file = file;
  }

  /** Where the partition's bytes are. */
  result(): TurnSource {
    if (this.file) return { kind: 'file', path: this.file.finish().path, len: this.bytes };
    return { kind: 'memory', ptr: this.ptr, len: this.bytes };
  }

  /** Removes the output file, if any (after it was copied, or on failure). */
  discard(): void {
    this.file?.abort();
  }
}

/** The generic path's output: each chunk's lines emitted as strings (without '\n'). */
class EmitOutput implements LineOutput {
  constructor(
    private readonly ctx: TaskContext,
    private readonly agg: LinesAggregator,
    private readonly emit: Emit,
  ) {}

  reserve(): undefined {
    return undefined;
  }

  commit(): void {}

  append(ptr: number, len: number): void {
    const bytes = Buffer.from(this.ctx.rt.u8.buffer, ptr, len);
    let k = 0;
    for (let at = 0; at < len; ) {
      if (++k % CANCEL_CHECK_EVERY === 0) this.ctx.checkCancelled();
      const nl = bytes.indexOf(0x0a, at);
      this.emit(bytes.toString(this.agg.encoding, at, nl));
      at = nl + 1;
    }
  }
}

/**
 * Sorts reduce partition `read.partition` into `out`, one key range at a time, in
 * range order (ranges are ordered by key, so their outputs concatenate).
 */
function sortPartition(read: ShuffleReadSpec, agg: LinesAggregator, ctx: TaskContext, out: LineOutput): void {
  const scratch = LineSortScratch.of(ctx.rt);
  const plan = sortMemoryPlan(ctx);
  const fds = new Map<string, number>();
  try {
    const shares = locateShares(read, agg.rangesPerPartition, ctx);
    const fdOf = (path: string): number => {
      let fd = fds.get(path);
      if (fd === undefined) {
        try {
          fd = openSync(path, 'r');
        } catch (cause) {
          throw new KilnError('execution', `shuffle ${read.shuffleId} spill file ${path} is missing: ${(cause as Error).message}`, { file: path, partition: read.partition }, { cause });
        }
        fds.set(path, fd);
      }
      return fd;
    };
    const sorter = new LineSort(scratch, agg);
    for (let r = 0; r < agg.rangesPerPartition; r++) {
      const pieces: Piece[] = [];
      let len = 0;
      for (const b of shares) {
        const from = b.starts[r]!;
        const to = b.starts[r + 1]!;
        if (to === from) continue;
        pieces.push({ pos: b.base + from, to: b.base + to, fd: b.path === undefined ? -1 : fdOf(b.path) });
        len += to - from;
      }
      if (len === 0) continue;
      ctx.checkCancelled();
      ctx.metrics.shuffleReadBytes += len;
      sortRange(ctx, scratch, sorter, agg, pieces, len, plan, out);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
}

/** Sorts one key range: in one run when it fits, else as sorted runs on disk, merged. */
function sortRange(ctx: TaskContext, scratch: LineSortScratch, sorter: LineSort, agg: LinesAggregator, pieces: Piece[], len: number, plan: ReturnType<typeof sortMemoryPlan>, out: LineOutput): void {
  const u8 = (): Uint8Array => ctx.rt.u8;
  let run = scratch.region('range', Math.min(len, plan.runBytes));
  // Bytes a run takes: the plan's, whatever size the cached region has; one long
  // line's length while it is the run.
  let cap = Math.min(len, plan.runBytes);
  let carry = 0;
  let next = 0;
  const runs: SortRun[] = [];
  try {
    for (;;) {
      const got = fillRun(ctx, pieces, next, run.ptr + carry, cap - carry);
      next = got.next;
      const filled = carry + got.bytes;
      // Checked before the end test: an empty fill with pieces left is a line longer
      // than the run buffer, not the end (testing filled === 0 first silently dropped
      // that line and every line after it — issue 11).
      if (got.bytes === 0 && carry === 0 && next < pieces.length) {
        // One line longer than the run buffer: a run of its own, in a buffer grown to
        // hold it (bounded by the worker's span and maxRecordBytes).
        run = growRun(ctx, scratch, run, pieces, next);
        cap = Math.min(run.size, lineLengthAt(ctx, pieces, next));
        continue;
      }
      if (filled === 0) break;
      const sorted = sorter.sort(run.ptr, filled, plan.runLines);
      ctx.metrics.shuffleReadRecords += sorted.n;
      carry = filled - sorted.bytes;
      const whole = runs.length === 0 && carry === 0 && next >= pieces.length;
      if (whole) {
        gatherTo(ctx, scratch, sorter, agg, run.ptr, sorted, out);
        return;
      }
      // A run to disk, in output order; unique runs keep the first line of each key
      // (count runs keep every line: the merge counts them).
      const writer = RunWriter.create(ctx, 'lines');
      try {
        if (sorted.n === 1) {
          // One line (a long one, typically): already in order, written as it is,
          // without a second buffer of its size.
          writer.append(run.ptr, sorted.bytes);
        } else {
          const gathered = scratch.region('gathered', Math.max(sorted.bytes, 1));
          const g = sorter.gather(run.ptr, sorted, gathered.ptr, { unique: agg.unique && !agg.count });
          writer.append(gathered.ptr, g.dstOffsets[g.lines]!);
        }
      } catch (e) {
        writer.abort();
        throw e;
      }
      runs.push(writer.finish());
      cap = Math.min(run.size, plan.runBytes);
      // The lines past the run's line limit start the next run.
      if (carry > 0) u8().copyWithin(run.ptr, run.ptr + sorted.bytes, run.ptr + filled);
      if (carry === 0 && next >= pieces.length) break;
      ctx.checkCancelled();
    }
    if (runs.length === 0) return;
    // A long line's run buffer is not needed by the merge: free the scratch caches so
    // the merge's buffers can hold that line.
    if (run.size > plan.runBytes * 2) scratch.releaseExcept();
    // Per-run buffers within the merge's share of the sort memory.
    const buffer = Math.max(64 << 10, Math.min(1 << 20, Math.floor(plan.mergeBytes / (runs.length + 1))));
    mergeLineRuns(ctx, runs, agg, buffer, (ptr, bytes, lines) => out.append(ptr, bytes, lines));
  } finally {
    for (const r of runs) removeRun(r);
  }
}

/**
 * The run buffer doubled, for a line longer than it (the long-record path of issue 11:
 * such a line is a run of its own). Kernel memory that cannot hold it is a clear
 * 'resources' error naming the partition and what to raise, not a silent loss.
 */
function growRun(ctx: TaskContext, scratch: LineSortScratch, run: Region, pieces: Piece[], next: number): Region {
  // Exactly the line's length: doubling would overshoot a 300 MB line to 512 MiB and
  // take the other lines behind it into the same buffer.
  const bytes = Math.max(lineLengthAt(ctx, pieces, next), run.size + 1);
  try {
    return scratch.region('range', bytes);
  } catch (e) {
    if (!(e instanceof OutOfMemoryError || (e instanceof KilnError && e.kind === 'resources'))) throw e;
  }
  // The other scratch regions (the map side's input, gather buffers) are caches: free
  // them so the span's whole free space can hold the line, then try once more.
  scratch.releaseExcept('range');
  try {
    return scratch.region('range', bytes);
  } catch (e) {
    if (!(e instanceof OutOfMemoryError || (e instanceof KilnError && e.kind === 'resources'))) throw e;
    throw new KilnError(
      'resources',
      `a line longer than ${run.size} bytes in sort partition ${ctx.spec.partition} does not fit in this worker thread's ${Math.round(ctx.rt.allocator.capacity / 2 ** 20)} MiB of scratch memory — raise --worker-memory (Kiln.start's workerMemory)`,
      { partition: ctx.spec.partition },
      { cause: e },
    );
  }
}

/** Bytes of the line starting at pieces[next].pos, its '\n' included (pieces hold whole lines). */
function lineLengthAt(ctx: TaskContext, pieces: Piece[], next: number): number {
  let len = 0;
  const probe = Buffer.allocUnsafe(1 << 20);
  for (let i = next; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.fd < 0) {
      const at = ctx.rt.u8.subarray(p.pos, p.to).indexOf(0x0a);
      if (at >= 0) return len + at + 1;
      len += p.to - p.pos;
      continue;
    }
    for (let pos = p.pos; pos < p.to; ) {
      const n = readSync(p.fd, probe, 0, Math.min(probe.length, p.to - pos), pos);
      if (n === 0) throw new KilnError('execution', `a shuffle spill file is truncated at byte ${pos}`, { partition: ctx.spec.partition });
      const at = probe.subarray(0, n).indexOf(0x0a);
      if (at >= 0) return len + at + 1;
      len += n;
      pos += n;
    }
  }
  return len;
}

/**
 * Copies whole lines from pieces[next...] into kernel memory [dst, dst + cap): a piece
 * is taken whole while it fits, else up to its last line break that fits. Returns the
 * bytes copied and the first piece not used up.
 */
function fillRun(ctx: TaskContext, pieces: Piece[], next: number, dst: number, cap: number): { bytes: number; next: number } {
  let got = 0;
  let i = next;
  while (i < pieces.length) {
    const p = pieces[i]!;
    const remain = p.to - p.pos;
    if (remain === 0) {
      i++;
      continue;
    }
    const space = cap - got;
    if (space <= 0) break;
    const n = Math.min(remain, space);
    const at = dst + got;
    if (p.fd < 0) ctx.rt.u8.copyWithin(at, p.pos, p.pos + n);
    else readFully(ctx, p.fd, at, n, p.pos);
    if (n === remain) {
      p.pos += n;
      got += n;
      i++;
      continue;
    }
    // Part of the piece: up to its last whole line (pieces hold whole lines).
    const last = ctx.rt.u8.subarray(at, at + n).lastIndexOf(0x0a);
    if (last >= 0) {
      p.pos += last + 1;
      got += last + 1;
    }
    break;
  }
  return { bytes: got, next: i };
}

function readFully(ctx: TaskContext, fd: number, ptr: number, len: number, pos: number): void {
  for (let done = 0; done < len; ) {
    const n = readSync(fd, ctx.rt.u8, ptr + done, len - done, pos + done);
    if (n === 0) throw new KilnError('execution', `a shuffle spill file is truncated at byte ${pos + done}`, { partition: ctx.spec.partition });
    done += n;
  }
}

/** Gathers one sorted run straight into the output (in place when it has room). */
function gatherTo(ctx: TaskContext, scratch: LineSortScratch, sorter: LineSort, agg: LinesAggregator, buf: number, sorted: ReturnType<LineSort['sort']>, out: LineOutput): void {
  if (agg.count) {
    // uniq -c lines are longer than their lines: gather aside, then write them with their counts.
    const gathered = scratch.region('gathered', Math.max(sorted.bytes, 1));
    const g = sorter.gather(buf, sorted, gathered.ptr, { unique: true, count: true });
    let need = g.dstOffsets[g.lines]!;
    for (let i = 0; i < g.lines; i++) need += prefixBytes(g.counts![i]!);
    const at = out.reserve(need);
    if (at !== undefined) {
      writeCounted(ctx, at, gathered.ptr, g.lines, g.dstOffsets, g.counts!);
      out.commit(need, g.lines);
      return;
    }
    const aside = scratch.region('tmp', need);
    writeCounted(ctx, aside.ptr, gathered.ptr, g.lines, g.dstOffsets, g.counts!);
    out.append(aside.ptr, need, g.lines);
    return;
  }
  if (sorted.n === 1) {
    // One line (a long one, typically): no second buffer of its size.
    out.append(buf, sorted.bytes, 1);
    return;
  }
  const at = out.reserve(sorted.bytes);
  if (at !== undefined) {
    const g = sorter.gather(buf, sorted, at, { unique: agg.unique });
    out.commit(g.dstOffsets[g.lines]!, g.lines);
    return;
  }
  const gathered = scratch.region('gathered', Math.max(sorted.bytes, 1));
  const g = sorter.gather(buf, sorted, gathered.ptr, { unique: agg.unique });
  out.append(gathered.ptr, g.dstOffsets[g.lines]!, g.lines);
}

/** Bytes of a count prefix: `uniq -c` prints "%7d " (wider for counts of 8+ digits). */
function prefixBytes(count: number): number {
  return count < 10_000_000 ? 8 : String(count).length + 1;
}

/** Copies below this many bytes are a JS loop: cheaper than a call into copyWithin. */
const SHORT_COPY = 32;

/**
 * Writes `lines` gathered lines (at `src`, offsets `srcOffsets`) with their uniq -c
 * count prefixes to kernel memory at `dst`. JS per line (digits written
 * arithmetically, short lines copied in a loop): ~11.8M lines of 1 GB in about a second.
 */
function writeCounted(ctx: TaskContext, dst: number, src: number, lines: number, srcOffsets: Uint32Array, counts: Uint32Array): void {
  const u8 = ctx.rt.u8;
  let out = dst;
  for (let i = 0; i < lines; i++) {
    if (i % CANCEL_CHECK_EVERY === 0) ctx.checkCancelled();
    let c = counts[i]!;
    const width = prefixBytes(c) - 1;
    // Digits right-aligned in `width` columns, then a space.
    let d = out + width - 1;
    do {
      u8[d--] = 48 + (c % 10);
      c = Math.floor(c / 10);
    } while (c > 0);
    while (d >= out) u8[d--] = 0x20;
    u8[out + width] = 0x20;
    out += width + 1;
    const from = src + srcOffsets[i]!;
    const len = srcOffsets[i + 1]! - srcOffsets[i]!;
    if (len < SHORT_COPY) {
      for (let k = 0; k < len; k++) u8[out + k] = u8[from + k]!;
    } else {
      u8.copyWithin(out, from, from + len);
    }
    out += len;
  }
}

/** Each block's share of the partition: where it lies in memory or in its spill file (read range by range later). */
function locateShares(read: ShuffleReadSpec, k: number, ctx: TaskContext): BlockShare[] {
  const first = read.partition * k;
  const shares: BlockShare[] = [];
  for (const block of read.blocks) {
    const base = block.offsets[first];
    if (base === undefined || block.offsets.length < first + k + 1) {
      throw new KilnError('internal', `sortLines block has ${block.offsets.length - 1} ranges, reduce partition ${read.partition} needs ${first + k}`);
    }
    const starts = block.offsets.slice(first, first + k + 1).map((o) => o - base);
    if (starts[k] === 0) continue;
    const loc = block.location;
    shares.push(loc.kind === 'memory' ? { base: loc.ptr + base, starts } : { base, path: loc.path, starts });
  }
  void ctx;
  return shares;
}

/** The generic path: emits the partition's sorted lines as strings (UTF-8, without '\n'). */
export function emitSortedLines(read: ShuffleReadSpec, agg: LinesAggregator, ctx: TaskContext, emit: Emit): void {
  sortPartition(read, agg, ctx, new EmitOutput(ctx, agg, emit));
}

/** Result of one writeLines task. */
export interface LinesWritten {
  readonly lines: number;
  readonly bytes: number;
}

/** Runs a writeLines result task: sorts the partition and writes its bytes to the target. */
export function writeSortedLines(node: NodeSpec, target: LinesTarget, ctx: TaskContext): LinesWritten {
  if (node.t !== 'shuffle' || node.read.format !== 'lines' || node.read.aggregator?.kind !== 'lines') {
    throw new KilnError('internal', 'writeLines needs a sortLines shuffle read: a bug in kiln');
  }
  if (target.kind === 'fd') announceTurn(target.turn, ctx.spec.partition);
  const scratch = LineSortScratch.of(ctx.rt);
  const out = new PartitionOutput(ctx, scratch, sortMemoryPlan(ctx).outputBytes);
  try {
    sortPartition(node.read, node.read.aggregator, ctx, out);
    ctx.metrics.resultRecords += out.lines;
    const partition = ctx.spec.partition;
    const source = out.result();
    // The range region is free now: it carries file bytes (parked successors', a spilled output) to the fd.
    const copy = scratch.region('range', 1 << 20);
    const copyBuffer = { ptr: copy.ptr, size: Math.min(copy.size, 1 << 30) };
    switch (target.kind) {
      case 'fd':
        writeInTurn(ctx, target, partition, source, copyBuffer);
        break;
      case 'dir': {
        const path = join(target.dir, `part-${String(partition).padStart(5, '0')}`);
        const fd = openSync(path, 'w');
        try {
          // Each task owns its part file: a retry rewrites it from the start.
          if (source.kind === 'memory') writeAll(ctx, fd, source.ptr, source.len, path);
          else copyRunTo(ctx, { path: source.path, bytes: source.len }, fd, path, copyBuffer);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'count':
        break;
    }
    return { lines: out.lines, bytes: out.bytes };
  } finally {
    out.discard();
  }
}

/** Copies a file's bytes to fd through a kernel-memory buffer. */
function copyRunTo(ctx: TaskContext, run: SortRun, fd: number, label: string, buffer: { ptr: number; size: number }): void {
  const reader = new RunReader(ctx, run);
  try {
    for (;;) {
      const n = reader.read(buffer.ptr, buffer.size);
      if (n === 0) break;
      writeAll(ctx, fd, buffer.ptr, n, label);
      ctx.checkCancelled();
    }
  } finally {
    reader.close();
  }
}
