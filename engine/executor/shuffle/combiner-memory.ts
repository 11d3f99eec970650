// How much heap a JS combiner (a KeyedMap of reduceByKey(fn), aggregateByKey,
// combineByKey, foldByKey, groupByKey, distinct) may hold, and how its size is known.
// Policy (STYLE.md 6): the driver derives each task's execution memory from the one
// budget — the context's `memory` shared by the worker threads (TaskSpec.sortMemory,
// engine/executor/sort/memory-plan.ts taskSortMemory) — and a JS combiner may reserve up to
// COMBINER_SHARE of it. V8's heap is not kernel memory, so the reservation is a ledger
// of estimated bytes, grown in RESERVE_STEP steps up to that limit; a step that would
// pass it is refused, and the caller spills (the reduce side, external-map.ts) or
// emits what it has (the map side, map-combine.ts) — never a failure. The size is an
// estimate, as Spark's SizeTracker makes it (engine/executor/storage/size-estimator.ts's object
// sizes): a new key costs ENTRY_BYTES plus its key and first combiner; an update of an
// existing key costs nothing when combiners are numbers, booleans or null (replaced in
// place), and the incoming value's size otherwise (a groupByKey list, a concatenated
// string grow by about that; a combiner rebuilt per update is over-counted, so it spills
// early, never late). Values are estimated exactly for the first EXACT updates, then
// one in SAMPLE_EVERY, scaled by the running mean.
import type { TaskContext } from '../runtime/task-context.js';
import { estimateValue } from '../storage/size-estimator.js';
import type { KeyedMap } from './keyed-map.js';

/** Share of the task's execution memory a JS combiner may reserve (the rest is GC headroom, the merge's buffers, records in flight). */
export const COMBINER_SHARE = 0.5;
/** Task execution memory when the driver gave none (tests that build a TaskSpec by hand). */
const DEFAULT_TASK_MEMORY = 256 << 20;
/** The ledger grows in steps of this size. */
const RESERVE_STEP = 1 << 20;
/** Heap bytes of one entry beyond its key and value: the table slots, the JS Map entry or [key, value] array. */
const ENTRY_BYTES = 56;
const EXACT = 256;
const SAMPLE_EVERY = 16;
/** The smallest limit: below it a combiner would spill every few keys. */
const MIN_LIMIT = 64 << 10;

/** The heap bytes a JS combiner of this task may reserve. */
export function combinerLimit(ctx: TaskContext): number {
  return Math.max(MIN_LIMIT, Math.floor((ctx.spec.sortMemory ?? DEFAULT_TASK_MEMORY) * COMBINER_SHARE));
}

/** The estimated size of one growing combiner map and its reservation. */
export class CombinerMemory {
  /** Estimated heap bytes held. */
  bytes = 0;
  private reserved = 0;
  private keysSeen = 0;
  private keyBytesSampled = 0;
  private keysSampled = 0;
  private updatesSeen = 0;
  private updateBytesSampled = 0;
  private updatesSampled = 0;
  /** Whether updates of existing keys grow the combiner (decided from the first combiner). */
  private growing: boolean | undefined;

  constructor(readonly limit: number) {}

  /** Counts a new key with its first combiner. */
  added(key: unknown, combiner: unknown): void {
    if (this.growing === undefined) this.growing = combiner !== null && (typeof combiner === 'object' || typeof combiner === 'string');
    const i = this.keysSeen++;
    if (i < EXACT || i % SAMPLE_EVERY === 0) {
      this.keysSampled++;
      this.keyBytesSampled += estimateValue(key) + estimateValue(combiner);
    }
    this.bytes += ENTRY_BYTES + this.keyBytesSampled / this.keysSampled;
  }

  /** Counts an update of an existing key by `value`. */
  updated(value: unknown): void {
    if (!this.growing) return;
    const i = this.updatesSeen++;
    if (i < EXACT || i % SAMPLE_EVERY === 0) {
      this.updatesSampled++;
      this.updateBytesSampled += 8 + estimateValue(value);
    }
    this.bytes += this.updateBytesSampled / this.updatesSampled;
  }

  /**
   * Reserves up to the estimate; false when the reservation would pass the limit (the
   * caller must spill or emit, then `reset`).
   */
  reserve(): boolean {
    while (this.reserved < this.bytes) {
      if (this.reserved + RESERVE_STEP > this.limit) return false;
      this.reserved += RESERVE_STEP;
    }
    return true;
  }

  /** The map was emptied: its bytes and reservation are given back (the samples are kept). */
  reset(): void {
    this.bytes = 0;
    this.reserved = 0;
  }
}

/**
 * Folds `value` into `key`'s combiner in `map` — create(value) when the key is new, else
 * merge(current, value) — and counts the change in `memory`: the one update both sides
 * of a JS combiner make (map-combine.ts, external-map.ts).
 */
export function trackedUpdate(map: KeyedMap, memory: CombinerMemory, key: unknown, value: unknown, create: (v: unknown) => unknown, merge: (c: unknown, v: unknown) => unknown): void {
  const before = map.size;
  let created: unknown;
  map.update(key, value, (v) => (created = create(v)), merge);
  if (map.size !== before) memory.added(key, created);
  else memory.updated(value);
}
