// The driver's block manager for persisted datasets (Spark's BlockManager +
// MemoryStore + DiskStore, for one executor). Policy:
// - A block is (dataset id, partition), written once by the task attempt that
//   computed the whole partition (engine/executor/storage/block-io.ts); a second copy that
//   arrives later (two jobs computed it at once) is dropped.
// - Two tiers (engine/driver/storage/storage-level.ts). Encoded blocks live in regions of
//   the shared memory's pool (the shuffle arena) or in files. A deserialized level's
//   block may also have a decoded copy in the heap of the worker thread that computed
//   it, granted here as the task builds it (reserveDecoded) and owned through a slot
//   word (decoded-slots.ts); tasks over the partition prefer that thread
//   (preferredThread), and any other thread reads the encoded block. A block exists
//   while its encoded copy does; the decoded copy is an extra on top of it.
// - Both tiers count against `capacity` (the `storageMemory` option): encoded bytes
//   in the pool plus the decoded copies' estimated heap bytes. Storing past the
//   capacity evicts least-recently-used blocks across datasets, a block's decoded
//   copy first, then its encoded memory copy; a block of a dataset a running job
//   reads is never evicted. An evicted MEMORY_AND_DISK block is written to the spill
//   directory; a MEMORY_ONLY one is dropped and recomputed from lineage when next
//   needed. A block that cannot get room goes to disk if its level allows, else it is
//   not stored. A decoded copy whose thread died is forgotten at the next job.
// - Execution comes first (Spark's unified memory rule): when a shuffle cannot get a
//   region, the budget asks here, and encoded memory blocks are evicted, LRU, down to
//   a protected floor of `floor` bytes of them; storage never evicts execution.
//   Decoded copies free no pool memory, so execution leaves them alone.
// - Hits (a task read a stored block; per tier as the tasks report it), misses (a
//   task computed a persisted partition) and evictions are counted per dataset, for
//   the job metrics.
import { rmSync } from 'node:fs';
import type { BlockLocation, NodeSpec, StoredBlock } from '../../common/protocol/protocol.js';
import { KilnError } from '../../common/errors.js';
import type { MemoryBudget } from '../../executor/memory/budget.js';
import type { Region } from '../../executor/memory/region.js';
import type { LineageNode, PersistedNode } from '../plan/lineage.js';
import type { DecodedRequest } from '../../executor/memory/budget.js';
import type { BlockRead, DecodedRef } from '../../common/protocol/protocol.js';
import { writeBlockFile } from '../../executor/storage/block-io.js';
import { DecodedSlots } from './decoded-slots.js';
import type { StorageLevel } from './storage-level.js';

/** A persisted dataset's storage figures (per job in JobMetrics, or since it was persisted). */
export interface DatasetStorage {
  readonly datasetId: number;
  readonly level: string;
  /** Partitions read from a stored block. */
  hits: number;
  /** Of those, read from a worker's decoded copy (the thread that holds it ran the task). */
  decodedHits: number;
  /** Of those, read from the encoded block (count() of a stored block reads neither tier). */
  encodedHits: number;
  /** Partitions computed because no block was stored. */
  misses: number;
  /** Blocks moved out of memory (to disk or dropped) to make room. */
  evictions: number;
  /** Decoded copies dropped to make room (their encoded blocks stay). */
  decodedEvictions: number;
  /** Bytes of this dataset's blocks in memory (both tiers) and on disk now. */
  memoryBytes: number;
  diskBytes: number;
  /** Of memoryBytes, the decoded copies' estimated heap bytes. */
  decodedBytes: number;
  /** Partitions with a decoded copy now. */
  decodedPartitions: number;
  /** Partitions stored now (in memory or on disk). */
  cachedPartitions: number;
}

interface Block {
  readonly datasetId: number;
  readonly partition: number;
  location: BlockLocation;
  /** The pool region of a memory block. */
  region: Region | undefined;
  readonly records: number;
  /** The decoded copy: its slot, the thread holding it, its reserved heap bytes. */
  decoded: (DecodedRef & { readonly thread: number; readonly bytes: number }) | undefined;
}

/** A decoded copy being built by a running task: its key and the bytes reserved so far. */
interface PendingCopy {
  readonly key: string;
  bytes: number;
}

