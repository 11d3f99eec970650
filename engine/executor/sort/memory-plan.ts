// How much memory one sorting task may hold, and how it is cut. Policy (STYLE.md 6):
// the driver derives each task's sort memory from the one budget — the context's
// `memory` shared by the worker threads (TaskSpec.sortMemory) — and a sort that needs
// more spills sorted runs to disk instead of failing. The bytes themselves live in the
// thread's span, which the budget granted; the plan only bounds how much of it a sort
// takes: a run is at most an eighth of the sort memory (and 16 MiB, so it sorts in
// cache-friendly pieces), the line count of a run is bounded too (the kernels' scratch
// is ~60 bytes a line whatever the line's length), a partition's output stays in
// memory up to half of it (and a quarter of the span), and a merge's per-run buffers
// share a quarter of it.
import type { TaskContext } from '../runtime/task-context.js';

/** Sort memory of a task when the driver gave none (tests that build a TaskSpec by hand). */
const DEFAULT_SORT_MEMORY = 256 << 20;
/** The largest run: larger runs stop fitting the caches for no fewer disk bytes. */
const MAX_RUN_BYTES = 16 << 20;
const MIN_RUN_BYTES = 64 << 10;

/** A task's sort memory, cut into its uses (bytes). */
export interface SortMemoryPlan {
  /** Bytes of one in-memory run. */
  readonly runBytes: number;
  /** Lines of one in-memory run. */
  readonly runLines: number;
  /** Bytes of a partition's output kept in memory before it moves to a file. */
  readonly outputBytes: number;
  /** Bytes of all of a merge's read buffers together. */
  readonly mergeBytes: number;
}

/** The plan for this task. */
export function sortMemoryPlan(ctx: TaskContext): SortMemoryPlan {
  return planSortMemory(ctx.spec.sortMemory ?? DEFAULT_SORT_MEMORY, ctx.rt.allocator.capacity);
}

/** The plan for `sortMemory` bytes in a thread span of `spanBytes`. */
export function planSortMemory(sortMemory: number, spanBytes: number): SortMemoryPlan {
  const runBytes = Math.max(MIN_RUN_BYTES, Math.min(MAX_RUN_BYTES, Math.floor(sortMemory / 8), Math.floor(spanBytes / 16)));
  return {
    runBytes,
    runLines: Math.max(1024, Math.min(Math.floor(runBytes / 8), Math.floor(spanBytes / 4 / 64))),
    outputBytes: Math.max(MIN_RUN_BYTES, Math.min(Math.floor(sortMemory / 2), Math.floor(spanBytes / 4))),
    mergeBytes: Math.max(1 << 20, Math.floor(sortMemory / 4)),
  };
}

/** A task's sort memory: its share of the context's memory budget. */
export function taskSortMemory(memoryBytes: number, workers: number): number {
  return Math.floor(memoryBytes / Math.max(1, workers));
}
