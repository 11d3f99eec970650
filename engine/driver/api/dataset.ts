// Dataset: kiln's RDD. Policy (STYLE.md 1): a Dataset is immutable lineage — building
// one does no work; transformations return new Datasets, actions run a job through
// the context and resolve with its result. User functions are validated and shipped
// as source when the transformation is called, so a function that captures a
// variable fails at once, naming it, with any worker count.
import { KilnError } from '../../common/errors.js';
import { compareKeys, encodeKey } from '../../common/codec/index.js';
import { shipFunction, type ShippedFunction } from '../../common/functions/index.js';
import { checkCompression, isCompressedPath, inputCodecOf, OutputCommitter, type TextCompression } from '../../executor/io/index.js';
import type { AggregatorSpec, BuiltinAgg, LineSearch, OpSpec, SinkSpec } from '../../common/protocol/protocol.js';
import { explainStages } from '../plan/dag-scheduler.js';
import { partitionCount, partitionerOf, type Lineage, type LineageNode, type ShuffleDependency } from '../plan/lineage.js';
import { checkPartitions, hashPartitioner, samePartitioner, type KeyFormat, type PartitionerSpec } from '../../common/protocol/partitioner.js';
import type { Kiln } from './kiln.js';
import { SortedLines, type SortLinesOptions } from './sorted-lines.js';
import { literalUnsupported, rangeUnsupported } from '../../executor/kernels/grep.js';
import type { TextEncoding } from '../../common/io/text-encoding.js';
import { expandTableBatch, isTableBatch } from '../../executor/shuffle/reader.js';
import { ordering, sortByKeyWith, type Ordering, type OrderOptions } from './ordering.js';
import * as numeric from './numeric.js';
import type { Histogram } from './numeric.js';
import type { StatCounter } from './stat-counter.js';
import * as aggregates from './aggregates.js';
import * as approx from './approx.js';
import * as sampling from './sampling.js';
import * as shape from './shape.js';
import type { PipeOptions } from './shape.js';
import { debugString } from './debug-string.js';
import type { BoundedDouble } from './approx.js';
import type { AggregateOptions } from './aggregates.js';
import { cogroupOf, joinOf, joinWhereOf, type JoinWhereOptions } from '../join/datasets.js';
import type { JoinOptions, JoinType } from '../join/types.js';
import { StorageLevel, type StorageLevelName } from '../storage/storage-level.js';

/** Options every action accepts. */
export interface ActionOptions {
  /** Cancels the job: the action rejects and the workers stay usable. */
  signal?: AbortSignal;
}

/** Values a shipped function may use: structured-cloneable data or Broadcast variables, by name. */
export type Captures = Record<string, unknown>;

/** Partition count, or options for a shuffle transformation. */
export type ShuffleOptions = number | { partitions?: number; captures?: Captures };

/** Options of words(). */
export interface WordsOptions {
  /** Lowercase ASCII letters (default false). */
  lowercase?: boolean;
  /** Split on ASCII whitespace (default) or on every non-alphanumeric ASCII byte. */
  split?: 'whitespace' | 'nonalnum';
}

let nextDatasetId = 0;

/** A lazy, partitioned collection of records (Spark's RDD). */
export class Dataset<T> implements LineageNode, AsyncIterable<T> {
  /** Unique id (lineage identity). */
  readonly id = nextDatasetId++;
  private datasetName: string | undefined;

  /** @internal Use the Kiln context's sources to create datasets. */
  constructor(
    /** The context this dataset belongs to. */
    readonly kiln: Kiln,
    initial: Lineage,
  ) {
    this.current = initial;
  }

  private current: Lineage;

  /** What this dataset is (see engine/driver/plan/lineage.ts); a checkpoint replaces it once written. */
  get lineage(): Lineage {
    return this.current;
  }

  /** @internal Lineage truncation by a written checkpoint (engine/driver/api/checkpoints.ts). */
  truncateLineage(lineage: Lineage & { kind: 'checkpoint' }): void {
    this.current = lineage;
  }

  /** Number of partitions (a range-partitioned sortByKey may end up with fewer). */
  get numPartitions(): number {
    return partitionCount(this);
  }

  /** The partitioner of this dataset's records, if known. */
  get partitioner(): PartitionerSpec | undefined {
    return partitionerOf(this);
  }

  // ---------------------------------------------------------------- storage

  /** persist(StorageLevel.MEMORY_ONLY). */
  cache(): this {
    return this.persist(StorageLevel.MEMORY_ONLY);
  }

  /**
   * Keeps this dataset's partitions once computed, so later jobs read them instead of
   * recomputing (lazily: the first action that computes a partition stores it).
   * `level` is a StorageLevel or its name: MEMORY_ONLY (default), MEMORY_AND_DISK,
   * DISK_ONLY, and the _2 (replicated) and _SER variants, which kiln accepts but
   * stores once (one executor; blocks are always serialized). A partition that is
   * missing or was evicted is recomputed from lineage. Changing the level of a
   * persisted dataset is a usage error: unpersist() first.
   */
  persist(level: StorageLevel | StorageLevelName = StorageLevel.MEMORY_ONLY): this {
    this.kiln.persistent.persist(this as Dataset<unknown>, level);
    return this;
  }

  /**
   * Stops persisting and frees the stored blocks (memory and files). Blocks a running
   * job reads are freed when it ends; `blocking` is accepted for Spark's signature
   * (freeing never waits on workers here).
   */
  unpersist(_options: { blocking?: boolean } = {}): this {
    this.kiln.persistent.unpersist(this as Dataset<unknown>);
    return this;
  }

  /** The level this dataset is persisted at (StorageLevel.NONE when it is not). */
  getStorageLevel(): StorageLevel {
    return this.kiln.persistent.levelOf(this as Dataset<unknown>);
  }

  /**
   * Marks this dataset for a reliable checkpoint (Spark's checkpoint): after the next
   * action over it, its partitions are written under the checkpoint directory in the
   * record codec, committed atomically, and its lineage is truncated to those files,
   * so later jobs read them and not its inputs. Persist it too if the action's result
   * is needed as well, or the checkpoint job recomputes it. A usage error when
   * kiln.setCheckpointDir() was not called.
   */
  checkpoint(): void {
    this.kiln.checkpoints.mark(this, true);
  }

  /**
   * Marks this dataset for a local checkpoint (Spark's localCheckpoint): as
   * checkpoint(), but the files go to the context's spill directory, which stop()
   * removes; it needs no checkpoint directory and lasts as long as the context.
   */
  localCheckpoint(): this {
    this.kiln.checkpoints.mark(this, false);
    return this;
  }