interface Persisted {
  readonly level: StorageLevel;
  readonly partitions: number;
  /** Cumulative figures since persist(). */
  readonly totals: DatasetStorage;
}

/** Counters of one job, by dataset id. */
export type JobStorage = Map<number, DatasetStorage>;

/** Stores and finds persisted partitions' blocks. */
export class StorageManager {
  /** Blocks by "id:partition", in LRU order (oldest first: a hit moves a block to the end). */
  private readonly blocks = new Map<string, Block>();
  private readonly persisted = new Map<number, Persisted>();
  /** Dataset ids read by running jobs (a count per id): never evicted. */
  private readonly pinned = new Map<number, number>();
  /** Bytes of encoded memory blocks, and of decoded copies (held and being built). */
  private encodedInUse = 0;
  private decodedInUse = 0;
  /** Pool regions granted to running tasks for encoded blocks (counted in encodedInUse), by key. */
  private readonly pendingBlocks = new Map<string, { ptr: number; bytes: number }[]>();
  /** Decoded copies running tasks are building, by slot. */
  private readonly pending = new Map<number, PendingCopy>();
  /** The job computing each claimed partition (its evictions count there). */
  private readonly claimedBy = new Map<string, JobStorage>();
  /** The live worker threads (TaskScheduler.threadIds): copies on other threads are gone. */
  liveThreads: (() => readonly number[]) | undefined;
  /** Partitions a running task set is computing and will store (Spark's block write lock), by key. */
  private readonly computing = new Map<string, Promise<void>>();
  /** Unpersisted while pinned: blocks freed at the last unpin. */
  private readonly doomed = new Set<number>();

  /**
   * @param capacity most bytes of memory blocks (storageMemory)
   * @param floor storage bytes execution may not evict (the protected floor)
   */
  constructor(
    private readonly budget: MemoryBudget,
    private readonly memory: WebAssembly.Memory,
    readonly capacity: number,
    readonly floor: number,
    private readonly spillDir: string,
    /** The decoded-copy slots, whose words the workers read (WorkerInit.decodedSlots). */
    readonly slots: DecodedSlots = new DecodedSlots(),
  ) {}

  /** Bytes of memory blocks held now: encoded blocks in the pool plus decoded copies. */
  get memoryBytes(): number {
    return this.encodedInUse + this.decodedInUse;
  }

  /** Bytes of encoded blocks in the pool now. */
  get encodedBytes(): number {
    return this.encodedInUse;
  }

  /** Estimated heap bytes of decoded copies now (held, and being built by running tasks). */
  get decodedBytes(): number {
    return this.decodedInUse;
  }

  private get memoryInUse(): number {
    return this.encodedInUse + this.decodedInUse;
  }

  /** Starts persisting a dataset (lazily: blocks are stored as jobs compute partitions). */
  persist(datasetId: number, level: StorageLevel, partitions: number): void {
    // Persisted again while a job still reads its blocks: they hold the same records, keep them.
    this.doomed.delete(datasetId);
    const existing = this.persisted.get(datasetId);
    if (existing) {
      if (existing.level.name === level.name) return;
      throw new KilnError('usage', `dataset ${datasetId} is already persisted at ${existing.level.name}; a persisted dataset's level cannot change to ${level.name}: call unpersist() first`);
    }
    this.persisted.set(datasetId, { level, partitions, totals: emptyFigures(datasetId, level.name) });
  }

  /** Stops persisting a dataset and frees its blocks (memory regions and files). */
  unpersist(datasetId: number): void {
    if (!this.persisted.delete(datasetId)) return;
    // A running job may be reading these blocks in place: free them when it ends.
    if (this.pinned.has(datasetId)) {
      this.doomed.add(datasetId);
      return;
    }
    this.freeDataset(datasetId);
  }

  private freeDataset(datasetId: number): void {
    for (const [key, block] of this.blocks) {
      if (block.datasetId !== datasetId) continue;
      this.blocks.delete(key);
      if (block.region) this.encodedInUse -= block.location.len;
      this.free(block);
    }
  }

  /** The level a dataset is persisted at, if it is. */
  levelOf(datasetId: number): StorageLevel | undefined {
    return this.persisted.get(datasetId)?.level;
  }

