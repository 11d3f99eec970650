// Whole-dataset aggregates beyond reduce and fold (Spark's RDD.aggregate,
// treeAggregate, treeReduce; PairRDDFunctions.reduceByKeyLocally, collectAsMap,
// lookup; RDD.isEmpty). Policy: partitions fold in their workers; `treeAggregate`
// combines the partition results in a real tree of tasks (each level a shuffle
// stage, Spark's algorithm) rather than on the driver; `lookup` with a known
// partitioner runs the one partition that can hold the key.
import { encodeKey } from '../../common/codec/index.js';
import { KilnError } from '../../common/errors.js';
import { composeShipped, shipFunction, type ShippedFunction } from '../../common/functions/index.js';
import { hashToPartition, rangePartition } from '../../common/protocol/partitioner.js';
import type { ActionOptions, Captures, Dataset } from './dataset.js';
import { foldPartitions } from './partials.js';

/** Options of the aggregates that take user functions. */
export type AggregateOptions = ActionOptions & { captures?: Captures };

/**
 * Spark's aggregate: each partition folds its records into a copy of `zero` with
 * `seqOp`; the driver merges the partition results into another copy with `combOp`.
 */
export async function aggregate<T, U>(ds: Dataset<T>, zero: U, seqOp: (acc: U, x: T) => U, combOp: (a: U, b: U) => U, options: AggregateOptions = {}): Promise<U> {
  cloneableZero(zero, 'aggregate');
  const parts = await foldPartitions(ds, zero, shipFunction(seqOp, 'aggregate', options.captures), options);
  let acc = structuredClone(zero);
  for (const p of parts) acc = combOp(acc, p);
  return acc;
}

/**
 * Spark's treeAggregate: partition results are combined in a tree of depth `depth`
 * (default 2): while there are more than scale + ceil(n / scale) partial results
 * (scale = max(ceil(n^(1/depth)), 2)), they are keyed by partition index mod n / scale
 * and folded by a shuffle (foldByKey with combOp), so each level is a stage of tasks;
 * the last few merge on the driver. The answer equals aggregate's for an associative
 * combOp.
 */
export async function treeAggregate<T, U>(ds: Dataset<T>, zero: U, seqOp: (acc: U, x: T) => U, combOp: (a: U, b: U) => U, depth = 2, options: AggregateOptions = {}): Promise<U> {
  cloneableZero(zero, 'treeAggregate');
  const seq = shipFunction(seqOp, 'treeAggregate', options.captures);
  const comb = shipFunction(combOp, 'treeAggregate', options.captures);
  return tree(ds, zero, seq, comb, combOp, depth, options);
}

/** Spark's treeReduce: treeAggregate over "no value yet" or one value; an empty dataset is an error. */
export async function treeReduce<T>(ds: Dataset<T>, fn: (a: T, b: T) => T, depth = 2, options: AggregateOptions = {}): Promise<T> {
  const f = shipFunction(fn, 'treeReduce', options.captures);
  // A partial is [] (no value: an empty partition) or [value], as Spark's Option.
  const seq = composeShipped('(acc, x) => (acc.length === 0 ? [x] : [__f0(acc[0], x)])', [f], 'treeReduce');
  const combine = (a: T[], b: T[]): T[] => (a.length === 0 ? b : b.length === 0 ? a : [fn(a[0]!, b[0]!)]);
  const comb = composeShipped('(a, b) => (a.length === 0 ? b : b.length === 0 ? a : [__f0(a[0], b[0])])', [f], 'treeReduce');
  const result = await tree<T, T[]>(ds, [], seq, comb, combine, depth, options);
  if (result.length === 0) throw new KilnError('usage', 'treeReduce() on an empty dataset: use treeAggregate() with a zero value');
  return result[0]!;
}

async function tree<T, U>(ds: Dataset<T>, zero: U, seq: ShippedFunction, comb: ShippedFunction, combLocal: (a: U, b: U) => U, depth: number, options: ActionOptions): Promise<U> {
  if (!Number.isInteger(depth) || depth < 1) throw new KilnError('usage', `treeAggregate depth must be an integer >= 1, got ${depth}`);
  if (ds.numPartitions === 0) return structuredClone(zero);
  const fold = composeShipped(
    '(it) => { let acc = structuredClone(__kilnZero); for (let r = it.next(); !r.done; r = it.next()) acc = __f0(acc, r.value); return [acc]; }',
    [seq],
    'treeAggregate',
    { __kilnZero: zero },
  );
  let partial = ds.mapPartitionsShipped<U>(fold);
  let n = partial.numPartitions;
  const scale = Math.max(Math.ceil(Math.pow(n, 1 / depth)), 2);
  while (n > scale + Math.ceil(n / scale)) {
    n = Math.floor(n / scale);
    const keyed = partial.mapPartitionsWithIndexShipped<[number, U]>(
      composeShipped('(i, it) => { const out = []; for (let r = it.next(); !r.done; r = it.next()) out.push([i % __kilnLevel, r.value]); return out; }', [], 'treeAggregate', { __kilnLevel: n }),
    );
    partial = keyed.foldByKeyShipped(zero, comb, n).values();
  }
  const parts = (await ds.kiln.runJob(partial, { t: 'fold', fn: comb, zero: { value: zero } }, options)) as { value: U }[];
  let acc = structuredClone(zero);
  for (const p of parts) acc = combLocal(acc, p.value);
  return acc;
}