  /** Whether a checkpoint of this dataset has been written (its lineage is truncated). */
  isCheckpointed(): boolean {
    return this.current.kind === 'checkpoint';
  }

  /** The directory of this dataset's reliable checkpoint, once written (undefined otherwise, as Spark's None). */
  getCheckpointFile(): string | undefined {
    return this.current.kind === 'checkpoint' && this.current.reliable ? this.current.dir : undefined;
  }

  // ---------------------------------------------------------------- narrow

  /** Applies `fn` to every record. */
  map<U>(fn: (x: T) => U, captures?: Captures): Dataset<U> {
    return this.op({ kind: 'map', fn: ship(fn, 'map', captures) });
  }

  /** Applies `fn` to every record and flattens the iterables it returns. */
  flatMap<U>(fn: (x: T) => Iterable<U>, captures?: Captures): Dataset<U> {
    return this.op({ kind: 'flatMap', fn: ship(fn, 'flatMap', captures) });
  }

  /** Keeps the records for which `fn` is truthy. */
  filter(fn: (x: T) => unknown, captures?: Captures): Dataset<T> {
    return this.op({ kind: 'filter', fn: ship(fn, 'filter', captures) }, true);
  }

  /** Pairs every record with its key `fn(record)`: [fn(x), x]. */
  keyBy<K>(fn: (x: T) => K, captures?: Captures): Dataset<[K, T]> {
    return this.op({ kind: 'keyBy', fn: ship(fn, 'keyBy', captures) });
  }

  /** Applies `fn` to an iterator over each whole partition. */
  mapPartitions<U>(fn: (records: Iterator<T>) => Iterable<U>, captures?: Captures): Dataset<U> {
    return this.op({ kind: 'mapPartitions', fn: ship(fn, 'mapPartitions', captures) });
  }

  /** Like mapPartitions, with the partition index. */
  mapPartitionsWithIndex<U>(fn: (index: number, records: Iterator<T>) => Iterable<U>, captures?: Captures): Dataset<U> {
    return this.op({ kind: 'mapPartitionsWithIndex', fn: ship(fn, 'mapPartitionsWithIndex', captures), index: -1 });
  }

  /**
   * Applies `fn(record, partition, i)` to every record, where `i` is its position in
   * its partition: a streamed mapPartitionsWithIndex (records are not held; for
   * textFile, partitions and positions follow the files' order). kiln-specific.
   */
  mapWithIndex<U>(fn: (x: T, partition: number, i: number) => U, captures?: Captures): Dataset<U> {
    return this.op({ kind: 'mapWithIndex', fn: ship(fn, 'mapWithIndex', captures), index: -1 });
  }

  /** Applies `fn` to the value of every [key, value] pair; keeps the partitioner. */
  mapValues<K, V, U>(this: Dataset<[K, V]>, fn: (v: V) => U, captures?: Captures): Dataset<[K, U]> {
    return this.op({ kind: 'mapValues', fn: ship(fn, 'mapValues', captures) }, true);
  }

  /** Applies `fn` to every value and pairs each output with the key; keeps the partitioner. */
  flatMapValues<K, V, U>(this: Dataset<[K, V]>, fn: (v: V) => Iterable<U>, captures?: Captures): Dataset<[K, U]> {
    return this.op({ kind: 'flatMapValues', fn: ship(fn, 'flatMapValues', captures) }, true);
  }

  /** The keys of [key, value] pairs. */
  keys<K>(this: Dataset<[K, unknown]>): Dataset<K> {
    return this.op({ kind: 'keys' });
  }

  /** The values of [key, value] pairs. */
  values<V>(this: Dataset<[unknown, V]>): Dataset<V> {
    return this.op({ kind: 'values' });
  }

  /** A Bernoulli (or, with replacement, Poisson) sample; the same seed gives the same sample. */
  sample(withReplacement: boolean, fraction: number, seed = 42): Dataset<T> {
    if (!(fraction >= 0) || (!withReplacement && fraction > 1)) {
      throw new KilnError('usage', `sample fraction must be in [0, 1] without replacement (>= 0 with), got ${fraction}`);
    }
    return this.op({ kind: 'sample', withReplacement, fraction, seed: seed | 0 }, true);
  }

  /** Records of this dataset and the others (no shuffle; partitions are concatenated). */
  union(...others: Dataset<T>[]): Dataset<T> {
    for (const o of others) this.sameContext(o, 'union');
    return new Dataset<T>(this.kiln, { kind: 'union', parents: [this, ...others] });
  }

  /**
   * Fewer partitions without a shuffle (adjacent partitions merged), or with
   * `{ shuffle: true }` any number, evenly (as repartition).
   */
  coalesce(numPartitions: number, options: { shuffle?: boolean } = {}): Dataset<T> {
    checkPartitions(numPartitions);
    if (options.shuffle) return this.repartition(numPartitions);
    const n = this.numPartitions;
    const target = Math.min(numPartitions, Math.max(n, 1));
    const groups = Array.from({ length: target }, (_, g) => {
      const from = Math.floor((g * n) / target);
      const to = Math.floor(((g + 1) * n) / target);
      return Array.from({ length: to - from }, (_, i) => from + i);
    });
    return new Dataset<T>(this.kiln, { kind: 'coalesce', parent: this, groups });
  }

  // ---------------------------------------------------------------- shuffles

  /** Redistributes records evenly over `numPartitions` partitions (always shuffles). */
  repartition(numPartitions: number): Dataset<T> {
    checkPartitions(numPartitions);
    return this.shuffled({ partitioner: { kind: 'roundRobin', partitions: numPartitions }, keyed: false, mapSideCombine: false, format: 'records' });
  }

  /** Distinct records (Spark: map to (x, null), reduceByKey, keys). */
  distinct(numPartitions?: number): Dataset<T> {
    return this.shuffled({ partitioner: hashPartitioner(this.shufflePartitions(numPartitions)), aggregator: { kind: 'first' }, keyed: false, mapSideCombine: true, format: 'records' });
  }

  /**
   * Counts of each distinct record, as [record, count] — Spark's
   * `map(x => (x, 1)).reduceByKey(_ + _)` in one step, run by the combiner kernel.
   */
  valueCounts(numPartitions?: number): Dataset<[T, number]> {
    // Words are hashed and combined as their bytes by the kernels; latin1 words are
    // bytes read back one char per byte, utf8 words as decoded UTF-8.
    const keyFormat: KeyFormat = this.lineage.kind === 'words' ? (this.lineage.encoding === 'latin1' ? 'latin1' : 'utf8') : 'key';
    return this.shuffled({
      partitioner: hashPartitioner(this.shufflePartitions(numPartitions), keyFormat),
      aggregator: { kind: 'builtin', op: 'count', keyFormat },
      keyed: false,
      mapSideCombine: true,
      format: 'table',
    });
  }