  /** Ids of persisted datasets. */
  get datasetIds(): number[] {
    return [...this.persisted.keys()];
  }

  /** A dataset's figures since it was persisted (undefined when it is not). */
  figures(datasetId: number): DatasetStorage | undefined {
    const p = this.persisted.get(datasetId);
    if (!p) return undefined;
    return { ...p.totals, ...this.held(datasetId) };
  }

  /**
   * Waits until no other task set is computing a persisted partition that `build`
   * would compute (Spark's block lock: the second reader waits for the writer, then
   * reads its block), then builds the task trees with the resolver and marks the
   * partitions they compute as being computed until `done` (the task set's end).
   */
  async lockedBuild<T>(job: JobStorage, build: (persisted: PersistedNode) => T): Promise<{ value: T; done: () => void }> {
    this.forgetDeadThreads();
    for (;;) {
      const waits = new Set<Promise<void>>();
      build((node, partition) => {
        if (!this.persisted.has(node.id) || this.blocks.has(blockKey(node.id, partition))) return undefined;
        const pending = this.computing.get(blockKey(node.id, partition));
        if (pending) waits.add(pending);
        return undefined;
      });
      if (waits.size === 0) break;
      await Promise.all(waits);
    }
    const claimed: string[] = [];
    let release!: () => void;
    const finished = new Promise<void>((resolve) => (release = resolve));
    const value = build(this.resolver(job, (key) => {
      this.computing.set(key, finished);
      this.claimedBy.set(key, job);
      claimed.push(key);
    }));
    return {
      value,
      done: () => {
        const keys = new Set(claimed);
        for (const key of claimed) {
          if (this.computing.get(key) !== finished) continue;
          this.computing.delete(key);
          this.claimedBy.delete(key);
        }
        // Copies of attempts that failed, or of a task set that failed, are not kept.
        for (const [slot, copy] of this.pending) if (keys.has(copy.key)) this.dropPending(slot);
        // Their block regions were released with the failed attempt (or stay with the failed job's outcomes).
        for (const key of keys) {
          for (const b of this.pendingBlocks.get(key) ?? []) this.encodedInUse -= b.bytes;
          this.pendingBlocks.delete(key);
        }
        release();
      },
    };
  }

  /**
   * The resolver a job's task trees use (lineage.ts taskNode): a stored block, or the
   * partition computed and stored (`onCompute` is told its key). Counts hits and misses into `job`.
   */
  resolver(job: JobStorage, onCompute?: (key: string) => void): PersistedNode {
    return (node: LineageNode, partition: number, compute: () => NodeSpec): NodeSpec | undefined => {
      const p = this.persisted.get(node.id);
      if (!p) return undefined;
      const key = blockKey(node.id, partition);
      const block = this.blocks.get(key);
      const figures = jobFigures(job, node.id, p.level.name);
      if (block) {
        // LRU: a block read is the most recently used.
        this.blocks.delete(key);
        this.blocks.set(key, block);
        figures.hits++;
        p.totals.hits++;
        const decoded = block.decoded ? { decoded: { slot: block.decoded.slot, gen: block.decoded.gen } } : {};
        return { t: 'cached', datasetId: node.id, partition, location: block.location, records: block.records, ...decoded };
      }
      figures.misses++;
      p.totals.misses++;
      onCompute?.(key);
      return { t: 'persist', datasetId: node.id, partition, memory: p.level.useMemory, disk: p.level.useDisk, decoded: p.level.deserialized, parent: compute() };
    };
  }

