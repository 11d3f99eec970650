// Region allocator over one span of the shared WebAssembly memory.
// Policy: first-touching fresh memory costs about 3 s/GiB on these machines while
// re-touching costs 0.04 s/GiB, so freed regions are kept and reused (best fit,
// neighbours coalesced) rather than handing out new address space. The allocator only
// grows the memory when no free region fits and it owns the top of the memory.
// Not thread-safe: each thread owns its allocator over its own span.
import { alignUp, MAX_MEMORY_BYTES, PAGE_BYTES, type Region } from './region.js';

/** Options for a {@link RegionAllocator}. */
export interface AllocatorOptions {
  /** First byte of the span (rounded up to 64). */
  base: number;
  /** End of the span. Omit to let the allocator grow the memory up to 4 GiB. */
  limit?: number;
}

/** Thrown when a region cannot be had: says how much was asked and what is in use. */
export class OutOfMemoryError extends Error {
  constructor(readonly requested: number, readonly inUse: number, readonly span: number) {
    super(
      `out of kernel memory: asked for ${requested} bytes with ${inUse} of ${span} in use in this worker thread's scratch span; ` +
        `raise --worker-memory (Kiln.start's workerMemory; lowering --memory leaves it room in the 4 GiB), or use smaller splits (--split-size, maxPartitionBytes) and more partitions (--partitions, numPartitions)`,
    );
    this.name = 'OutOfMemoryError';
  }
}

interface FreeBlock {
  ptr: number;
  size: number;
}

/** Best-fit allocator with coalescing over a span of a WebAssembly.Memory. */
export class RegionAllocator {
  /** Free blocks sorted by address. */
  private readonly free: FreeBlock[] = [];
  private readonly live = new Map<number, number>();
  private top: number;
  private inUse = 0;
  /** Largest inUse since resetPeak (a task's peak execution memory). */
  private peak = 0;
  private readonly base: number;
  private readonly limit: number | undefined;
  /** Frees memory kept for reuse (see onPressure); true when it freed something. */
  private reclaim: (() => boolean) | undefined;

  constructor(private readonly memory: WebAssembly.Memory, options: AllocatorOptions) {
    this.base = alignUp(options.base, 64);
    this.top = this.base;
    this.limit = options.limit;
  }

  /** Bytes held by live regions. */
  get bytesInUse(): number {
    return this.inUse;
  }

  /** Largest bytesInUse since the last resetPeak(). */
  get peakBytesInUse(): number {
    return this.peak;
  }

  /** Starts a new peak from what is in use now (a task starts). */
  resetPeak(): void {
    this.peak = this.inUse;
  }

  /** Size of the span (Infinity when the allocator may grow the memory). */
  get capacity(): number {
    return this.limit === undefined ? Infinity : this.limit - this.base;
  }

  /** Bytes of address space this allocator has handed out at least once. */
  get bytesReserved(): number {
    return this.top - this.base;
  }

  /**
   * Registers what to free when an allocation would fail: a cache of regions kept for
   * reuse (a thread's combiner tables) gives way to the task that needs the memory now,
   * rather than failing it. `reclaim` returns whether it released anything.
   */
  onPressure(reclaim: () => boolean): void {
    this.reclaim = reclaim;
  }

  /** A region of at least `size` bytes, aligned to `align` (a power of two, at most 64 KiB). */
  alloc(size: number, align = 64): Region {
    try {
      return this.allocOnce(size, align);
    } catch (error) {
      if (!(error instanceof OutOfMemoryError) || !this.reclaim?.()) throw error;
      return this.allocOnce(size, align);
    }
  }

  private allocOnce(size: number, align: number): Region {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`region size must be a non-negative integer, got ${size}`);
    const want = alignUp(Math.max(size, 1), 64);
    const fit = this.bestFit(want, align);
    let ptr: number;
    if (fit >= 0) {
      const block = this.free[fit]!;
      ptr = alignUp(block.ptr, align);
      const lead = ptr - block.ptr;
      const tail = block.size - lead - want;
      const replacement: FreeBlock[] = [];
      if (lead > 0) replacement.push({ ptr: block.ptr, size: lead });
      if (tail > 0) replacement.push({ ptr: ptr + want, size: tail });
      this.free.splice(fit, 1, ...replacement);
    } else {
      ptr = alignUp(this.top, align);
      const end = ptr + want;
      this.ensureCapacity(end, want);
      if (ptr > this.top) this.insertFree({ ptr: this.top, size: ptr - this.top });
      this.top = end;
    }
    this.live.set(ptr, want);
    this.inUse += want;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return { ptr, size: want };
  }

  /** Returns a region for reuse. Freeing a region twice, or a foreign one, throws. */
  release(region: Region): void {
    const size = this.live.get(region.ptr);
    if (size === undefined) throw new Error(`release of a region this allocator does not hold: ptr=${region.ptr}`);
    this.live.delete(region.ptr);
    this.inUse -= size;
    this.insertFree({ ptr: region.ptr, size });
  }

  /**
   * Returns a region of at least `size` bytes holding the first `keep` bytes of `region`
   * (which is released). Used to grow tables and buffers.
   */
  resize(region: Region, size: number, keep = region.size): Region {
    if (size <= region.size) return region;
    const next = this.alloc(size);
    if (keep > 0) new Uint8Array(this.memory.buffer).copyWithin(next.ptr, region.ptr, region.ptr + Math.min(keep, region.size));
    this.release(region);
    return next;
  }

  private bestFit(want: number, align: number): number {
    let best = -1;
    let bestSize = Infinity;
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      const usable = block.size - (alignUp(block.ptr, align) - block.ptr);
      if (usable >= want && block.size < bestSize) {
        best = i;
        bestSize = block.size;
      }
    }
    return best;
  }

  private insertFree(block: FreeBlock): void {
    // Keep address order, then merge with neighbours so large regions can be reused.
    let i = 0;
    while (i < this.free.length && this.free[i]!.ptr < block.ptr) i++;
    this.free.splice(i, 0, block);
    const next = this.free[i + 1];
    if (next && block.ptr + block.size === next.ptr) {
      block.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.size === block.ptr) {
      prev.size += block.size;
      this.free.splice(i, 1);
    }
    // A free block at the top goes back to the unallocated span.
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.size === this.top) {
      this.top = last.ptr;
      this.free.pop();
    }
  }

  private ensureCapacity(end: number, want: number): void {
    const limit = this.limit ?? MAX_MEMORY_BYTES;
    if (end > limit) throw new OutOfMemoryError(want, this.inUse, limit - this.base);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (this.limit !== undefined) throw new OutOfMemoryError(want, this.inUse, limit - this.base);
      // Grow in large steps: every growth hands out a new SharedArrayBuffer.
      const pages = Math.ceil(Math.max(end - have, have / 2) / PAGE_BYTES);
      const maxPages = MAX_MEMORY_BYTES / PAGE_BYTES - have / PAGE_BYTES;
      this.memory.grow(Math.min(pages, maxPages));
    }
  }
}