  /**
   * Merges the values of each key with `fn` (associative and commutative), combining on
   * the map side first. A built-in name ('sum' | 'min' | 'max' | 'count') runs in the
   * combiner kernel instead (values must be numbers; 'count' counts records per key).
   */
  reduceByKey<K, V>(this: Dataset<[K, V]>, fn: ((a: V, b: V) => V) | BuiltinAgg, options?: ShuffleOptions): Dataset<[K, V]> {
    if (typeof fn === 'string') return this.builtinAggregate(fn, options) as Dataset<[K, V]>;
    const { partitions, captures } = shuffleOptions(options);
    const merge = ship(fn, 'reduceByKey', captures);
    return this.combine({ kind: 'js', create: { t: 'identity' }, mergeValue: merge, mergeCombiners: merge }, partitions, true);
  }

  /**
   * Aggregates each key's values starting from a copy of `zero`: `seqOp` folds a value
   * in, `combOp` merges two partial results. Or a built-in name, run by the kernel.
   */
  aggregateByKey<K, V, U>(this: Dataset<[K, V]>, zero: U | BuiltinAgg, seqOp?: (acc: U, v: V) => U, combOp?: (a: U, b: U) => U, options?: ShuffleOptions): Dataset<[K, U]> {
    if (seqOp === undefined && isBuiltin(zero)) return this.builtinAggregate(zero, options) as unknown as Dataset<[K, U]>;
    if (!seqOp || !combOp) throw new KilnError('usage', 'aggregateByKey needs (zero, seqOp, combOp) or a built-in name: count, sum, min or max');
    const { partitions, captures } = shuffleOptions(options);
    return this.combine(
      { kind: 'js', create: { t: 'zero', zero: cloneable(zero, 'aggregateByKey zero value') }, mergeValue: ship(seqOp, 'aggregateByKey', captures), mergeCombiners: ship(combOp, 'aggregateByKey', captures) },
      partitions,
      true,
    );
  }

  /** Folds each key's values into a copy of `zero` with `fn`. */
  foldByKey<K, V>(this: Dataset<[K, V]>, zero: V, fn: (a: V, b: V) => V, options?: ShuffleOptions): Dataset<[K, V]> {
    const { partitions, captures } = shuffleOptions(options);
    const merge = ship(fn, 'foldByKey', captures);
    return this.combine({ kind: 'js', create: { t: 'zero', zero: cloneable(zero, 'foldByKey zero value') }, mergeValue: merge, mergeCombiners: merge }, partitions, true);
  }

  /** Spark's generic per-key aggregation: createCombiner, mergeValue, mergeCombiners. */
  combineByKey<K, V, C>(
    this: Dataset<[K, V]>,
    createCombiner: (v: V) => C,
    mergeValue: (c: C, v: V) => C,
    mergeCombiners: (a: C, b: C) => C,
    options?: ShuffleOptions & { mapSideCombine?: boolean },
  ): Dataset<[K, C]> {
    const { partitions, captures } = shuffleOptions(options);
    const mapSide = typeof options === 'object' ? options.mapSideCombine ?? true : true;
    return this.combine(
      { kind: 'js', create: { t: 'fn', fn: ship(createCombiner, 'combineByKey', captures) }, mergeValue: ship(mergeValue, 'combineByKey', captures), mergeCombiners: ship(mergeCombiners, 'combineByKey', captures) },
      partitions,
      mapSide,
    );
  }

  /** All values of each key, as an array (no map-side combine: prefer reduceByKey or aggregateByKey). */
  groupByKey<K, V>(this: Dataset<[K, V]>, numPartitions?: number): Dataset<[K, V[]]> {
    return this.combine(
      {
        kind: 'js',
        create: { t: 'fn', fn: shipFunction((v: unknown) => [v], 'groupByKey') },
        mergeValue: shipFunction((c: unknown[], v: unknown) => (c.push(v), c), 'groupByKey'),
        mergeCombiners: shipFunction((a: unknown[], b: unknown[]) => a.concat(b), 'groupByKey'),
      },
      numPartitions,
      false,
    ) as unknown as Dataset<[K, V[]]>;
  }

  /** Hash-partitions [key, value] pairs by key. */
  partitionBy<K, V>(this: Dataset<[K, V]>, numPartitions: number): Dataset<[K, V]> {
    checkPartitions(numPartitions);
    const partitioner = hashPartitioner(numPartitions);
    if (samePartitioner(this.partitioner, partitioner)) return this;
    return this.shuffled({ partitioner, keyed: true, mapSideCombine: false, format: 'records' }) as Dataset<[K, V]>;
  }

  /**
   * Sorts [key, value] pairs by key: a range partitioner from a sample of keys (a job
   * of its own, run when the sort first executes), then each partition is sorted on
   * its keys' order-preserving bytes by the partitioned-sort kernel. With Spark's
   * `keyfunc`, pairs are ordered by `keyfunc(key)` and keep their keys (ordering.ts).
   */
  sortByKey<K, V>(this: Dataset<[K, V]>, ascending = true, numPartitions?: number, keyfunc?: (k: K) => unknown, captures?: Captures): Dataset<[K, V]> {
    if (keyfunc !== undefined) return sortByKeyWith(this, ascending, numPartitions, keyfunc, captures);
    const partitions = numPartitions ?? Math.max(1, this.numPartitions);
    checkPartitions(partitions);
    const kiln = this.kiln;
    const parent = this as Dataset<[K, V]>;
    return this.shuffled({
      partitioner: undefined,
      partitions,
      resolvePartitioner: () => kiln.rangePartitioner(parent, partitions, ascending),
      keyed: true,
      mapSideCombine: false,
      format: 'keyed',
    }) as Dataset<[K, V]>;
  }

  /** Sorts records by `fn(record)`. */
  sortBy<K>(fn: (x: T) => K, ascending = true, numPartitions?: number, captures?: Captures): Dataset<T> {
    return this.keyBy(fn, captures).sortByKey(ascending, numPartitions).values();
  }

  // ---------------------------------------------------------------- joins (engine/driver/join/)