  /**
   * Takes the blocks a task stored. Returns the task's regions that are not blocks
   * (its shuffle output). Evictions are counted into `job`.
   */
  accept(stored: readonly StoredBlock[] | undefined, regions: readonly Region[], job: JobStorage, thread = 0): Region[] {
    if (!stored || stored.length === 0) return [...regions];
    const rest = [...regions];
    for (const s of stored) {
      let region: Region | undefined;
      if (s.location.kind === 'memory' && s.location.len > 0) {
        const i = rest.findIndex((r) => r.ptr === (s.location as { ptr: number }).ptr);
        if (i < 0) throw new KilnError('internal', `the block of dataset ${s.datasetId} partition ${s.partition} is not in a region its task was given`);
        region = rest.splice(i, 1)[0];
      }
      const block: Block = { datasetId: s.datasetId, partition: s.partition, location: s.location, region, records: s.records, decoded: undefined };
      const p = this.persisted.get(s.datasetId);
      const key = blockKey(s.datasetId, s.partition);
      // The decoded copy's bytes were reserved while the task ran; the block takes them over.
      const copy = s.decoded ? this.pending.get(s.decoded.slot) : undefined;
      if (s.decoded && copy) {
        this.pending.delete(s.decoded.slot);
        block.decoded = { slot: s.decoded.slot, gen: s.decoded.gen, thread, bytes: copy.bytes };
      }
      // Unpersisted meanwhile, or already stored by another job's task: drop this copy.
      if (!p || this.blocks.has(key)) {
        this.free(block);
        continue;
      }
      // Granted against storageMemory while the task ran: already counted.
      const granted = block.location.kind === 'memory' ? this.takePendingBlock(key, block.location.ptr) : undefined;
      if (granted !== undefined) this.encodedInUse -= granted;
      if (block.location.kind === 'memory') {
        const len = block.location.len;
        if (this.memoryInUse + len > this.capacity) this.evict(this.memoryInUse + len - this.capacity, 0, job, key);
        if (this.memoryInUse + len > this.capacity) {
          // No room: a level with disk writes it there; MEMORY_ONLY does not store it.
          if (!p.level.useDisk) {
            this.free(block);
            continue;
          }
          this.toDisk(block);
        } else this.encodedInUse += len;
      }
      this.blocks.set(key, block);
    }
    return rest;
  }

  /**
   * A pool region for the encoded block a task is storing (the budget's
   * reserveBlock): granted only if storageMemory has room, after evicting LRU blocks
   * of other partitions; counted as held from now on.
   */
  reserveBlock(req: { datasetId: number; partition: number; bytes: number }): Region | undefined {
    const key = blockKey(req.datasetId, req.partition);
    if (!this.persisted.has(req.datasetId)) return undefined;
    const over = this.memoryInUse + req.bytes - this.capacity;
    if (over > 0) this.evict(over, 0, this.claimedBy.get(key), key);
    if (this.memoryInUse + req.bytes > this.capacity) return undefined;
    const region = this.budget.reserveShuffle(req.bytes);
    if (!region) return undefined;
    this.encodedInUse += req.bytes;
    const list = this.pendingBlocks.get(key) ?? [];
    list.push({ ptr: region.ptr, bytes: req.bytes });
    this.pendingBlocks.set(key, list);
    return region;
  }

  /** Removes a granted block region from the pending list; its bytes, or undefined when it was not granted here. */
  private takePendingBlock(key: string, ptr: number): number | undefined {
    const list = this.pendingBlocks.get(key);
    const i = list?.findIndex((b) => b.ptr === ptr) ?? -1;
    if (!list || i < 0) return undefined;
    const [b] = list.splice(i, 1);
    if (list.length === 0) this.pendingBlocks.delete(key);
    return b!.bytes;
  }

  /** Counts the tiers a task's reads came from into the dataset figures. */
  countReads(reads: readonly BlockRead[] | undefined, job: JobStorage): void {
    for (const r of reads ?? []) {
      const p = this.persisted.get(r.datasetId);
      if (!p) continue;
      const figures = jobFigures(job, r.datasetId, p.level.name);
      const tier = r.tier === 'decoded' ? 'decodedHits' : 'encodedHits';
      figures[tier]++;
      p.totals[tier]++;
    }
  }

  /**
   * Grants heap bytes to a decoded copy a task is building (the budget's
   * reserveDecoded): evicts LRU blocks of other partitions to make room, refuses when
   * there is none (then frees the slot and everything it held), or when the dataset
   * is no longer persisted or every slot is taken.
   */
  reserveDecoded(req: DecodedRequest): DecodedRef | undefined {
    const key = blockKey(req.datasetId, req.partition);
    let slot = req.slot;
    if (slot < 0) {
      if (!this.persisted.has(req.datasetId)) return undefined;
      const granted = this.slots.alloc();
      if (!granted) return undefined;
      slot = granted.slot;
      this.pending.set(slot, { key, bytes: 0 });
    }
    const copy = this.pending.get(slot);
    if (!copy || copy.key !== key || !this.persisted.has(req.datasetId)) {
      if (copy) this.dropPending(slot);
      return undefined;
    }
    const over = this.memoryInUse + req.bytes - this.capacity;
    if (over > 0 && req.bytes > 0) this.evict(over, 0, this.claimedBy.get(key), key);
    if (req.bytes > 0 && this.memoryInUse + req.bytes > this.capacity) {
      this.dropPending(slot);
      return undefined;
    }
    copy.bytes += req.bytes;
    this.decodedInUse += req.bytes;
    return { slot, gen: this.slotGen(slot) };
  }

