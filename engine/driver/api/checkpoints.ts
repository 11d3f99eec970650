// Checkpoints: setCheckpointDir(), checkpoint() and localCheckpoint() on the API side.
// Policy (Spark's RDDCheckpointData): marking a dataset does no work; after the next
// action whose lineage reaches a marked dataset, kiln runs one more job that writes
// its partitions in the record codec, one file per partition, committed atomically
// as saveAsTextFile is (engine/executor/io/commit.ts), and then truncates the dataset's
// lineage to those files: later jobs read them and never its parents, so the input
// may go away. As in Spark, the walk stops at the first marked dataset on each path
// (its ancestors are checkpointed by a later action on them). A reliable checkpoint
// goes under the checkpoint directory and outlives the context; a local one goes to
// the context's spill directory (the block store's disk, removed by stop()), so it
// is as durable as the context and no more. A checkpoint directory that cannot be
// written is refused by setCheckpointDir, before any job runs.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { KilnError } from '../../common/errors.js';
import { OutputCommitter } from '../../executor/io/index.js';
import { dependencies, partitionerOf, type CheckpointFile, type Lineage, type LineageNode } from '../plan/lineage.js';
import type { SavedRecords } from '../../executor/storage/checkpoint-sink.js';
import type { Kiln } from './kiln.js';

/** A dataset as the checkpoint code sees it: its lineage can be replaced once. */
export interface Checkpointable extends LineageNode {
  /** @internal Replaces the lineage by a checkpoint's (lineage truncation). */
  truncateLineage(lineage: Lineage & { kind: 'checkpoint' }): void;
}

/** The checkpoint state of one context. */
export class Checkpoints {
  private directory: string | undefined;
  /** Datasets marked and not written yet: id -> reliable. Weak, so marking keeps nothing alive. */
  private readonly marked = new Map<number, { ref: WeakRef<Checkpointable>; reliable: boolean }>();
  /** Datasets being written now (their own job must not start another write). */
  private readonly writing = new Set<number>();

  constructor(private readonly kiln: Kiln) {}

  /** The directory reliable checkpoints go under (a fresh subdirectory of the one set), if set. */
  get dir(): string | undefined {
    return this.directory;
  }

  /** Sets the checkpoint directory: creates it and a fresh subdirectory, and proves it writable. */
  setDir(dir: string): void {
    if (typeof dir !== 'string' || dir === '') throw new KilnError('usage', 'setCheckpointDir(dir): dir must be a non-empty path');
    // A fresh subdirectory per context, as Spark does, so two applications never mix files.
    const sub = join(resolve(dir), randomUUID());
    const probe = join(sub, '.kiln-write-check');
    try {
      mkdirSync(sub, { recursive: true });
      writeFileSync(probe, '');
      rmSync(probe);
    } catch (cause) {
      throw new KilnError('usage', `setCheckpointDir: cannot write to ${dir} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); choose a directory this process can create and write`, { file: dir }, { cause });
    }
    this.directory = sub;
  }

  /** Marks `ds` to be checkpointed after the next action (a usage error for a reliable one with no directory). */
  mark(ds: Checkpointable, reliable: boolean): void {
    if (reliable && this.directory === undefined) {
      throw new KilnError('usage', `checkpoint() of dataset ${ds.id}: no checkpoint directory is set; call kiln.setCheckpointDir(dir) first (or use localCheckpoint())`);
    }
    if (ds.lineage.kind === 'checkpoint') return;
    this.marked.set(ds.id, { ref: new WeakRef(ds), reliable });
  }

  /** Whether `ds` is marked and not yet written. */
  isMarked(ds: LineageNode): boolean {
    return this.marked.has(ds.id);
  }

  /** Writes the marked datasets `node`'s lineage reaches (after an action over `node`). */
  async afterJob(node: LineageNode): Promise<void> {
    if (this.marked.size === 0) return;
    // A marked dataset the program dropped is never written: forget it.
    for (const [id, m] of this.marked) if (!m.ref.deref()) this.marked.delete(id);
    for (const ds of this.reached(node)) await this.write(ds);
  }

  private reached(node: LineageNode): Checkpointable[] {
    const out: Checkpointable[] = [];
    const seen = new Set<number>();
    const visit = (n: LineageNode): void => {
      if (seen.has(n.id)) return;
      seen.add(n.id);
      const mark = this.marked.get(n.id);
      const ds = mark?.ref.deref();
      if (ds && !this.writing.has(n.id)) return void out.push(ds);
      for (const dep of dependencies(n)) visit(dep.parent);
    };
    visit(node);
    return out;
  }

  private async write(ds: Checkpointable): Promise<void> {
    const mark = this.marked.get(ds.id);
    if (!mark || this.writing.has(ds.id)) return;
    this.writing.add(ds.id);
    try {
      const base = mark.reliable ? this.directory! : join(this.kiln.options.spillDir, 'checkpoints');
      const dir = join(base, `rdd-${ds.id}`);
      let saved: SavedRecords[];
      try {
        const committer = await OutputCommitter.begin(dir, { overwrite: true });
        try {
          saved = (await this.kiln.runJob(ds, { t: 'saveRecords', dir: committer.tempDir })) as SavedRecords[];
          await committer.commit();
        } catch (e) {
          await committer.abort();
          throw e;
        }
      } catch (e) {
        if (e instanceof KilnError && e.kind === 'aborted') throw e;
        // The action's own job succeeded; say that it is the checkpoint that failed.
        const kind = e instanceof KilnError ? e.kind : 'execution';
        throw new KilnError(kind, `the checkpoint of dataset ${ds.id} to ${dir} failed: ${(e as Error).message}; the dataset is not checkpointed, and the next action over it tries again`, { ...(e instanceof KilnError ? e.context : {}), file: dir }, { cause: e });
      }
      const files: CheckpointFile[] = saved.map((s, p) => ({ path: join(dir, `part-${String(p).padStart(5, '0')}`), bytes: s.bytes, records: s.records }));
      ds.truncateLineage({ kind: 'checkpoint', files, dir, reliable: mark.reliable, partitioner: partitionerOf(ds) });
      this.marked.delete(ds.id);
    } finally {
      this.writing.delete(ds.id);
    }
  }
}
