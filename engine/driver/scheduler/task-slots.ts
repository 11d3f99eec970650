// Task slots: how many tasks the driver has handed to worker threads at once. Policy,
// Spark's TaskSchedulerImpl: a task is launched only on a free core (here a free
// worker thread), so every launched task is really running and the rest wait in the
// driver, first come first served across all task sets of the context. Before this,
// every task of a stage went into piscina's queue at once and listeners counted the
// queued ones as running (the progress bar drew `(0 + 4) / 4` with 2 workers).
// Holding a slot never waits on another task, so slots cannot deadlock.

/** Gives a slot back; calling it twice is a no-op. */
export type ReleaseSlot = () => void;

/** A FIFO counting semaphore of worker-thread slots. */
export class TaskSlots {
  private free: number;
  private readonly waiting: { grant: (release: ReleaseSlot) => void; signal: AbortSignal | undefined; onAbort: () => void }[] = [];

  /** @param slots how many tasks may run at once (the worker count, at least 1) */
  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`task slots must be a positive integer (got ${slots})`);
    this.free = slots;
  }

  /** Slots taken now (for tests and metrics). */
  get taken(): number {
    return this.slots - this.free;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with the signal's
   * reason if `signal` aborts first (the waiter leaves the queue, taking no slot).
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free > 0 && this.waiting.length === 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((grant, fail) => {
      const waiter = {
        grant,
        signal,
        onAbort: () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) this.waiting.splice(at, 1);
          fail(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (!next) {
        this.free++;
        return;
      }
      // The slot passes straight to the next waiter: `free` does not change.
      next.signal?.removeEventListener('abort', next.onAbort);
      next.grant(this.releaser());
    };
  }
}
