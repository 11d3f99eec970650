// The shared-memory layout and budget of a context. Policy (STYLE.md 6, DataFusion's
// MemoryReservation): the driver owns the memory map. Each worker thread gets a fixed
// span for its scratch (split buffers, tables, sort buffers), granted on its first
// task and returned when the thread has exited — not when it is told to stop, which
// engine/driver/scheduler/worker-spans.ts decides; shuffle blocks come from the shuffle arena,
// and a map task that is refused there spills its block to disk instead. Decoded
// copies of cached partitions live in worker heaps, not here, but are reserved here
// too (reserveDecoded): the storage manager grants them against storageMemory, so
// every reservation a task makes goes through this one budget. Address space
// is cheap (pages are touched lazily), so spans are sized generously and reused.
import { RegionAllocator } from './allocator.js';
import { alignUp, MAX_MEMORY_BYTES, type Region } from './region.js';

/** Alignment of worker spans (a WebAssembly page). */
const SPAN_ALIGN = 1 << 16;

/** Sizes of the memory map. */
export interface MemoryLayout {
  /** Driver scratch (decoding results, sampling). */
  driverBytes: number;
  /** Scratch span of each worker thread. */
  workerBytes: number;
  /** Worker threads. */
  workers: number;
  /** In-memory shuffle blocks; beyond this, blocks spill to disk. */
  shuffleBytes: number;
}

/** A task's request for heap bytes of a decoded copy (protocol.ts PortRequest 'decoded'). */
export interface DecodedRequest {
  readonly datasetId: number;
  readonly partition: number;
  /** -1: a new copy (a slot is granted with the bytes). */
  readonly slot: number;
  readonly bytes: number;
}

/** A task's request for a pool region holding a persisted partition's encoded block. */
export interface BlockRequest {
  readonly datasetId: number;
  readonly partition: number;
  readonly bytes: number;
}

/** Parses sizes like "512m", "2g", "1.5GiB", "4096" (bytes). */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`cannot read size "${text}": use a number of bytes or a suffix k, m, g (e.g. 512m, 2g)`);
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * scale);
}

/** Allocation state of the shared memory, on the driver. */
export class MemoryBudget {
  private readonly spans: RegionAllocator;
  private readonly shuffle: RegionAllocator;
  private readonly driverSpan: { base: number; limit: number };
  private readonly held = new Map<number, Region>();
  /** How many worker spans the span area holds. */
  private readonly spanSlots: number;

  constructor(memory: WebAssembly.Memory, heapBase: number, readonly layout: MemoryLayout) {
    const base = alignUp(heapBase, SPAN_ALIGN);
    // Room for two spans more than workers: a killed worker's replacement starts at
    // once, while the old thread may still run (inside a system call) and own its span
    // until it exits. Two spares let two replacements start without waiting for that.
    this.spanSlots = layout.workers + 2;
    // Every span starts on a SPAN_ALIGN boundary, so slots of the aligned size tile the
    // area exactly and `spanSlots` spans always fit, however they were freed and reused.
    const spansBase = alignUp(base + layout.driverBytes, SPAN_ALIGN);
    const spansEnd = spansBase + this.spanSlots * alignUp(layout.workerBytes, SPAN_ALIGN);
    const end = spansEnd + layout.shuffleBytes;
    if (end > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `memory layout needs ${(end / 2 ** 30).toFixed(2)} GiB but kernel memory is at most 4 GiB: lower --memory, --worker-memory (${Math.round(layout.workerBytes / 2 ** 20)} MiB for each of ${layout.workers} workers + 2 spares) or --workers`,
      );
    }
    if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
    this.driverSpan = { base, limit: base + layout.driverBytes };
    this.spans = new RegionAllocator(memory, { base: spansBase, limit: spansEnd });
    this.shuffle = new RegionAllocator(memory, { base: spansEnd, limit: end });
  }

  /** The driver's own scratch span. */
  get driver(): { base: number; limit: number } {
    return this.driverSpan;
  }

  /**
   * A worker's scratch span, by thread id (the same span while the thread lives), or
   * undefined when every span is held: by live threads, or by killed ones that have
   * not exited yet (the caller waits for one to exit).
   */
  workerSpan(threadId: number): Region | undefined {
    let span = this.held.get(threadId);
    if (!span) {
      if (this.held.size >= this.spanSlots) return undefined;
      span = this.spans.alloc(this.layout.workerBytes, SPAN_ALIGN);
      this.held.set(threadId, span);
    }
    return span;
  }

  /** Returns a worker's span once its thread has exited (a span is never shared). */
  releaseWorker(threadId: number): void {
    const span = this.held.get(threadId);
    if (span) {
      this.held.delete(threadId);
      this.spans.release(span);
    }
  }

  /**
   * Called when a region cannot be had: frees cached storage blocks (execution evicts
   * storage, engine/driver/storage/storage-manager.ts) and says whether anything was freed.
   */
  onPressure: ((bytes: number) => boolean) | undefined;

  /**
   * Grants worker-heap bytes for a decoded copy of a persisted partition
   * (engine/driver/storage/storage-manager.ts reserveDecoded, against storageMemory).
   */
  onDecoded: ((request: DecodedRequest) => { slot: number; gen: number } | undefined) | undefined;

  /**
   * Grants a pool region for a persisted partition's encoded block against
   * storageMemory (engine/driver/storage/storage-manager.ts reserveBlock).
   */
  onBlock: ((request: BlockRequest) => Region | undefined) | undefined;

  /** A pool region for an encoded block, or undefined when storage has no room (the task writes a file, or stores nothing). */
  reserveBlock(request: BlockRequest): Region | undefined {
    return this.onBlock ? this.onBlock(request) : this.reserveShuffle(request.bytes);
  }

  /** Heap bytes for a decoded copy, or undefined when refused (the task keeps the encoded block only). */
  reserveDecoded(request: DecodedRequest): { slot: number; gen: number } | undefined {
    return this.onDecoded?.(request);
  }

  /** A shuffle-arena region, or undefined when the budget is spent (the caller spills). */
  reserveShuffle(bytes: number): Region | undefined {
    for (;;) {
      try {
        return this.shuffle.alloc(bytes, 8);
      } catch {
        if (!this.onPressure?.(bytes)) return undefined;
      }
    }
  }

  /** Frees a shuffle-arena region. */
  releaseShuffle(region: Region): void {
    this.shuffle.release(region);
  }

  /** Bytes of shuffle blocks held in memory. */
  get shuffleBytesInUse(): number {
    return this.shuffle.bytesInUse;
  }
}