  /** Groups the values of each key in this and the other datasets: [k, [vs, ws, ...]] (Spark's cogroup). */
  cogroup<K, V>(this: Dataset<[K, V]>, ...others: (Dataset<[K, unknown]> | JoinOptions)[]): Dataset<[K, unknown[][]]> {
    const last = others[others.length - 1];
    const options = last !== undefined && !(last instanceof Dataset) ? (others.pop() as JoinOptions) : undefined;
    const datasets = others as Dataset<[K, unknown]>[];
    if (datasets.length < 1 || datasets.length > 3) throw new KilnError('usage', `cogroup takes 1 to 3 other datasets, got ${datasets.length}`);
    for (const o of datasets) this.sameContext(o, 'cogroup');
    return cogroupOf(this.kiln, this.maker(), [this, ...datasets], options) as unknown as Dataset<[K, unknown[][]]>;
  }

  /** Alias of {@link cogroup}. */
  groupWith<K, V>(this: Dataset<[K, V]>, ...others: (Dataset<[K, unknown]> | JoinOptions)[]): Dataset<[K, unknown[][]]> {
    return this.cogroup(...others);
  }

  /** Inner equi-join: [k, [v, w]] for every pair of values with equal keys. */
  join<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, options?: JoinOptions): Dataset<[K, [V, W]]> {
    return this.joined(other, 'inner', options, 'join');
  }

  /** Left outer join: [k, [v, w | null]]. */
  leftOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, options?: JoinOptions): Dataset<[K, [V, W | null]]> {
    return this.joined(other, 'left', options, 'leftOuterJoin');
  }

  /** Right outer join: [k, [v | null, w]]. */
  rightOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, options?: JoinOptions): Dataset<[K, [V | null, W]]> {
    return this.joined(other, 'right', options, 'rightOuterJoin');
  }

  /** Full outer join: [k, [v | null, w | null]]. */
  fullOuterJoin<K, V, W>(this: Dataset<[K, V]>, other: Dataset<[K, W]>, options?: JoinOptions): Dataset<[K, [V | null, W | null]]> {
    return this.joined(other, 'full', options, 'fullOuterJoin');
  }

  /** Pairs whose key occurs in `other` (Spark SQL's LEFT SEMI JOIN): [k, v]. */
  semiJoin<K, V>(this: Dataset<[K, V]>, other: Dataset<[K, unknown]>, options?: JoinOptions): Dataset<[K, V]> {
    return this.joined(other, 'semi', options, 'semiJoin');
  }

  /** Pairs whose key does not occur in `other` (Spark SQL's LEFT ANTI JOIN): [k, v]. */
  antiJoin<K, V>(this: Dataset<[K, V]>, other: Dataset<[K, unknown]>, options?: JoinOptions): Dataset<[K, V]> {
    return this.joined(other, 'anti', options, 'antiJoin');
  }

  /** Pairs whose key does not occur in `other` (Spark's subtractByKey; an anti join). */
  subtractByKey<K, V>(this: Dataset<[K, V]>, other: Dataset<[K, unknown]>, options?: JoinOptions): Dataset<[K, V]> {
    return this.joined(other, 'anti', options, 'subtractByKey');
  }

  /** Records not in `other`, with their duplicates (Spark's subtract: keyed by the whole record). */
  subtract(other: Dataset<T>, options?: JoinOptions): Dataset<T> {
    const keyed = (d: Dataset<T>): Dataset<[T, null]> => d.map((x) => [x, null] as [T, null]);
    return keyed(this).joined<[T, null]>(keyed(other), 'anti', options, 'subtract').keys() as Dataset<T>;
  }

  /** Distinct records present in both (Spark's intersection: a cogroup keeping keys on both sides). */
  intersection(other: Dataset<T>, options?: JoinOptions): Dataset<T> {
    this.sameContext(other, 'intersection');
    const keyed = (d: Dataset<T>): Dataset<[T, null]> => d.map((x) => [x, null] as [T, null]);
    const grouped = cogroupOf(this.kiln, this.maker(), [keyed(this), keyed(other)], options, 'intersection');
    return grouped.filter(([, g]) => g[0]!.length > 0 && g[1]!.length > 0).keys() as Dataset<T>;
  }

  /** Every pair [x, y] of this x other (Spark's cartesian: partitions m x n). */
  cartesian<U>(other: Dataset<U>): Dataset<[T, U]> {
    this.sameContext(other, 'cartesian');
    return new Dataset<[T, U]>(this.kiln, { kind: 'cartesian', left: this, right: other });
  }

  /**
   * A non-equi join of whole records: [x, y] where `predicate(x, y)`, padded with null
   * for the outer side of a left, right or full join. Broadcast nested loop when a
   * side is small, cartesian for a large inner join.
   */
  joinWhere<U>(other: Dataset<U>, predicate: (x: T, y: U) => unknown, options: JoinWhereOptions = {}): Dataset<[T | null, U | null]> {
    this.sameContext(other, 'joinWhere');
    return joinWhereOf(this.kiln, this.maker(), this, other, predicate as (x: never, y: never) => unknown, options);
  }

  // ---------------------------------------------------------------- actions

  /** All records, in partition order. */
  async collect(options: ActionOptions = {}): Promise<T[]> {
    const parts = await this.kiln.runJob(this, { t: 'collect' }, options);
    return unpackParts<T>(parts);
  }

  /** Number of records. */
  async count(options: ActionOptions = {}): Promise<number> {
    const parts = (await this.kiln.runJob(this, { t: 'count' }, options)) as number[];
    return parts.reduce((a, b) => a + b, 0);
  }

  /**
   * The first `n` records, scanning partitions incrementally as Spark does: one
   * partition, then four times as many as needed so far.
   */
  async take(n: number, options: ActionOptions = {}): Promise<T[]> {
    const out: T[] = [];
    const total = this.numPartitions;
    let scanned = 0;
    while (out.length < n && scanned < total) {
      const batch = scanned === 0 ? 1 : Math.min(total - scanned, Math.max(1, scanned * 4));
      const partitions = Array.from({ length: Math.min(batch, total - scanned) }, (_, i) => scanned + i);
      const parts = (await this.kiln.runJob(this, { t: 'collect', limit: n - out.length }, { ...options, partitions })) as T[][];
      for (const p of parts) for (const x of p) if (out.length < n) out.push(x);
      scanned += partitions.length;
    }
    return out;
  }

  /** The first record; throws on an empty dataset. */
  async first(options: ActionOptions = {}): Promise<T> {
    const [x] = await this.take(1, options);
    if (x === undefined && (await this.take(1, options)).length === 0) throw new KilnError('usage', 'first() on an empty dataset');
    return x as T;
  }

  /** Reduces all records with `fn` (commutative and associative); throws on an empty dataset. */
  async reduce(fn: (a: T, b: T) => T, options: ActionOptions & { captures?: Captures } = {}): Promise<T> {
    const shipped = ship(fn, 'reduce', options.captures);
    const parts = (await this.kiln.runJob(this, { t: 'fold', fn: shipped }, options)) as ({ empty: true } | { value: T })[];
    const values = parts.filter((p): p is { value: T } => 'value' in p).map((p) => p.value);
    if (values.length === 0) throw new KilnError('usage', 'reduce() on an empty dataset: use fold() with a zero value');
    return values.reduce((a, b) => fn(a, b));
  }

  /** Folds each partition from a copy of `zero`, then the partition results (Spark's fold). */
  async fold(zero: T, fn: (a: T, b: T) => T, options: ActionOptions & { captures?: Captures } = {}): Promise<T> {
    const shipped = ship(fn, 'fold', options.captures);
    const parts = (await this.kiln.runJob(this, { t: 'fold', fn: shipped, zero: { value: cloneable(zero, 'fold zero value') } }, options)) as { value: T }[];
    return parts.reduce((acc, p) => fn(acc, p.value), structuredClone(zero));
  }

  /** Counts of each distinct record, as a Map (runs valueCounts in the kernel). */
  async countByValue(options: ActionOptions = {}): Promise<Map<T, number>> {
    return new Map(await this.valueCounts().collect(options));
  }

  /** Counts of each key of [key, value] pairs, as a Map. */
  async countByKey<K>(this: Dataset<[K, unknown]>, options: ActionOptions = {}): Promise<Map<K, number>> {
    return this.keys().countByValue(options);
  }

  /** Runs `fn` on every record in the workers (for side effects). */
  async foreach(fn: (x: T) => unknown, options: ActionOptions & { captures?: Captures } = {}): Promise<void> {
    await this.kiln.runJob(this, { t: 'foreach', fn: ship(fn, 'foreach', options.captures), perPartition: false }, options);
  }

  /** Runs `fn` on an iterator over each partition in the workers. */
  async foreachPartition(fn: (records: Iterator<T>) => unknown, options: ActionOptions & { captures?: Captures } = {}): Promise<void> {
    await this.kiln.runJob(this, { t: 'foreach', fn: ship(fn, 'foreachPartition', options.captures), perPartition: true }, options);
  }

  /**
   * The `n` smallest records, in kiln's key order, or by Spark's key function
   * `{ key }`, or by a comparator `{ compare }`. A bare function is refused: say which
   * it is (see engine/driver/api/ordering.ts).
   */
  async takeOrdered(n: number, options?: OrderOptions<T>): Promise<T[]> {
    return this.ordered(n, ordering<T>('takeOrdered', options), false, options ?? {});
  }

  /** The `n` largest records, largest first; options as {@link Dataset.takeOrdered}. */
  async top(n: number, options?: OrderOptions<T>): Promise<T[]> {
    return this.ordered(n, ordering<T>('top', options), true, options ?? {});
  }

  /**
   * Writes the records as text lines to `dir/part-NNNNN` (`part-NNNNN.gz` with
   * `compression: 'gzip'`), committed atomically: written to a temporary sibling
   * directory, renamed into place with a `_SUCCESS` marker; after a failure nothing is
   * left. Lines are PySpark's `str(record)`: strings as is, arrays as Python tuples
   * `('a', 1)`, see engine/executor/runtime/text-format.ts for the exact format.
   */
  async saveAsTextFile(dir: string, options: ActionOptions & { overwrite?: boolean; compression?: TextCompression } = {}): Promise<void> {
    const compression = checkCompression(options.compression);
    const committer = await OutputCommitter.begin(dir, { overwrite: options.overwrite ?? false });
    try {
      await this.kiln.runJob(this, { t: 'saveText', dir: committer.tempDir, ...(compression ? { compression } : {}) }, options);
      await committer.commit();
    } catch (e) {
      await committer.abort();
      throw e;
    }
  }

  // ---------------------------------------------------------------- numeric (engine/driver/api/numeric.ts)

  /** Sum of a dataset of numbers (0 when empty). */
  sum(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return numeric.sum(this, options);
  }

  /** Count, mean, sum, min, max and variances in one pass (Spark's StatCounter, merged per partition). */
  stats(this: Dataset<number>, options?: ActionOptions): Promise<StatCounter> {
    return numeric.stats(this, options);
  }

  /** Mean of the numbers (0 when empty, as Spark's StatCounter). */
  async mean(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return (await numeric.stats(this, options)).mean;
  }

  /** Population variance (NaN when empty). */
  async variance(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return (await numeric.stats(this, options)).variance;
  }

  /** Population standard deviation. */
  async stdev(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return (await numeric.stats(this, options)).stdev;
  }

  /** Sample variance (divided by n - 1; NaN below two values). */
  async sampleVariance(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return (await numeric.stats(this, options)).sampleVariance;
  }

  /** Sample standard deviation. */
  async sampleStdev(this: Dataset<number>, options?: ActionOptions): Promise<number> {
    return (await numeric.stats(this, options)).sampleStdev;
  }

  /** Spark's histogram: `[buckets, counts]` for a bucket count or sorted boundaries (see numeric.ts). */
  histogram(this: Dataset<number>, buckets: number | readonly number[], options?: ActionOptions): Promise<Histogram> {
    return numeric.histogram(this, buckets, options);
  }

  /** The largest record (kiln's key order, or `{ key }` / `{ compare }`); an empty dataset is an error. */
  max(options?: OrderOptions<T>): Promise<T> {
    return numeric.max(this, options);
  }

  /** The smallest record; see {@link Dataset.max}. */
  min(options?: OrderOptions<T>): Promise<T> {
    return numeric.min(this, options);
  }

  // ---------------------------------------------------------------- aggregates (engine/driver/api/aggregates.ts)

  /** Folds partitions with `seqOp` from copies of `zero`, merges the results with `combOp` (Spark's aggregate). */
  aggregate<U>(zero: U, seqOp: (acc: U, x: T) => U, combOp: (a: U, b: U) => U, options?: AggregateOptions): Promise<U> {
    return aggregates.aggregate(this, zero, seqOp, combOp, options);
  }

  /** aggregate, with partition results combined in a tree of shuffle stages of depth `depth`. */
  treeAggregate<U>(zero: U, seqOp: (acc: U, x: T) => U, combOp: (a: U, b: U) => U, depth = 2, options?: AggregateOptions): Promise<U> {
    return aggregates.treeAggregate(this, zero, seqOp, combOp, depth, options);
  }

  /** reduce, with partition results combined in a tree of shuffle stages; an empty dataset is an error. */
  treeReduce(fn: (a: T, b: T) => T, depth = 2, options?: AggregateOptions): Promise<T> {
    return aggregates.treeReduce(this, fn, depth, options);
  }

  /** Merges each key's values with `fn`, returning a Map on the driver (keys must be primitives). */
  reduceByKeyLocally<K, V>(this: Dataset<[K, V]>, fn: (a: V, b: V) => V, options?: AggregateOptions): Promise<Map<K, V>> {
    return aggregates.reduceByKeyLocally(this, fn, options);
  }

  /** The pairs as a Map (a later pair wins for a repeated key). */
  collectAsMap<K, V>(this: Dataset<[K, V]>, options?: ActionOptions): Promise<Map<K, V>> {
    return aggregates.collectAsMap(this, options);
  }

  /** The values of `key`; with a known partitioner only its partition runs. */
  lookup<K, V>(this: Dataset<[K, V]>, ...args: [key: K, options?: ActionOptions]): Promise<V[]> {
    return aggregates.lookup(this, args, args[1]);
  }

  /** True when the dataset has no records. */
  isEmpty(options?: ActionOptions): Promise<boolean> {
    return aggregates.isEmpty(this, options);
  }

  // ---------------------------------------------------------------- approximate (engine/driver/api/approx.ts)

  /** Approximate distinct count: a HyperLogLog sketch per partition (WASM kernel), relative error about relativeSD. */
  countApproxDistinct(relativeSD = 0.05, options?: ActionOptions): Promise<number> {
    return approx.countApproxDistinct(this, relativeSD, options);
  }

  /** The count as far as `timeout` ms allow, with Spark's bounds (exact when every partition finished). */
  countApprox(timeout: number, confidence = 0.95, options?: ActionOptions): Promise<BoundedDouble> {
    return approx.countApprox(this, timeout, confidence, options);
  }

  /** The sum as far as `timeout` ms allow, with Spark's bounds. */
  sumApprox(this: Dataset<number>, timeout: number, confidence = 0.95, options?: ActionOptions): Promise<BoundedDouble> {
    return approx.sumApprox(this, timeout, confidence, options);
  }

  /** The mean as far as `timeout` ms allow, with Spark's bounds. */
  meanApprox(this: Dataset<number>, timeout: number, confidence = 0.95, options?: ActionOptions): Promise<BoundedDouble> {
    return approx.meanApprox(this, timeout, confidence, options);
  }

  // ---------------------------------------------------------------- sampling (engine/driver/api/sampling.ts)

  /** Exactly `num` random records (fewer only if there are fewer, without replacement), as Spark's takeSample. */
  takeSample(withReplacement: boolean, num: number, seed?: number, options?: ActionOptions): Promise<T[]> {
    return sampling.takeSample(this, withReplacement, num, seed, options);
  }

  /** Disjoint datasets that together hold every record, sized by `weights`; deterministic per seed. */
  randomSplit(weights: readonly number[], seed?: number): Dataset<T>[] {
    return sampling.randomSplit(this, weights, seed);
  }

  /** A sample of pairs with a fraction per key (a Map or an object of string keys). */
  sampleByKey<K, V>(this: Dataset<[K, V]>, withReplacement: boolean, fractions: Map<K, number> | Record<string, number>, seed?: number): Dataset<[K, V]> {
    return sampling.sampleByKey(this, withReplacement, fractions, seed);
  }

  // ---------------------------------------------------------------- zips and shape (engine/driver/api/shape.ts)

  /** Pairs records of two datasets with the same partition counts and partition sizes. */
  zip<U>(other: Dataset<U>): Dataset<[T, U]> {
    return shape.zip(this, other);
  }

  /** Each record with its index; runs the count job first, as Spark does, so it returns a Promise. */
  zipWithIndex(options?: ActionOptions): Promise<Dataset<[T, number]>> {
    return shape.zipWithIndex(this, options);
  }

  /** Each record with a unique id (k, n + k, 2n + k, ... in partition k of n). */
  zipWithUniqueId(): Dataset<[T, number]> {
    return shape.zipWithUniqueId(this);
  }

  /** Each partition as one array. */
  glom(): Dataset<T[]> {
    return shape.glom(this);
  }

  /** Records grouped by `fn(record)`, as [key, records]. */
  groupBy<K>(fn: (x: T) => K, numPartitions?: number, captures?: Captures): Dataset<[K, T[]]> {
    return shape.groupBy(this, fn, numPartitions, captures);
  }

  /** Hash-partitions pairs by key and sorts each partition by key (or by `keyfunc(key)`). */
  repartitionAndSortWithinPartitions<K, V>(this: Dataset<[K, V]>, numPartitions?: number, ascending = true, keyfunc?: (k: K) => unknown, captures?: Captures): Dataset<[K, V]> {
    return shape.repartitionAndSortWithinPartitions(this, numPartitions, ascending, keyfunc, captures);
  }

  /** Runs `command` per partition: records as stdin lines, its stdout lines as records. */
  pipe(command: string | readonly string[], options?: PipeOptions): Dataset<string> {
    return shape.pipe(this, command, options);
  }

  // ---------------------------------------------------------------- naming and introspection (engine/driver/api/debug-string.ts)

  /** Names the dataset (shown by toDebugString); returns it, as Spark's setName. */
  setName(name: string): this {
    this.datasetName = String(name);
    return this;
  }

  /** The name given with setName, if any. */
  get name(): string | undefined {
    return this.datasetName;
  }

  /** Number of partitions (Spark's getNumPartitions). */
  getNumPartitions(): number {
    return this.numPartitions;
  }

  /** The context this dataset belongs to (Spark's context). */
  get context(): Kiln {
    return this.kiln;
  }

  /** Spark's lineage text: one line per dataset, indented at each shuffle, with partition counts. */
  toDebugString(): string {
    return debugString(this);
  }

  /** The records on the driver, one partition job at a time: the driver holds one partition, not the dataset. */
  toLocalIterator(): AsyncIterable<T> {
    return { [Symbol.asyncIterator]: () => this[Symbol.asyncIterator]() };
  }

  /** Iterates the records on the driver, one partition job at a time (Spark's toLocalIterator). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (let p = 0; p < this.numPartitions; p++) {
      yield* unpackParts<T>(await this.kiln.runJob(this, { t: 'collect' }, { partitions: [p] }));
    }
  }

  /** The stages a job over this dataset runs, their partitions, and which operators are WASM kernels. */
  explain(): string {
    return this.kiln.explain(this);
  }

  // ---------------------------------------------------------------- internals

  /** @internal mapPartitions by an already shipped function. */
  mapPartitionsShipped<U>(fn: ShippedFunction): Dataset<U> {
    return this.op({ kind: 'mapPartitions', fn });
  }

  /** @internal mapPartitionsWithIndex by an already shipped function. */
  mapPartitionsWithIndexShipped<U>(fn: ShippedFunction): Dataset<U> {
    return this.op({ kind: 'mapPartitionsWithIndex', fn, index: -1 });
  }

  /** @internal filter by an already shipped function. */
  filterShipped(fn: ShippedFunction): Dataset<T> {
    return this.op({ kind: 'filter', fn }, true);
  }

  /** @internal foldByKey by an already shipped function. */
  foldByKeyShipped<K, V>(this: Dataset<[K, V]>, zero: V, fn: ShippedFunction, numPartitions?: number): Dataset<[K, V]> {
    return this.combine({ kind: 'js', create: { t: 'zero', zero: cloneable(zero, 'foldByKey zero value') }, mergeValue: fn, mergeCombiners: fn }, numPartitions, true);
  }

  /** @internal A dataset of this context with the given lineage (engine/driver/api/shape.ts). */
  derive<U>(lineage: Lineage): Dataset<U> {
    return new Dataset<U>(this.kiln, lineage);
  }

  /** @internal Hash-partitioned by key, each partition sorted by key (repartitionAndSortWithinPartitions). */
  sortedWithinPartitions<K, V>(this: Dataset<[K, V]>, numPartitions: number | undefined, ascending: boolean): Dataset<[K, V]> {
    return this.shuffled({ partitioner: hashPartitioner(this.shufflePartitions(numPartitions)), keyed: true, mapSideCombine: false, format: 'keyed', ascending });
  }

  /** @internal flatMap by an already shipped function. */
  flatMapShipped<U>(fn: ShippedFunction): Dataset<U> {
    return this.op({ kind: 'flatMap', fn });
  }

  /** @internal A narrow operator given as its spec (wholeTextFiles' readWholeFile). */
  opSpec<U>(op: OpSpec): Dataset<U> {
    return this.op(op);
  }

  /** @internal A map by an already shipped (e.g. composed) function. */
  mapShipped<U>(fn: ShippedFunction, keepsPartitioner = false): Dataset<U> {
    return this.op({ kind: 'map', fn }, keepsPartitioner);
  }

  private joined<R>(other: Dataset<unknown>, type: JoinType, options: JoinOptions | undefined, operator: string): Dataset<R> {
    this.sameContext(other, operator);
    return joinOf<R>(this.kiln, this.maker(), this, other, type, options, operator);
  }

  private maker(): <U>(lineage: Lineage) => Dataset<U> {
    return <U>(lineage: Lineage) => new Dataset<U>(this.kiln, lineage);
  }

  private op<U>(op: OpSpec, keepsPartitioner = false): Dataset<U> {
    return new Dataset<U>(this.kiln, { kind: 'op', op, parent: this, keepsPartitioner });
  }

  private shuffled<U>(dep: Omit<ShuffleDependency, 'kind' | 'shuffleId' | 'parent' | 'partitions'> & { partitions?: number }): Dataset<U> {
    const full: ShuffleDependency = {
      kind: 'shuffle',
      shuffleId: this.kiln.newShuffleId(),
      parent: this,
      ...dep,
      partitions: dep.partitions ?? dep.partitioner?.partitions ?? 1,
    };
    const ds = new Dataset<U>(this.kiln, { kind: 'shuffled', dep: full });
    this.kiln.trackShuffle(ds, full.shuffleId);
    return ds;
  }

  private combine(aggregator: AggregatorSpec, numPartitions: number | undefined, mapSideCombine: boolean): Dataset<never> {
    return this.shuffled({ partitioner: hashPartitioner(this.shufflePartitions(numPartitions)), aggregator, keyed: true, mapSideCombine, format: 'records' });
  }

  private builtinAggregate(op: BuiltinAgg, options?: ShuffleOptions): Dataset<[unknown, number]> {
    if (!isBuiltin(op)) throw new KilnError('usage', `unknown built-in aggregator "${String(op)}": use count, sum, min or max`);
    const { partitions } = shuffleOptions(options);
    return this.shuffled({
      partitioner: hashPartitioner(this.shufflePartitions(partitions)),
      aggregator: { kind: 'builtin', op, keyFormat: 'key' },
      keyed: true,
      mapSideCombine: true,
      format: 'table',
    });
  }

  private shufflePartitions(requested: number | undefined): number {
    const n = requested ?? this.kiln.options.shufflePartitions ?? Math.max(1, this.numPartitions);
    checkPartitions(n);
    return n;
  }

  private async ordered(n: number, order: Ordering<T>, descending: boolean, options: ActionOptions): Promise<T[]> {
    const sink: SinkSpec = { t: 'takeOrdered', n, descending, ...order.shipped };
    const parts = (await this.kiln.runJob(this, sink, options)) as T[][];
    const cmp = order.compare;
    return parts.flat().sort(descending ? (a, b) => cmp(b, a) : cmp).slice(0, n);
  }

  private sameContext(other: Dataset<unknown>, operator: string): void {
    if (other.kiln !== this.kiln) throw new KilnError('usage', `${operator} of datasets from different Kiln contexts`);
  }
}

