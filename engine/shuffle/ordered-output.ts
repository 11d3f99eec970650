// Ordered output to one file descriptor from many reduce tasks (sortLines.writeTo).
// Policy: tasks write their own bytes, straight from kernel memory, in partition
// order, so nothing crosses to the driver and no partition is held twice. They take
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
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import type { TaskContext } from '../exec/task-context.js';

const PENDING = 0;
const PARKED = 1;
const CLAIMED = 2;
const RUNNING = 3;
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
 * Writes kernel-memory bytes [ptr, ptr + len) as partition `partition`'s share of the
 * output, after every earlier partition's. `copyBuffer` (any kernel-memory region,
 * free once this partition's own bytes are written) is used to move parked
 * successors' files to the fd.
 */
export function writeInTurn(
  ctx: TaskContext,
  target: { fd: number; turn: SharedArrayBuffer; parkDir: string },
  partition: number,
  ptr: number,
  len: number,
  copyBuffer: { ptr: number; size: number },
): void {
  const words = new Int32Array(target.turn);
  // An earlier attempt of this task already parked or wrote these bytes.
  const state = Atomics.load(words, 1 + partition);
  if (state === PARKED || state === CLAIMED) return;
  Atomics.store(words, 1 + partition, RUNNING);
  const deadline = performance.now() + PARK_AFTER_MS;
  for (;;) {
    const turn = Atomics.load(words, 0);
    if (turn === partition) {
      if (Atomics.compareExchange(words, 1 + partition, RUNNING, CLAIMED) !== RUNNING) return;
      writeAll(ctx, target.fd, ptr, len);
      advance(ctx, target, words, partition + 1, copyBuffer);
      return;
    }
    if (turn > partition) return;
    if (performance.now() >= deadline || !predecessorsStarted(words, turn, partition)) break;
    Atomics.wait(words, 0, turn, WAIT_SLICE_MS);
    ctx.checkCancelled();
  }
  // Park: the bytes go to a file; whoever reaches our turn writes them.
  mkdirSync(target.parkDir, { recursive: true });
  const path = parkPath(target.parkDir, partition);
  const fd = openSync(path, 'w');
  try {
    writeAll(ctx, fd, ptr, len);
  } finally {
    closeSync(fd);
  }
  Atomics.store(words, 1 + partition, PARKED);
  if (Atomics.load(words, 0) === partition && Atomics.compareExchange(words, 1 + partition, PARKED, CLAIMED) === PARKED) {
    drainParked(ctx, target, partition, copyBuffer);
    advance(ctx, target, words, partition + 1, copyBuffer);
  }
}

function predecessorsStarted(words: Int32Array, from: number, to: number): boolean {
  for (let p = from; p < to; p++) if (Atomics.load(words, 1 + p) === PENDING) return false;
  return true;
}

/** Moves the turn to `next`, writing out every parked partition it reaches. */
function advance(ctx: TaskContext, target: { fd: number; parkDir: string }, words: Int32Array, next: number, copyBuffer: { ptr: number; size: number }): void {
  for (let p = next; ; p++) {
    Atomics.store(words, 0, p);
    Atomics.notify(words, 0);
    if (p + 1 >= words.length) return;
    if (Atomics.compareExchange(words, 1 + p, PARKED, CLAIMED) !== PARKED) return;
    drainParked(ctx, target, p, copyBuffer);
  }
}

function drainParked(ctx: TaskContext, target: { fd: number; parkDir: string }, partition: number, copyBuffer: { ptr: number; size: number }): void {
  const path = parkPath(target.parkDir, partition);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, ctx.rt.u8, copyBuffer.ptr, copyBuffer.size, null);
      if (n === 0) break;
      writeAll(ctx, target.fd, copyBuffer.ptr, n);
    }
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

function parkPath(dir: string, partition: number): string {
  return join(dir, `part-${String(partition).padStart(5, '0')}`);
}

/** Writes all of [ptr, ptr + len) to fd; a non-blocking pipe that is full is waited on. */
export function writeAll(ctx: TaskContext, fd: number, ptr: number, len: number): void {
  const u8 = ctx.rt.u8;
  let done = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (done < len) {
    try {
      done += writeSync(fd, u8, ptr + done, Math.min(len - done, 1 << 30));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        throw new KilnError('execution', `cannot write sorted output to file descriptor ${fd}: ${(error as Error).message}`, {}, { cause: error });
      }
      Atomics.wait(pause, 0, 0, 1);
      ctx.checkCancelled();
    }
  }
}
