// cache() / persist() / unpersist() on the API side. Policy: persisting is lazy, as
// in Spark: persist() only records the level with the context's storage manager,
// and the first job that computes a partition stores it (engine/driver/storage/). A
// dataset's level cannot change while it is persisted (Spark's rule: unpersist
// first). The context lists persisted datasets through weak references, so a
// persisted dataset the program drops is garbage-collected, and its blocks are freed
// then (Spark's ContextCleaner), as unpersist() frees them at once.
import type { Kiln } from './kiln.js';
import type { Dataset } from './dataset.js';
import { resolveStorageLevel, StorageLevel } from '../storage/storage-level.js';

/** The persisted datasets of one context, held weakly. */
export class PersistentDatasets {
  private readonly refs = new Map<number, WeakRef<Dataset<unknown>>>();
  private readonly collected: FinalizationRegistry<number>;

  constructor(private readonly kiln: Kiln) {
    this.collected = new FinalizationRegistry((id) => {
      this.refs.delete(id);
      this.kiln.storage.unpersist(id);
      this.kiln.reportStorage();
    });
  }

  /** Records `level` for `ds` (a usage error for an unknown level or a changed one). */
  persist(ds: Dataset<unknown>, level: unknown): void {
    const resolved = resolveStorageLevel(level);
    if (resolved === StorageLevel.NONE) return this.unpersist(ds);
    this.kiln.storage.persist(ds.id, resolved, ds.numPartitions);
    if (!this.refs.has(ds.id)) {
      this.refs.set(ds.id, new WeakRef(ds));
      this.collected.register(ds, ds.id, ds);
    }
  }

  /** Stops persisting `ds` and frees its blocks. */
  unpersist(ds: Dataset<unknown>): void {
    this.kiln.storage.unpersist(ds.id);
    this.refs.delete(ds.id);
    this.collected.unregister(ds);
    this.kiln.reportStorage();
  }

  /** The level of `ds` (StorageLevel.NONE when it is not persisted). */
  levelOf(ds: Dataset<unknown>): StorageLevel {
    return this.kiln.storage.levelOf(ds.id) ?? StorageLevel.NONE;
  }

  /** Persisted datasets still referenced, by id. */
  live(): Map<number, Dataset<unknown>> {
    const out = new Map<number, Dataset<unknown>>();
    for (const [id, ref] of this.refs) {
      const ds = ref.deref();
      if (ds) out.set(id, ds);
    }
    return out;
  }
}