/** A dataset of text lines, with the kernel-backed words() source. */
export class TextDataset extends Dataset<string> {
  /**
   * The words of the lines, split by the tokenizer kernel (ASCII whitespace, or every
   * non-alphanumeric ASCII byte; bytes >= 0x80 are word bytes), decoded as the
   * textFile's `encoding` says. Followed by valueCounts() or countByValue(), no JS
   * string is made per word, and the keys are exactly those of splitting the decoded
   * lines in JS (invalid UTF-8 is repaired the same way on both paths).
   */
  words(options: WordsOptions = {}): Dataset<string> {
    const l = this.lineage;
    if (l.kind !== 'text') throw new KilnError('internal', 'words() on a non-text dataset');
    refuseGzip(l.partitions, 'words()');
    return new Dataset<string>(this.kiln, { kind: 'words', partitions: l.partitions, lowercase: options.lowercase ?? false, nonAlnum: options.split === 'nonalnum', label: l.label, encoding: l.encoding });
  }

  /**
   * The lines sorted as bytes, exactly as `LC_ALL=C sort` on the concatenated files
   * ('\r' is data; a last line without '\n' gets one): whole-line memcmp order, or the
   * first `keyBytes` bytes only (stable); `reverse` (sort -r), `unique` (sort -u). Runs
   * in the line-split, sort and gather kernels with no JS string per line; see
   * engine/driver/api/sorted-lines.ts.
   */
  sortLines(options: SortLinesOptions = {}): SortedLines {
    if (this.lineage.kind === 'text') refuseGzip(this.lineage.partitions, 'sortLines()');
    return SortedLines.of(this, options);
  }