/** Merges each key's values with `fn` in the workers and on the driver; returns a Map (Spark's reduceByKeyLocally). */
export async function reduceByKeyLocally<K, V>(ds: Dataset<[K, V]>, fn: (a: V, b: V) => V, options: AggregateOptions = {}): Promise<Map<K, V>> {
  const f = shipFunction(fn, 'reduceByKeyLocally', options.captures);
  const seq = composeShipped(
    `(m, kv) => {
      if (!Array.isArray(kv) || kv.length !== 2) throw new TypeError('reduceByKeyLocally needs [key, value] pairs; map the records to [key, value] first');
      const k = kv[0];
      if (k !== null && typeof k === 'object') throw new TypeError('reduceByKeyLocally keys must be primitives (strings, numbers, booleans, null), since they become Map keys; use reduceByKey(fn).collect() for array keys');
      m.set(k, m.has(k) ? __f0(m.get(k), kv[1]) : kv[1]);
      return m;
    }`,
    [f],
    'reduceByKeyLocally',
  );
  const parts = await foldPartitions(ds, new Map<K, V>(), seq, options);
  const out = new Map<K, V>();
  for (const m of parts) for (const [k, v] of m) out.set(k, out.has(k) ? fn(out.get(k)!, v) : v);
  return out;
}

/** The pairs as a Map; a later pair wins for a repeated key (Spark's collectAsMap). */
export async function collectAsMap<K, V>(ds: Dataset<[K, V]>, options: ActionOptions = {}): Promise<Map<K, V>> {
  return new Map(await ds.collect(options));
}

/**
 * The values of `key`, in partition order. With a known hash or range partitioner
 * (after reduceByKey, partitionBy, sortByKey...) only the partition that can hold the
 * key runs. Keys are equal as kiln's shuffle keys are (their canonical bytes), so
 * array keys work.
 */
export async function lookup<K, V>(ds: Dataset<[K, V]>, args: readonly unknown[], options: ActionOptions = {}): Promise<V[]> {
  if (args.length === 0) throw new KilnError('usage', 'lookup(key) needs the key to look up, e.g. lookup("a")');
  const key = args[0] as K;
  let bytes: Uint8Array;
  try {
    bytes = encodeKey(key);
  } catch (cause) {
    throw new KilnError('usage', `lookup key cannot be a shuffle key: ${(cause as Error).message}`, {}, { cause });
  }
  const p = ds.partitioner;
  let partitions: number[] | undefined;
  if (p?.kind === 'hash') partitions = [hashToPartition(ds.kiln.hashKeyBytes(p.keyFormat === 'utf8' && typeof key === 'string' ? Buffer.from(key, 'utf8') : bytes), p.partitions)];
  else if (p?.kind === 'range') partitions = [rangePartition(bytes, p.bounds, p.ascending)];
  // Equality by canonical bytes in the worker: a self-contained deep comparison of
  // what encodeKey encodes (primitives, arrays, typed arrays).
  const matches = composeShipped(
    `(kv) => {
      const eq = (a, b) => {
        if (a === b) return a !== 0 || 1 / a === 1 / b;
        if (typeof a === 'number' && typeof b === 'number') return a !== a && b !== b;
        if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
        if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) return a.constructor === b.constructor && a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
        return false;
      };
      return eq(kv[0], __kilnKey);
    }`,
    [],
    'lookup',
    { __kilnKey: key },
  );
  const values = ds.filterShipped(matches).values();
  return values.collect({ ...options, ...(partitions ? { partitions } : {}) } as ActionOptions);
}

/** True when the dataset has no records (Spark: no partitions, or take(1) is empty). */
export async function isEmpty<T>(ds: Dataset<T>, options: ActionOptions = {}): Promise<boolean> {
  return ds.numPartitions === 0 || (await ds.take(1, { ...(options.signal ? { signal: options.signal } : {}) })).length === 0;
}

function cloneableZero(zero: unknown, operator: string): void {
  try {
    structuredClone(zero);
  } catch (cause) {
    throw new KilnError('usage', `${operator} zero value must be structured-cloneable (plain data): ${(cause as Error).message}`, { operator }, { cause });
  }
}
