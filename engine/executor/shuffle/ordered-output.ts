// Ordered output to one file descriptor from many reduce tasks (sortLines.writeTo).
// Policy: tasks write their own bytes, straight from kernel memory (or from the file a
// partition too large for memory was sorted into), in partition order, so nothing crosses to the driver and no partition is held twice. They take
// turns through a SharedArrayBuffer of Int32 words: word 0 is the next partition to
// write; word 1 + p is partition p's state (PENDING: not started, RUNNING: its task
// is sorting, PARKED: its bytes wait in a park file, CLAIMED: someone has written or
// is writing them). A finished task whose turn has not come waits only while every
// partition before it has started (they will finish soon; the pool does not start
// tasks in partition order), and at most PARK_AFTER_MS; otherwise it parks its bytes
// in a file and ends, so a worker is never held hostage by a queued or retried
// predecessor (no deadlock however tasks are queued); whoever advances the turn to a
// parked partition writes it out.
// Ordering: all words are accessed with Atomics (sequentially consistent). A parker
// stores PARKED, then loads the turn; an advancer stores the turn, then tries to
// claim. One of the two sees the other's store, and the claim is a compareExchange,
// so a parked partition is written exactly once.
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../common/errors.js';
import { writeError } from '../io/commit.js';
import type { TaskContext } from '../runtime/task-context.js';

const PENDING = 0;
const PARKED = 1;
const CLAIMED = 2;
const RUNNING = 3;
/** A write of this partition to the shared fd failed part-way: the output has a hole. */
const FAILED = 4;

/** The shared fd tasks write to in turn, and how it is named in messages. */
export interface OrderedTarget {
  readonly fd: number;
  readonly turn: SharedArrayBuffer;
  readonly parkDir: string;
  /** "standard output" or the file's path. */
  readonly label: string;
}
/** The longest a finished task waits for running predecessors before parking its bytes. */
const PARK_AFTER_MS = 60_000;
/** Wait slice between cancellation checks. */
const WAIT_SLICE_MS = 50;

/** Words an ordered output over `partitions` partitions needs. */
export function orderedOutputWords(partitions: number): number {
  return 1 + partitions;
}

/** Marks partition `partition` as started (call when its task begins). */
export function announceTurn(turn: SharedArrayBuffer, partition: number): void {
  Atomics.compareExchange(new Int32Array(turn), 1 + partition, PENDING, RUNNING);
}

/**
 * A partition's bytes: in kernel memory, or in a file of the spill directory (an
 * output too large for memory), which parking moves into the park directory.
 */
export type TurnSource = { readonly kind: 'memory'; readonly ptr: number; readonly len: number } | { readonly kind: 'file'; readonly path: string; readonly len: number };

/**
 * Writes `source` as partition `partition`'s share of the output, after every earlier
 * partition's. `copyBuffer` (any kernel-memory region, free once this partition's own
 * bytes are in memory or written) moves file bytes — parked successors', a file
 * source's — to the fd.
 */
export function writeInTurn(
  ctx: TaskContext,
  target: OrderedTarget,
  partition: number,
  source: TurnSource,
  copyBuffer: { ptr: number; size: number },
): void {
  const words = new Int32Array(target.turn);
  const state = Atomics.load(words, 1 + partition);
  // An earlier attempt of this task parked its bytes: whoever reaches the turn writes them.
  if (state === PARKED) return;
  if (state === CLAIMED || state === FAILED) {
    // An earlier attempt claimed the turn. The turn moves past a partition only once
    // all its bytes are written, so if it has, the output is whole; otherwise some of
    // them may be in the fd already, and nothing can take them back.
    if (state === CLAIMED && Atomics.load(words, 0) > partition) return;
    throw new KilnError(
      'execution',
      `an earlier attempt of this task failed while writing its share of the output to ${target.label}, which may now hold part of it; the job cannot be retried in place — run it again`,
      { partition },
      { noRetry: true },
    );
  }
  Atomics.store(words, 1 + partition, RUNNING);
  const deadline = performance.now() + PARK_AFTER_MS;
  for (;;) {
    const turn = Atomics.load(words, 0);
    if (turn === partition) {
      if (Atomics.compareExchange(words, 1 + partition, RUNNING, CLAIMED) !== RUNNING) return;
      writeShared(ctx, target, words, partition, () => {
        if (source.kind === 'memory') writeAll(ctx, target.fd, source.ptr, source.len, target.label);
        else copyFile(ctx, target, source.path, copyBuffer, false);
        advance(ctx, target, words, partition + 1, copyBuffer);
      });
      return;
    }
    if (turn > partition) return;
    if (performance.now() >= deadline || !predecessorsStarted(words, turn, partition)) break;
    Atomics.wait(words, 0, turn, WAIT_SLICE_MS);
    ctx.checkCancelled();
  }
  // Park: the bytes go to a file; whoever reaches our turn writes them. A failure here
  // touches nothing shared (the park file is rewritten by a retry).
  mkdirSync(target.parkDir, { recursive: true });
  const path = parkPath(target.parkDir, partition);
  if (source.kind === 'file') {
    // The same file system (both under the spill directory): a rename, no copy.
    renameSync(source.path, path);
  } else {
    const fd = openSync(path, 'w');
    try {
      writeAll(ctx, fd, source.ptr, source.len, path);
    } finally {
      closeSync(fd);
    }
  }
  Atomics.store(words, 1 + partition, PARKED);
  if (Atomics.load(words, 0) === partition && Atomics.compareExchange(words, 1 + partition, PARKED, CLAIMED) === PARKED) {
    writeShared(ctx, target, words, partition, () => {
      drainParked(ctx, target, partition, copyBuffer);
      advance(ctx, target, words, partition + 1, copyBuffer);
    });
  }
}

