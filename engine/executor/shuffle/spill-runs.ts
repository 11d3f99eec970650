// Sorted runs of JS records on disk, and their k-way merge: the run machinery of the
// JS combiners (external-map.ts, Spark's ExternalAppendOnlyMap). Policy:
//  - A record is (id, value): id is the key's canonical encoding (engine/common/
//    codec/key-codec.ts) as a Latin-1 string, one char per byte, so `<` on ids is byte order
//    and equal keys have equal ids; value goes through the record codec. A run holds
//    records in id order (the writer's caller sorts them; stable, so records of one id
//    keep their input order).
//  - The file is a sequence of blocks, each a u32 length then whole records, cut at
//    about BLOCK_BYTES. A reader holds one block in a heap Buffer at a time, so a
//    merge of k runs holds k blocks (plus the one being decoded): its buffers are
//    bounded by k x BLOCK_BYTES whatever the runs' sizes.
//  - Runs live in the task's spill directory (TaskSpec.spillDir, which the driver
//    removes on exit and on signals) and belong to the attempt that wrote them: the
//    owner removes each run when the merge is over or the task fails (removeRuns), so
//    nothing is left behind. Files are written through run-file.ts's RunWriter, so a
//    full disk is the same 'resources' error as a sort's, naming the directory and the
//    bytes that could not be written, after the half-written file is removed.
//  - The merge orders records by (id, source index): sources are numbered in the order
//    their records arrived (runs first, the in-memory remainder last), so equal ids come
//    out in input order, which the join's left-major output relies on.
import { rmSync } from 'node:fs';
import { ByteReader, ByteWriter, readValue, writeValue } from '../../common/codec/index.js';
import type { TaskContext } from '../runtime/task-context.js';
import { RunReader, RunWriter } from '../sort/run-file.js';

/** Records are written in blocks of about this size; a merge holds one block per run. */
export const BLOCK_BYTES = 256 << 10;

/** A finished run on disk. */
export interface RecordRun {
  readonly path: string;
  readonly bytes: number;
  readonly records: number;
}

/** Writes one sorted run of (id, value) records; `finish` closes it, `abort` removes it. */
export class RecordRunWriter {
  private readonly w = new ByteWriter(BLOCK_BYTES + (BLOCK_BYTES >> 2));
  private records = 0;

  private constructor(private readonly file: RunWriter) {
    this.w.writeU32BE(0);
  }

  /** Creates a run file in the task's spill directory (run-file.ts), named after its task and `what`. */
  static create(ctx: TaskContext, what: string): RecordRunWriter {
    return new RecordRunWriter(RunWriter.create(ctx, what, 'job'));
  }

  /** The run file's path. */
  get path(): string {
    return this.file.path;
  }

  /** Appends a record (ids must come in sorted order). */
  add(id: string, value: unknown): void {
    const w = this.w;
    w.writeVarUint(id.length);
    w.writeLatin1(id);
    writeValue(w, value);
    this.records++;
    if (w.length >= BLOCK_BYTES) this.flush();
  }

  /** Closes the file; the run can then be read. */
  finish(): RecordRun {
    this.flush();
    const { path, bytes } = this.file.finish();
    return { path, bytes, records: this.records };
  }

  /** Closes and removes the file (idempotent). */
  abort(): void {
    this.file.abort();
  }

  private flush(): void {
    const w = this.w;
    if (w.length <= 4) return;
    w.buf.writeUInt32BE(w.length - 4, 0);
    const bytes = w.bytes();
    this.file.write(bytes, 0, bytes.length);
    w.reset();
    w.writeU32BE(0);
  }
}

/** A source of (id, value) records in id order, read one at a time. */
export interface RecordSource {
  /** The current record's id (valid while `ok`). */
  readonly id: string;
  /** The current record's value. */
  readonly value: unknown;
  /** False once every record was read. */
  readonly ok: boolean;
  /** Moves to the next record. */
  next(): void;
  /** Releases the source (its file stays until removeRuns). */
  close(): void;
}

/** Reads a run block by block (one block in memory), through run-file.ts's RunReader. */
export class RecordRunReader implements RecordSource {
  id = '';
  value: unknown = undefined;
  ok = true;
  private readonly file: RunReader;
  private r: ByteReader | undefined;
  private readonly head = Buffer.alloc(4);

  constructor(ctx: TaskContext, readonly run: RecordRun) {
    this.file = new RunReader(ctx, run, 'job');
    this.next();
  }

  next(): void {
    let r = this.r;
    if (!r || r.done) {
      r = this.r = this.readBlock();
      if (!r) {
        this.ok = false;
        this.value = undefined;
        this.close();
        return;
      }
    }
    const n = r.readVarUint();
    this.id = r.buf.toString('latin1', r.pos, r.pos + n);
    r.pos += n;
    this.value = readValue(r);
  }

  close(): void {
    this.file.close();
  }

  private readBlock(): ByteReader | undefined {
    if (this.file.remaining === 0) return undefined;
    this.file.readInto(this.head, 0, 4);
    const len = this.head.readUInt32BE(0);
    const block = Buffer.allocUnsafe(len);
    this.file.readInto(block, 0, len);
    return new ByteReader(block);
  }
}

/** Records held in memory, already sorted by id, as a source (the merge's last one). */
export class ArraySource implements RecordSource {
  id = '';
  value: unknown = undefined;
  ok = true;
  private i = 0;

  constructor(
    private readonly ids: readonly string[],
    private readonly values: readonly unknown[],
    private readonly order: ArrayLike<number>,
  ) {
    this.next();
  }

  next(): void {
    if (this.i >= this.order.length) {
      this.ok = false;
      this.value = undefined;
      return;
    }
    const j = this.order[this.i++]!;
    this.id = this.ids[j]!;
    this.value = this.values[j];
  }

  close(): void {}
}

/**
 * The indices of `ids` in id order, stable (equal ids keep their index order). The
 * comparison is JS string order on Latin-1 strings, which is byte order.
 */
export function sortedIndices(ids: readonly string[]): Uint32Array {
  const order = new Uint32Array(ids.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  // TypedArray sort is not guaranteed stable for equal comparisons: break ties by index.
  order.sort((a, b) => {
    const x = ids[a]!;
    const y = ids[b]!;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  return order;
}

/**
 * Merges `sources` (each in id order) and calls `visit(id, value, source)` for every
 * record in (id, source index) order. Checks cancellation every CHECK records.
 */
export function mergeSources(ctx: TaskContext, sources: readonly RecordSource[], visit: (id: string, value: unknown, source: number) => void): void {
  const heap: number[] = [];
  const less = (a: number, b: number): boolean => {
    const x = sources[a]!.id;
    const y = sources[b]!.id;
    return x < y || (x === y && a < b);
  };
  const down = (i: number): void => {
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const c = r < n && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[c]!, heap[i]!)) return;
      const t = heap[c]!;
      heap[c] = heap[i]!;
      heap[i] = t;
      i = c;
    }
  };
  for (let s = 0; s < sources.length; s++) if (sources[s]!.ok) heap.push(s);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let n = 0;
  while (heap.length > 0) {
    const s = heap[0]!;
    const src = sources[s]!;
    visit(src.id, src.value, s);
    src.next();
    if (!src.ok) {
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    down(0);
    if ((++n & 4095) === 0) ctx.checkCancelled();
  }
}

/** Removes runs' files (idempotent). */
export function removeRuns(runs: readonly RecordRun[]): void {
  for (const r of runs) rmSync(r.path, { force: true });
}

