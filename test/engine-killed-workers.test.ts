// A worker killed by a cancelled job keeps its memory span until its thread has really
// exited. Worker.terminate() returns at once, but a thread inside a system call stops
// only when the call returns — a readSync into its span keeps writing meanwhile — so a
// replacement thread handed the same span would have its data overwritten.
//
// To hold a killed thread in a system call for as long as the test needs, a split's
// file is swapped for a FIFO after the job was planned: the task's openSync() blocks
// until the test opens the FIFO's write end. Linux only (the test waits until the
// thread is in the kernel's wait_for_partner, read from /proc, rather than guessing a
// delay). The checks peek at the context's scheduler (test-only), as engine-stop does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Kiln } from '../engine/index.js';
import type { Region } from '../engine/executor/memory/region.js';
import { rejects } from './support/rejects.js';

/** The parts of a context the checks look at (private fields, test-only). */
interface Peek {
  tasks: { pool: { threads: Worker[] }; budget: { held: Map<number, Region>; spans: { bytesInUse: number } } };
}

const linux = process.platform === 'linux';

/**
 * Resolves once some thread of this process is blocked opening a FIFO (false: gave up
 * after 60 s, a bound for a broken case only: a busy machine may take seconds).
 */
async function blockedOnFifo(): Promise<boolean> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    for (const t of readdirSync('/proc/self/task')) {
      try {
        if (readFileSync(`/proc/self/task/${t}/wchan`, 'utf8').trim() === 'wait_for_partner') return true;
      } catch {
        // The thread ended meanwhile.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

/** Lets a thread blocked opening `fifo` for reading go on (it sees end of file). */
function unblock(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading it (any more).
  }
}

function overlaps(a: Region, b: Region): boolean {
  return a.ptr < b.ptr + b.size && b.ptr < a.ptr + a.size;
}

/**
 * Starts a one-worker context (stored in `started` at once, for the caller to stop), lets
 * its thread take a span, then kills that thread inside openSync() of the FIFO `fifo` by
 * cancelling a job. Returns the killed thread and its span; the caller must unblock(fifo).
 */
async function killInsideSystemCall(fifo: string, started: { kiln?: Kiln }): Promise<{ kiln: Kiln; peek: Peek; killed: Worker; killedSpan: Region }> {
  const kiln = await Kiln.start({ workers: 1, memory: '16m', workerMemory: '16m' });
  started.kiln = kiln;
  const peek = kiln as unknown as Peek;
  assert.is(await kiln.parallelize([1, 2, 3], 1).count(), 3);
  const killed = peek.tasks.pool.threads[0]!;
  const killedSpan = peek.tasks.budget.held.get(killed.threadId)!;
  assert.ok(killedSpan, 'the first thread holds a span');

  writeFileSync(fifo, 'a\nb\nc\n');
  const lines = kiln.textFile(fifo);
  unlinkSync(fifo);
  execFileSync('mkfifo', [fifo]);
  const controller = new AbortController();
  const job = lines.count({ signal: controller.signal });
  assert.ok(await blockedOnFifo(), 'the task blocks in openSync() of the FIFO');
  controller.abort();
  await rejects(() => job, /cancelled/);
  assert.is.not(killed.threadId, -1, 'the killed thread has not exited: it is still inside openSync()');
  return { kiln, peek, killed, killedSpan };
}

test('a killed thread still in a system call keeps its span: the next job runs in other memory, exactly', async () => {
  if (!linux) return;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-killed-'));
  const fifo = join(dir, 'input.txt');
  const started: { kiln?: Kiln } = {};
  try {
    const { kiln, peek, killed, killedSpan } = await killInsideSystemCall(fifo, started);
    const data = Array.from({ length: 20_000 }, (_, i) => `w${i % 997}`);
    const counts = new Map(await kiln.parallelize(data, 4).valueCounts(3).collect());
    assert.is(counts.size, 997);
    assert.is(counts.get('w0'), 21);
    const [replacement] = peek.tasks.pool.threads;
    assert.is.not(replacement!.threadId, killed.threadId);
    const span = peek.tasks.budget.held.get(replacement!.threadId)!;
    assert.ok(span, 'the replacement holds a span');
    assert.is(killed.threadId === -1, false, 'the killed thread is still inside openSync()');
    assert.not.ok(overlaps(span, killedSpan), `the replacement's span [${span.ptr}, +${span.size}) is the killed, still running thread's [${killedSpan.ptr}, +${killedSpan.size})`);

    // Once the thread has exited, its span is free again.
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    unblock(fifo);
    await exited;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal([...peek.tasks.budget.held.keys()], [replacement!.threadId], 'only the live thread holds a span');
    assert.is(peek.tasks.budget.spans.bytesInUse, span.size, "the exited thread's span was returned");
  } finally {
    unblock(fifo);
    await started.kiln?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stop() while a killed thread is still in a system call returns, and frees every span', async () => {
  if (!linux) return;
  const dir = mkdtempSync(join(tmpdir(), 'kiln-killed-'));
  const fifo = join(dir, 'input.txt');
  const started: { kiln?: Kiln } = {};
  try {
    const { kiln, peek, killed } = await killInsideSystemCall(fifo, started);
    assert.equal(await kiln.parallelize([1, 2, 3], 2).map((x) => x * 2).collect(), [2, 4, 6]);
    await kiln.stop();
    assert.is.not(killed.threadId, -1, 'stop() did not wait for the stuck thread');
    assert.is(peek.tasks.budget.held.size, 0, 'no span is held after stop()');
    assert.is(peek.tasks.budget.spans.bytesInUse, 0, 'every span is free after stop()');
  } finally {
    unblock(fifo);
    await started.kiln?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