  /**
   * The lines `re` matches, each line tested alone (as `filter((l) => re.test(l))`),
   * found without a JS string per line that cannot match: with `literal` (a string
   * every match holds, byte for byte; ASCII case folded with `ignoreCase`) the grep
   * kernel's SIMD search skips the other lines; without it `re` runs over whole
   * decoded chunks first. `keepNulLines`: lines holding a NUL byte are kept whether
   * they match or not (how kiln grep tells a binary file). See engine/executor/runtime/grep-source.ts.
   */
  linesMatching(re: RegExp, options: MatchOptions & { keepNulLines?: boolean } = {}): Dataset<string> {
    return this.grep(lineSearch(re, options, options.keepNulLines ?? false, this.encoding()), false);
  }

  /**
   * One number per partition: how many of its lines `re` matches, a line holding NUL
   * bytes counting its matching NUL-separated pieces (GNU grep -c in a binary file);
   * found as {@link linesMatching} finds them, with no string kept. Sum them.
   */
  countLinesMatching(re: RegExp, options: MatchOptions = {}): Dataset<number> {
    return this.grep(lineSearch(re, options, false, this.encoding()), true);
  }

  /**
   * One number per partition: how many of its lines hold `literal` as bytes (ASCII case
   * ignored with `ignoreCase`; NUL-separated pieces as in countLinesMatching), counted
   * in the grep kernel with no JS string at all. Sum them.
   */
  countLinesContaining(literal: string, options: { ignoreCase?: boolean } = {}): Dataset<number> {
    return this.grep({ literal: checkedLiteral(literal, options.ignoreCase ?? false, this.encoding()), keepNul: false }, true);
  }