/**
 * Runs `write`, which writes claimed partitions to the shared fd. A failure there may
 * have left part of a partition in the fd: the partition being written is marked
 * FAILED (the turn stays on it, so no later partition is written after the gap), and
 * the error is marked noRetry, so the job fails instead of committing a hole.
 */
function writeShared(ctx: TaskContext, target: OrderedTarget, words: Int32Array, partition: number, write: () => void): void {
  try {
    write();
  } catch (error) {
    const stuck = Math.min(Atomics.load(words, 0), words.length - 2);
    if (stuck >= partition) Atomics.store(words, 1 + stuck, FAILED);
    Atomics.notify(words, 0);
    if (error instanceof KilnError && error.kind === 'aborted') throw error;
    const cause = error instanceof KilnError ? error : undefined;
    throw new KilnError(cause?.kind ?? 'execution', cause?.message ?? `cannot write the output to ${target.label}: ${(error as Error).message}`, { partition: stuck }, { cause: error, noRetry: true });
  }
}

/**
 * Whether the bytes of all `partitions` partitions (the job's result tasks: a range
 * partitioner may use fewer than the words were sized for) reached the fd: the turn
 * has moved past the last one. The driver checks this after the job, so a lost
 * partition can never pass for a whole output, whatever went wrong in the tasks.
 */
export function outputComplete(turn: SharedArrayBuffer, partitions: number): boolean {
  return Atomics.load(new Int32Array(turn), 0) === partitions;
}

function predecessorsStarted(words: Int32Array, from: number, to: number): boolean {
  for (let p = from; p < to; p++) if (Atomics.load(words, 1 + p) === PENDING) return false;
  return true;
}

/** Moves the turn to `next`, writing out every parked partition it reaches. */
function advance(ctx: TaskContext, target: OrderedTarget, words: Int32Array, next: number, copyBuffer: { ptr: number; size: number }): void {
  for (let p = next; ; p++) {
    Atomics.store(words, 0, p);
    Atomics.notify(words, 0);
    if (p + 1 >= words.length) return;
    if (Atomics.compareExchange(words, 1 + p, PARKED, CLAIMED) !== PARKED) return;
    drainParked(ctx, target, p, copyBuffer);
  }
}

function drainParked(ctx: TaskContext, target: OrderedTarget, partition: number, copyBuffer: { ptr: number; size: number }): void {
  copyFile(ctx, target, parkPath(target.parkDir, partition), copyBuffer, true);
}

/** Copies a file's bytes to the shared fd through `copyBuffer`; `remove`: then deletes it. */
function copyFile(ctx: TaskContext, target: OrderedTarget, path: string, copyBuffer: { ptr: number; size: number }, remove: boolean): void {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, ctx.rt.u8, copyBuffer.ptr, copyBuffer.size, null);
      if (n === 0) break;
      writeAll(ctx, target.fd, copyBuffer.ptr, n, target.label);
    }
  } finally {
    closeSync(fd);
    if (remove) rmSync(path, { force: true });
  }
}

function parkPath(dir: string, partition: number): string {
  return join(dir, `part-${String(partition).padStart(5, '0')}`);
}

/**
 * Writes all of [ptr, ptr + len) to fd; a non-blocking pipe that is full is waited on.
 * `label` names the destination in errors ("standard output" or a path).
 */
export function writeAll(ctx: TaskContext, fd: number, ptr: number, len: number, label: string): void {
  const u8 = ctx.rt.u8;
  let done = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (done < len) {
    try {
      done += writeSync(fd, u8, ptr + done, Math.min(len - done, 1 << 30));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN') throw writeError(error, label, len - done);
      Atomics.wait(pause, 0, 0, 1);
      ctx.checkCancelled();
    }
  }
}
