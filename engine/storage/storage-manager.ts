// The driver's block manager for persisted datasets (Spark's BlockManager +
// MemoryStore + DiskStore, for one executor). Policy:
// - A block is (dataset id, partition), written once by the task attempt that
//   computed the whole partition (engine/storage/block-io.ts); a second copy that
//   arrives later (two jobs computed it at once) is dropped.
// - Memory blocks live in regions of the shared memory's pool (the shuffle arena),
//   at most `capacity` bytes of them (the `storageMemory` option). Storing past the
//   capacity evicts least-recently-used blocks across datasets; a block of a dataset
//   a running job reads is never evicted. An evicted MEMORY_AND_DISK block is written
//   to the spill directory; a MEMORY_ONLY one is dropped and recomputed from lineage
//   when next needed. A block that cannot get room goes to disk if its level allows,
//   else it is not stored.
// - Execution comes first (Spark's unified memory rule): when a shuffle cannot get a
//   region, the budget asks here, and blocks are evicted, LRU, down to a protected
//   floor of `floor` bytes of storage; storage never evicts execution.
// - Hits (a task read a stored block), misses (a task computed a persisted partition)
//   and evictions are counted per dataset, for the job metrics.
import { rmSync } from 'node:fs';
import type { BlockLocation, NodeSpec, StoredBlock } from '../exec/protocol.js';
import { KilnError } from '../errors.js';
import type { MemoryBudget } from '../memory/budget.js';
import type { Region } from '../memory/region.js';
import type { LineageNode, PersistedNode } from '../plan/lineage.js';
import { writeBlockFile } from './block-io.js';
import type { StorageLevel } from './storage-level.js';

/** A persisted dataset's storage figures (per job in JobMetrics, or since it was persisted). */
export interface DatasetStorage {
  readonly datasetId: number;
  readonly level: string;
  /** Partitions read from a stored block. */
  hits: number;
  /** Partitions computed because no block was stored. */
  misses: number;
  /** Blocks moved out of memory (to disk or dropped) to make room. */
  evictions: number;
  /** Bytes of this dataset's blocks in memory and on disk now. */
  memoryBytes: number;
  diskBytes: number;
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
  private memoryInUse = 0;
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
  ) {}

  /** Bytes of memory blocks held now. */
  get memoryBytes(): number {
    return this.memoryInUse;
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
      if (block.region) this.memoryInUse -= block.location.len;
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
      claimed.push(key);
    }));
    return {
      value,
      done: () => {
        for (const key of claimed) if (this.computing.get(key) === finished) this.computing.delete(key);
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
        return { t: 'cached', datasetId: node.id, partition, location: block.location, records: block.records };
      }
      figures.misses++;
      p.totals.misses++;
      onCompute?.(key);
      return { t: 'persist', datasetId: node.id, partition, memory: p.level.useMemory, disk: p.level.useDisk, parent: compute() };
    };
  }

  /**
   * Takes the blocks a task stored. Returns the task's regions that are not blocks
   * (its shuffle output). Evictions are counted into `job`.
   */
  accept(stored: readonly StoredBlock[] | undefined, regions: readonly Region[], job: JobStorage): Region[] {
    if (!stored || stored.length === 0) return [...regions];
    const rest = [...regions];
    for (const s of stored) {
      let region: Region | undefined;
      if (s.location.kind === 'memory' && s.location.len > 0) {
        const i = rest.findIndex((r) => r.ptr === (s.location as { ptr: number }).ptr);
        if (i < 0) throw new KilnError('internal', `the block of dataset ${s.datasetId} partition ${s.partition} is not in a region its task was given`);
        region = rest.splice(i, 1)[0];
      }
      const block: Block = { datasetId: s.datasetId, partition: s.partition, location: s.location, region, records: s.records };
      const p = this.persisted.get(s.datasetId);
      const key = blockKey(s.datasetId, s.partition);
      // Unpersisted meanwhile, or already stored by another job's task: drop this copy.
      if (!p || this.blocks.has(key)) {
        this.free(block);
        continue;
      }
      if (block.location.kind === 'memory') {
        const len = block.location.len;
        if (this.memoryInUse + len > this.capacity) this.evict(this.memoryInUse + len - this.capacity, 0, job);
        if (this.memoryInUse + len > this.capacity) {
          // No room: a level with disk writes it there; MEMORY_ONLY does not store it.
          if (!p.level.useDisk) {
            this.free(block);
            continue;
          }
          this.toDisk(block);
        } else this.memoryInUse += len;
      }
      this.blocks.set(key, block);
    }
    return rest;
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
    return this.evict(bytes, this.floor, undefined) > 0;
  }

  /** Frees everything (the context stops). */
  clear(): void {
    for (const block of this.blocks.values()) this.free(block);
    this.blocks.clear();
    this.memoryInUse = 0;
    this.persisted.clear();
  }

  /**
   * Evicts LRU memory blocks of unpinned datasets until `bytes` are freed or memory
   * use would drop below `keep`. Returns the bytes freed.
   */
  private evict(bytes: number, keep: number, job: JobStorage | undefined): number {
    let freed = 0;
    for (const [key, block] of this.blocks) {
      if (freed >= bytes) break;
      if (block.location.kind !== 'memory' || !block.region || this.pinned.has(block.datasetId)) continue;
      const len = block.location.len;
      if (this.memoryInUse - len < keep) continue;
      const p = this.persisted.get(block.datasetId)!;
      if (p.level.useDisk) this.toDisk(block);
      else {
        this.blocks.delete(key);
        this.free(block);
      }
      this.memoryInUse -= len;
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

  /** Frees a block's region and file; the caller keeps `memoryInUse` right. */
  private free(block: Block): void {
    if (block.region) {
      this.budget.releaseShuffle(block.region);
      block.region = undefined;
    }
    if (block.location.kind === 'file') rmSync(block.location.path, { force: true });
  }

  private held(datasetId: number): Pick<DatasetStorage, 'memoryBytes' | 'diskBytes' | 'cachedPartitions'> {
    let memoryBytes = 0;
    let diskBytes = 0;
    let cachedPartitions = 0;
    for (const b of this.blocks.values()) {
      if (b.datasetId !== datasetId) continue;
      cachedPartitions++;
      if (b.location.kind === 'memory') memoryBytes += b.location.len;
      else diskBytes += b.location.len;
    }
    return { memoryBytes, diskBytes, cachedPartitions };
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
  return { datasetId, level, hits: 0, misses: 0, evictions: 0, memoryBytes: 0, diskBytes: 0, cachedPartitions: 0 };
}

function jobFigures(job: JobStorage, datasetId: number, level: string): DatasetStorage {
  let f = job.get(datasetId);
  if (!f) job.set(datasetId, (f = emptyFigures(datasetId, level)));
  return f;
}
