// Sorted runs on disk: the one seam through which the external sorts (sortLines and
// sortByKey, engine/executor/sort/) write a run and read it back, and through which the
// JS combiners' record runs (engine/executor/shuffle/spill-runs.ts) are written. Policy: a run is one file in
// the task's spill directory, written with plain write(2) calls from kernel memory and
// read back with positional reads into kernel memory, uncompressed (the spill codec of
// engine/spill/ is meant to be wired in here, and only here). A run belongs to the task
// attempt that wrote it: the caller removes it when the merge has read it, and on any
// failure, so nothing is left behind. A full disk is a 'resources' error naming the
// directory and the bytes that could not be written, after the half-written file is
// removed.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import type { TaskContext } from '../runtime/task-context.js';

/** A finished run: its file and length. */
export interface SortRun {
  readonly path: string;
  readonly bytes: number;
}

/**
 * Who spills the run, for its file name and its errors: a sort (`sort-run_*`, "give the
 * sort more memory"), or a JS combiner or join side (`WHAT-run_*`, "give the job more
 * memory").
 */
export type RunOwner = 'sort' | 'job';

/** Writes one run; `finish` closes it, `abort` removes it. */
export class RunWriter {
  private fd: number;
  private written = 0;

  private constructor(
    private readonly ctx: TaskContext,
    readonly path: string,
    private readonly dir: string,
    private readonly owner: RunOwner,
  ) {
    this.fd = openSync(path, 'w');
  }

  /** Creates a run file in the task's spill directory, named after its task and `what`. */
  static create(ctx: TaskContext, what: string, owner: RunOwner = 'sort'): RunWriter {
    const dir = ctx.spec.spillDir;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (cause) {
      throw spillError(cause, dir, 0, 0, owner);
    }
    const { stageId, partition, attempt } = ctx.spec;
    const tag = randomBytes(4).toString('hex');
    const name = owner === 'sort' ? `sort-run_${stageId}_${partition}.a${attempt}_${what}_${tag}` : `${what}-run_${stageId}_${partition}.a${attempt}_${tag}`;
    try {
      return new RunWriter(ctx, join(dir, name), dir, owner);
    } catch (cause) {
      throw spillError(cause, dir, 0, 0, owner);
    }
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.written;
  }

  /** Appends kernel-memory bytes [ptr, ptr + len). */
  append(ptr: number, len: number): void {
    this.write(this.ctx.rt.u8, ptr, len);
  }

  /** Appends bytes [offset, offset + len) of `bytes` (kernel or heap memory). */
  write(bytes: Uint8Array, offset: number, len: number): void {
    let done = 0;
    try {
      while (done < len) done += writeSync(this.fd, bytes, offset + done, Math.min(len - done, 1 << 30));
    } catch (cause) {
      const written = this.written + done;
      this.abort();
      throw spillError(cause, this.dir, len - done, written, this.owner);
    }
    this.written += len;
    this.ctx.metrics.spillBytes += len;
  }

  /** Closes the file; the run can then be read. */
  finish(): SortRun {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    return { path: this.path, bytes: this.written };
  }

  /** Closes and removes the file (idempotent). */
  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // The file goes anyway.
      }
      this.fd = -1;
    }
    rmSync(this.path, { force: true });
  }
}

/** Reads a run sequentially into kernel memory (or, for record runs, a heap buffer). */
export class RunReader {
  private fd: number;
  private pos = 0;

  constructor(
    private readonly ctx: TaskContext,
    readonly run: SortRun,
    private readonly owner: RunOwner = 'sort',
  ) {
    try {
      this.fd = openSync(run.path, 'r');
    } catch (cause) {
      throw new KilnError('execution', `${owner === 'sort' ? 'sort' : 'spill'} run ${run.path} is missing: ${(cause as Error).message}`, { file: run.path, partition: ctx.spec.partition }, { cause });
    }
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.run.bytes - this.pos;
  }

  /** Reads up to `cap` bytes into kernel memory at ptr; returns how many (0 at the end). */
  read(ptr: number, cap: number): number {
    return this.readInto(this.ctx.rt.u8, ptr, cap);
  }

  /** Reads up to `cap` bytes into `into` at `offset` (kernel or heap memory); returns how many (0 at the end). */
  readInto(into: Uint8Array, offset: number, cap: number): number {
    const want = Math.min(cap, this.remaining);
    let done = 0;
    while (done < want) {
      const n = readSync(this.fd, into, offset + done, want - done, this.pos + done);
      if (n === 0) throw new KilnError('execution', `${this.owner === 'sort' ? 'sort' : 'spill'} run ${this.run.path} is truncated at byte ${this.pos + done} of ${this.run.bytes}`, { file: this.run.path, partition: this.ctx.spec.partition });
      done += n;
    }
    this.pos += done;
    return done;
  }

  /** Closes the file (the run stays until removeRun). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Removes a run's file. */
export function removeRun(run: SortRun): void {
  rmSync(run.path, { force: true });
}

/** The error for a failed write of a run: a full disk names the directory and the bytes. */
function spillError(cause: unknown, dir: string, unwritten: number, written: number, owner: RunOwner): KilnError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const [run, who] = owner === 'sort' ? ['a sort run', 'the sort'] : ['a run', 'the job'];
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new KilnError(
      'resources',
      `no space left on device spilling ${run} to ${dir}: ${unwritten} more bytes of the run could not be written (${written} were) — free disk space there, or point the spill directory elsewhere (TMPDIR, Kiln.start's spillDir), or give ${who} more memory (--memory)`,
      { file: dir },
      { cause },
    );
  }
  return new KilnError('execution', `cannot write ${owner === 'sort' ? 'a sort run' : 'a spill run'} to ${dir} (${code ?? (cause as Error).message}) — check the spill directory (TMPDIR, spillDir) and its disk`, { file: dir }, { cause });
}