  private grep(find: LineSearch, count: boolean): Dataset<never> {
    const l = this.lineage;
    if (l.kind !== 'text') throw new KilnError('internal', 'a line search on a non-text dataset');
    // The grep kernel reads a split's raw bytes: on a compressed file it would search
    // the compressed bytes and find nothing (or "binary file matches").
    refuseGzip(l.partitions, count ? 'countLinesMatching()' : 'linesMatching()');
    return new Dataset<never>(this.kiln, { kind: 'grep', partitions: l.partitions, find, count, label: l.label, encoding: l.encoding });
  }

  private encoding(): TextEncoding {
    const l = this.lineage;
    if (l.kind !== 'text') throw new KilnError('internal', 'a line search on a non-text dataset');
    return l.encoding;
  }

}

/** Options of linesMatching and countLinesMatching. */
export interface MatchOptions {
  /** A string every match holds, byte for byte (ASCII case folded with ignoreCase): the grep kernel's prefilter. */
  literal?: string;
  /** The literal's ASCII letters match either case (give the RegExp the i flag too). */
  ignoreCase?: boolean;
  /**
   * Without a literal: ASCII bytes [lo, hi] (no '\n') of which every match holds one,
   * as [0-9] in /[0-9]{5}/: the grep kernel's prefilter then.
   */
  byteRange?: readonly [number, number];
}