  /**
   * The thread holding decoded copies of the cached partitions a task reads (the
   * TaskScheduler's locality hook): the one with the most, or undefined for none.
   */
  preferredThread(node: NodeSpec): number | undefined {
    const counts = new Map<number, number>();
    visitCached(node, (datasetId, partition) => {
      const thread = this.blocks.get(blockKey(datasetId, partition))?.decoded?.thread;
      if (thread !== undefined) counts.set(thread, (counts.get(thread) ?? 0) + 1);
    });
    let best: number | undefined;
    for (const [thread, n] of counts) if (best === undefined || n > counts.get(best)!) best = thread;
    return best;
  }

  /** Forgets decoded copies held by threads that are gone (killed with a cancelled task): their heaps went with them. */
  private forgetDeadThreads(): void {
    if (!this.liveThreads) return;
    const live = new Set(this.liveThreads());
    for (const block of this.blocks.values()) if (block.decoded && !live.has(block.decoded.thread)) this.dropDecoded(block);
  }

  /** The generation a live slot was granted with (its word). */
  private slotGen(slot: number): number {
    return Atomics.load(new Int32Array(this.slots.buffer, slot * 4, 1), 0);
  }

  /** Frees a copy being built, and its bytes. */
  private dropPending(slot: number): void {
    const copy = this.pending.get(slot);
    if (!copy) return;
    this.pending.delete(slot);
    this.decodedInUse -= copy.bytes;
    this.slots.release(slot);
  }

  /** Drops a block's decoded copy (its thread deletes it at its next task); returns the bytes freed. */
  private dropDecoded(block: Block): number {
    const d = block.decoded;
    if (!d) return 0;
    block.decoded = undefined;
    this.slots.release(d.slot);
    this.decodedInUse -= d.bytes;
    return d.bytes;
  }

  /** Marks datasets as read by a running job (their blocks are not evicted until `unpin`). */
  pin(ids: Iterable<number>): void {
    for (const id of ids) this.pinned.set(id, (this.pinned.get(id) ?? 0) + 1);
  }

  /** Ends a `pin`. */
  unpin(ids: Iterable<number>): void {
    for (const id of ids) {
      const n = (this.pinned.get(id) ?? 1) - 1;
      if (n <= 0) {
        this.pinned.delete(id);
        if (this.doomed.delete(id)) this.freeDataset(id);
      } else this.pinned.set(id, n);
    }
  }

  /**
   * Execution needs `bytes` of the pool: evicts LRU blocks, keeping at least the
   * protected floor. Returns whether anything was freed (the caller retries).
   */
  evictForExecution(bytes: number): boolean {
    return this.evict(bytes, this.floor, undefined, undefined, 'encoded') > 0;
  }

  /** Frees everything (the context stops). */
  clear(): void {
    for (const block of this.blocks.values()) this.free(block);
    for (const slot of [...this.pending.keys()]) this.dropPending(slot);
    this.blocks.clear();
    this.encodedInUse = 0;
    this.decodedInUse = 0;
    this.persisted.clear();
  }

