// The driver's table of decoded-copy slots (the decoded tier's ownership words).
// Policy: a decoded copy lives in one worker thread's heap, where the driver cannot
// reach it; what the driver owns is one Int32 word per copy in shared memory, holding
// the generation the copy was granted with (0: free). Dropping a copy clears its
// word (Atomics.store); the worker sees the cleared word at its next task and deletes
// the copy (engine/executor/storage/decoded-store.ts). Generations are never reused, so a
// slot handed to a new copy cannot revive an old copy that a worker has not deleted
// yet. The table is fixed in size: when every slot is taken, no new copy is kept
// (the encoded block still serves every read).

/** Slots in a context's table (16 KiB of words): more stored partitions than this keep no decoded copy past it. */
export const DECODED_SLOTS = 4096;

/** Allocates and frees decoded-copy slots over the shared words. */
export class DecodedSlots {
  /** The words workers read (WorkerInit.decodedSlots). */
  readonly buffer = new SharedArrayBuffer(DECODED_SLOTS * 4);
  private readonly words = new Int32Array(this.buffer);
  private readonly free: number[] = Array.from({ length: DECODED_SLOTS }, (_, i) => DECODED_SLOTS - 1 - i);
  private lastGen = 0;

  /** A free slot and a fresh generation, now live; undefined when every slot is taken. */
  alloc(): { slot: number; gen: number } | undefined {
    const slot = this.free.pop();
    if (slot === undefined) return undefined;
    // Wraps after 2^31 grants; a wrapped generation could only match a copy that
    // lived through two billion others, which the next task's sweep has long deleted.
    this.lastGen = this.lastGen >= 0x7fffffff ? 1 : this.lastGen + 1;
    // Ordering: the worker learns (slot, gen) from the reply, which is sent after this store.
    Atomics.store(this.words, slot, this.lastGen);
    return { slot, gen: this.lastGen };
  }

  /** Drops the copy of a slot (its worker deletes it at its next task) and frees the slot. */
  release(slot: number): void {
    if (Atomics.load(this.words, slot) === 0) return;
    Atomics.store(this.words, slot, 0);
    this.free.push(slot);
  }

  /** Slots live now (for tests and the memory map). */
  get inUse(): number {
    return DECODED_SLOTS - this.free.length;
  }
}