function lineSearch(re: RegExp, options: MatchOptions, keepNul: boolean, encoding: TextEncoding): LineSearch {
  if (!(re instanceof RegExp)) throw new KilnError('usage', `a line search needs a RegExp, got ${typeof re}`);
  if (re.sticky || re.flags.includes('v')) throw new KilnError('usage', `a line search needs a RegExp without the y or v flag (got /${re.source}/${re.flags})`);
  const match = { source: re.source, flags: re.flags.replace(/[gm]/g, '') };
  if (options.literal === undefined) {
    if (options.byteRange === undefined) return { match, keepNul };
    const [lo, hi] = options.byteRange;
    const why = rangeUnsupported(lo, hi);
    if (why !== undefined) throw new KilnError('usage', `the grep kernel cannot search for the byte range ${lo}-${hi}: ${why}`);
    return { range: { lo, hi }, match, keepNul };
  }
  return { literal: checkedLiteral(options.literal, options.ignoreCase ?? false, encoding), match, keepNul };
}

function checkedLiteral(text: string, ignoreCase: boolean, encoding: TextEncoding): { text: string; ignoreCase: boolean } {
  const why = literalUnsupported(text, ignoreCase, encoding);
  if (why !== undefined) throw new KilnError('usage', `the grep kernel cannot search for ${JSON.stringify(text)}: ${why}; filter the lines with a function instead`);
  return { text, ignoreCase };
}

/** The kernel readers take byte ranges of plain files; compressed input goes through the JS line reader. */
function refuseGzip(partitions: readonly { splits: readonly { path: string }[] }[], operator: string): void {
  for (const p of partitions) {
    for (const s of p.splits) {
      if (isCompressedPath(s.path)) throw new KilnError('usage', `${operator} reads plain text only, and ${s.path} is ${inputCodecOf(s.path)!.name}: decompress it first, or read it with textFile(...) and filter or split the lines in JS`, { file: s.path });
    }
  }
}

function ship(fn: unknown, operator: string, captures?: Captures): ShippedFunction {
  if (typeof fn !== 'function') throw new KilnError('usage', `${operator} needs a function, got ${typeof fn}`);
  return shipFunction(fn, operator, captures);
}

/** Records of collected partitions: arrays, or columnar table batches (word counts). */
function unpackParts<T>(parts: unknown[]): T[] {
  // One array of the final length, filled in place: for a word count's 100 000 rows,
  // growing it by push and copying each part's array measured slower (GC of the copies).
  let total = 0;
  for (const p of parts) total += isTableBatch(p) ? p.values.length : (p as unknown[]).length;
  const out = new Array<T>(total);
  let at = 0;
  for (const p of parts) {
    if (isTableBatch(p)) {
      expandTableBatch(p, out, at);
      at += p.values.length;
    } else {
      const records = p as T[];
      for (let i = 0; i < records.length; i++) out[at++] = records[i]!;
    }
  }
  return out;
}

function shuffleOptions(options: ShuffleOptions | undefined): { partitions: number | undefined; captures: Captures | undefined } {
  if (options === undefined) return { partitions: undefined, captures: undefined };
  if (typeof options === 'number') return { partitions: options, captures: undefined };
  return { partitions: options.partitions, captures: options.captures };
}

function isBuiltin(x: unknown): x is BuiltinAgg {
  return x === 'count' || x === 'sum' || x === 'min' || x === 'max';
}

function cloneable<V>(value: V, what: string): V {
  try {
    structuredClone(value);
    return value;
  } catch (cause) {
    throw new KilnError('usage', `${what} must be structured-cloneable (plain data): ${(cause as Error).message}`, {}, { cause });
  }
}

/** Canonical key bytes (re-exported for range bounds). */
export { encodeKey };
