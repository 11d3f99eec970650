// A worker thread's decoded tier: the records of persisted partitions this thread
// computed, kept in its heap so a later task over the same partition on this thread
// reads them without decoding (Spark's MEMORY_ONLY keeps deserialized objects).
// Policy: the driver owns every copy through its slot word (engine/driver/storage/
// decoded-slots.ts); a copy is used only while its word holds its generation, and
// copies whose word was cleared (evicted, unpersisted, a duplicate) are deleted at
// the start of this thread's next task — the thread cannot be reached between tasks.
// A copy is added only when its task attempt succeeds, so a failed or cancelled
// attempt leaves nothing behind. Records are handed to operators as they are, not
// copied: a function that modifies a record it receives would modify the cached
// copy (as in Spark; persist at a _SER level if functions mutate their input).
// A thread that dies takes its copies with it; the encoded blocks remain. Loaded by
// workers (and by the driver's thread when tasks run inline).
import type { DecodedRef } from '../../common/protocol/protocol.js';

interface Copy {
  readonly gen: number;
  readonly records: readonly unknown[];
}

/** This thread's copies by slot, and the words they are checked against. */
const copies = new Map<number, Copy>();
let words: Int32Array | undefined;

/** Deletes the copies the driver dropped; call at each task's start. `buffer`: WorkerInit.decodedSlots. */
export function sweepDecoded(buffer: SharedArrayBuffer | undefined): void {
  if (!buffer) {
    // A task runner with no storage (a bare TaskScheduler): nothing is ever kept.
    copies.clear();
    words = undefined;
    return;
  }
  if (words?.buffer !== buffer) {
    // A new context (inline contexts take turns in the driver's thread): none of the old copies is valid.
    copies.clear();
    words = new Int32Array(buffer);
  }
  for (const [slot, copy] of copies) if (Atomics.load(words, slot) !== copy.gen) copies.delete(slot);
}

/** The records of a copy this thread holds and the driver still owns, or undefined. */
export function findDecoded(ref: DecodedRef): readonly unknown[] | undefined {
  const copy = copies.get(ref.slot);
  if (!copy || copy.gen !== ref.gen || !words || Atomics.load(words, ref.slot) !== ref.gen) return undefined;
  return copy.records;
}

/** Keeps a succeeded attempt's copy. */
export function keepDecoded(ref: DecodedRef, records: readonly unknown[]): void {
  copies.set(ref.slot, { gen: ref.gen, records });
}

/** Copies this thread holds now, valid or not yet swept (for tests). */
export function decodedCopies(): number {
  return copies.size;
}
