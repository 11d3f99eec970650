// The worker-thread task module (a piscina task function, import()ed by
// worker-entry.cts, never require()d). Policy: every task is run to a TaskResult —
// failures are returned as plain data, never thrown, so the driver sees the user's
// cause and decides on retries. The thread's kernel instance and span live across
// tasks (made on the first one).
import { performance } from 'node:perf_hooks';
import { threadId, workerData } from 'node:worker_threads';
import { toPlainError } from '../../common/errors.js';
import { READY_WORD, type TaskResult, type TaskSpec, type WorkerInit } from '../../common/protocol/protocol.js';
import { runResultSink } from './sinks.js';
import { TaskContext, type Requester } from './task-context.js';
import { writeShuffle } from '../shuffle/writer.js';
import { beginAccumulatorUpdates, takeAccumulatorUpdates } from '../../common/functions/accumulator-task.js';

// esbuild/tsx wraps named functions in __name(fn, "name"); shipped sources may contain it.
(globalThis as { __name?: unknown }).__name ??= (f: unknown) => f;

// In a pool thread (not when the driver imports this module to run tasks inline): this
// thread has loaded the task module; the driver's TaskScheduler.ready() waits for all.
if (workerData && (workerData as Partial<WorkerInit>).control instanceof SharedArrayBuffer) {
  const control = new Int32Array((workerData as WorkerInit).control);
  Atomics.add(control, READY_WORD, 1);
  Atomics.notify(control, READY_WORD);
}

/** Runs one task attempt in a worker thread (the piscina entry). */
export default function runTask(spec: TaskSpec): TaskResult {
  return runTaskWith(spec, workerData as WorkerInit);
}

/**
 * Runs one task attempt with the given kernel module and memory; `direct` answers
 * memory requests when the task runs inline, in the driver's thread.
 */
export function runTaskWith(spec: TaskSpec, init: WorkerInit, direct?: Requester): TaskResult {
  const start = performance.now();
  let ctx: TaskContext | undefined;
  beginAccumulatorUpdates();
  try {
    ctx = TaskContext.open(spec, init, direct);
    const sink = spec.sink;
    if (sink.t === 'shuffleWrite') {
      const blocks = writeShuffle(spec.node, sink, ctx);
      ctx.metrics.runMs = performance.now() - start;
      ctx.metrics.threadId = threadId;
      ctx.metrics.peakMemoryBytes = ctx.rt.allocator.peakBytesInUse;
      return withUpdates({ ok: true, value: null, blocks, metrics: ctx.metrics }, ctx);
    }
    const value = runResultSink(spec.node, sink, ctx);
    ctx.metrics.runMs = performance.now() - start;
    ctx.metrics.threadId = threadId;
    ctx.metrics.peakMemoryBytes = ctx.rt.allocator.peakBytesInUse;
    return withUpdates({ ok: true, value, metrics: ctx.metrics }, ctx);
  } catch (error) {
    const metrics = ctx?.metrics ?? { inputBytes: 0, inputRecords: 0, shuffleWriteBytes: 0, shuffleWriteRecords: 0, shuffleReadBytes: 0, shuffleReadRecords: 0, spillBytes: 0, resultRecords: 0, runMs: 0 };
    metrics.runMs = performance.now() - start;
    metrics.threadId = threadId;
    if (ctx) metrics.peakMemoryBytes = ctx.rt.allocator.peakBytesInUse;
    return { ok: false, error: toPlainError(error), metrics };
  } finally {
    // A failed attempt's updates are dropped here (Spark counts only successful tasks).
    takeAccumulatorUpdates();
    ctx?.close();
  }
}

function withUpdates(result: TaskResult & { ok: true }, ctx: TaskContext): TaskResult {
  const accumulators = takeAccumulatorUpdates();
  ctx.commitDecoded();
  const stored = ctx.stored.length > 0 ? { stored: ctx.stored } : {};
  const reads = ctx.reads.length > 0 ? { reads: ctx.reads } : {};
  return accumulators ? { ...result, ...stored, ...reads, accumulators } : { ...result, ...stored, ...reads };
}