  /**
   * Evicts from LRU blocks of unpinned datasets (other than `except`, the partition
   * making room) until `bytes` are freed: a block's decoded copy first, then its
   * encoded memory copy, unless that would take encoded memory below `keep`.
   * `tiers` 'encoded': pool memory only (execution needs pool regions). Returns the
   * bytes freed.
   */
  private evict(bytes: number, keep: number, job: JobStorage | undefined, except?: string, tiers: 'both' | 'encoded' = 'both'): number {
    let freed = 0;
    for (const [key, block] of this.blocks) {
      if (freed >= bytes) break;
      if (this.pinned.has(block.datasetId) || key === except) continue;
      const p = this.persisted.get(block.datasetId)!;
      if (tiers === 'both' && block.decoded) {
        freed += this.dropDecoded(block);
        p.totals.decodedEvictions++;
        if (job) jobFigures(job, block.datasetId, p.level.name).decodedEvictions++;
        if (freed >= bytes) break;
      }
      if (block.location.kind !== 'memory' || !block.region) continue;
      const len = block.location.len;
      if (this.encodedInUse - len < keep) continue;
      if (p.level.useDisk) this.toDisk(block);
      else {
        this.blocks.delete(key);
        this.free(block);
      }
      this.encodedInUse -= len;
      freed += len;
      p.totals.evictions++;
      if (job) jobFigures(job, block.datasetId, p.level.name).evictions++;
    }
    return freed;
  }

  /** Moves a memory block's bytes to a file and frees its region. */
  private toDisk(block: Block): void {
    const loc = block.location as { kind: 'memory'; ptr: number; len: number };
    const bytes = new Uint8Array(this.memory.buffer, loc.ptr, loc.len);
    block.location = writeBlockFile({ spec: { spillDir: this.spillDir, attempt: 0 } }, block.datasetId, block.partition, bytes);
    if (block.region) this.budget.releaseShuffle(block.region);
    block.region = undefined;
  }

  /** Frees a block's decoded copy, region and file; the caller keeps `encodedInUse` right. */
  private free(block: Block): void {
    this.dropDecoded(block);
    if (block.region) {
      this.budget.releaseShuffle(block.region);
      block.region = undefined;
    }
    if (block.location.kind === 'file') rmSync(block.location.path, { force: true });
  }

  private held(datasetId: number): Pick<DatasetStorage, 'memoryBytes' | 'diskBytes' | 'cachedPartitions' | 'decodedBytes' | 'decodedPartitions'> {
    let memoryBytes = 0;
    let diskBytes = 0;
    let cachedPartitions = 0;
    let decodedBytes = 0;
    let decodedPartitions = 0;
    for (const b of this.blocks.values()) {
      if (b.datasetId !== datasetId) continue;
      cachedPartitions++;
      if (b.location.kind === 'memory') memoryBytes += b.location.len;
      else diskBytes += b.location.len;
      if (b.decoded) {
        decodedPartitions++;
        decodedBytes += b.decoded.bytes;
      }
    }
    return { memoryBytes: memoryBytes + decodedBytes, diskBytes, cachedPartitions, decodedBytes, decodedPartitions };
  }

  /** Fills a job's figures with the bytes held now (at the job's end). */
  finish(job: JobStorage): void {
    for (const f of job.values()) Object.assign(f, this.held(f.datasetId));
  }
}

function blockKey(datasetId: number, partition: number): string {
  return `${datasetId}:${partition}`;
}

function emptyFigures(datasetId: number, level: string): DatasetStorage {
  return { datasetId, level, hits: 0, decodedHits: 0, encodedHits: 0, misses: 0, evictions: 0, decodedEvictions: 0, memoryBytes: 0, diskBytes: 0, decodedBytes: 0, decodedPartitions: 0, cachedPartitions: 0 };
}

function jobFigures(job: JobStorage, datasetId: number, level: string): DatasetStorage {
  let f = job.get(datasetId);
  if (!f) job.set(datasetId, (f = emptyFigures(datasetId, level)));
  return f;
}

/** Calls `visit` for every stored block a task tree reads. */
function visitCached(node: NodeSpec, visit: (datasetId: number, partition: number) => void): void {
  switch (node.t) {
    case 'cached':
      if (node.decoded) visit(node.datasetId, node.partition);
      return;
    case 'persist':
    case 'op':
      return visitCached(node.parent, visit);
    case 'concat':
    case 'cogroup':
      for (const part of node.parts) visitCached(part, visit);
      return;
    case 'zip':
      for (const part of node.parts) visitCached(part, visit);
      return;
    case 'join':
      visitCached(node.join.left, visit);
      visitCached(node.join.right, visit);
      return;
    case 'cartesian':
    case 'nestedLoop':
      visitCached(node.left, visit);
      visitCached(node.right, visit);
      return;
    default:
      return;
  }
}
