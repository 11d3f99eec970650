// The reduce side of a JS combiner out of core (Spark's ExternalAppendOnlyMap). Policy:
// records fold into a KeyedMap while CombinerMemory can reserve its estimated size
// (combiner-memory.ts); when a reservation is refused, the map's entries are sorted by
// key encoding and written as a run (spill-runs.ts), and a fresh map starts. At the
// end the runs and the in-memory remainder are k-way merged by key encoding, equal
// keys combined with mergeCombiners, each run read through one block buffer. The
// ordering is the key encoding alone, not (hash, encoding) as in Spark: encodings
// are already a total order that JS compares natively, and the same order serves the
// sort-merge join. Without a spill, entries are emitted straight from the map, as
// before. Limit: one key's combiner must fit in memory (a groupByKey key whose values
// exceed the heap still fails, as in Spark).
import { ByteReader, ByteWriter, readKey, writeKey } from '../../common/codec/index.js';
import type { TaskContext } from '../runtime/task-context.js';
import { CombinerMemory, combinerLimit, trackedUpdate } from './combiner-memory.js';
import { KeyedMap } from './keyed-map.js';
import { ArraySource, mergeSources, RecordRunReader, removeRuns, sortedIndices, type RecordRun, type RecordSource, RecordRunWriter } from './spill-runs.js';

/** Records between reservation checks. */
const CHECK_EVERY = 1024;

/** A KeyedMap that spills sorted runs when its heap reservation is refused. */
export class ExternalMap {
  private map = new KeyedMap();
  private readonly memory: CombinerMemory;
  private readonly runs: RecordRun[] = [];
  private sinceCheck = 0;

  /**
   * @param mergeCombiners combines two combiners of one key (spilled runs hold combiners)
   * @param what names the run files
   */
  constructor(
    private readonly ctx: TaskContext,
    private readonly mergeCombiners: (a: unknown, b: unknown) => unknown,
    private readonly what: string,
    limit = combinerLimit(ctx),
  ) {
    this.memory = new CombinerMemory(limit);
  }

  /** Runs spilled so far. */
  get spills(): number {
    return this.runs.length;
  }

  /** Folds `value` into `key`'s combiner: create(value) when new, else merge(current, value). */
  update(key: unknown, value: unknown, create: (v: unknown) => unknown, merge: (c: unknown, v: unknown) => unknown): void {
    trackedUpdate(this.map, this.memory, key, value, create, merge);
    if (++this.sinceCheck >= CHECK_EVERY) this.check();
  }

  /** Emits every [key, combiner] once (merging the runs when there are any), then removes the runs. */
  drain(emit: (rec: [unknown, unknown]) => void): void {
    try {
      if (this.runs.length === 0) {
        for (const e of this.map.pairs()) emit(e);
        return;
      }
      const sources: RecordSource[] = this.runs.map((r) => new RecordRunReader(this.ctx, r));
      const rest = this.sortedEntries();
      this.map = new KeyedMap();
      sources.push(new ArraySource(rest.ids, rest.values, rest.order));
      const merge = this.mergeCombiners;
      let id: string | undefined;
      let acc: unknown;
      const flush = (): void => {
        if (id !== undefined) emit([readKey(new ByteReader(Buffer.from(id, 'latin1'))), acc]);
      };
      try {
        mergeSources(this.ctx, sources, (next, value) => {
          if (next === id) acc = merge(acc, value);
          else {
            flush();
            id = next;
            acc = value;
          }
        });
        flush();
      } finally {
        for (const s of sources) s.close();
      }
    } finally {
      this.discard();
    }
  }

  /** Removes any runs (on failure; drain does it itself). */
  discard(): void {
    removeRuns(this.runs);
    this.runs.length = 0;
  }

  private check(): void {
    this.sinceCheck = 0;
    if (this.memory.reserve()) return;
    this.spill();
  }

  private spill(): void {
    const { ids, values, order } = this.sortedEntries();
    this.map = new KeyedMap();
    this.memory.reset();
    const w = RecordRunWriter.create(this.ctx, this.what);
    try {
      for (let i = 0; i < order.length; i++) {
        const j = order[i]!;
        w.add(ids[j]!, values[j]);
        if ((i & 4095) === 4095) this.ctx.checkCancelled();
      }
    } catch (e) {
      w.abort();
      this.discard();
      throw e;
    }
    this.runs.push(w.finish());
    this.ctx.metrics.aggregationSpills = (this.ctx.metrics.aggregationSpills ?? 0) + 1;
  }

  private sortedEntries(): { ids: string[]; values: unknown[]; order: Uint32Array } {
    const ids: string[] = [];
    const values: unknown[] = [];
    const w = new ByteWriter(64);
    for (const [k, v] of this.map.pairs()) {
      w.reset();
      writeKey(w, k);
      ids.push(w.buf.toString('latin1', 0, w.pos));
      values.push(v);
    }
    return { ids, values, order: sortedIndices(ids) };
  }
}
