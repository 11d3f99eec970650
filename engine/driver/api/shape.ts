// Zips and shape (Spark's RDD.zip, zipWithIndex, zipWithUniqueId, glom, groupBy,
// OrderedRDDFunctions.repartitionAndSortWithinPartitions, RDD.pipe). Policy: Spark's
// semantics; where JS forces a difference it is said here and in the TSDoc:
// zipWithIndex runs its count job when called, as Spark's does, so it returns a
// Promise of the dataset (JS cannot block on a job).
import { KilnError } from '../../common/errors.js';
import { composeShipped, shipFunction } from '../../common/functions/index.js';
import { splitCommand } from '../../executor/runtime/pipe.js';
import type { ActionOptions, Captures, Dataset } from './dataset.js';

/** Pairs partition i of `a` with partition i of `b`, record by record (Spark's zip). */
export function zip<T, U>(a: Dataset<T>, b: Dataset<U>): Dataset<[T, U]> {
  if (a.kiln !== b.kiln) throw new KilnError('usage', 'zip of datasets from different Kiln contexts');
  if (a.numPartitions !== b.numPartitions) {
    throw new KilnError('usage', `cannot zip datasets with unequal numbers of partitions (${a.numPartitions} and ${b.numPartitions}); repartition one, or pair records with zipWithIndex() and a join`);
  }
  return a.derive<[T, U]>({ kind: 'zip', parents: [a, b] });
}

/**
 * Each record with its index, in partition order (Spark's zipWithIndex). A count job
 * over all partitions but the last runs first, when this is called, as in Spark.
 */
export async function zipWithIndex<T>(ds: Dataset<T>, options: ActionOptions = {}): Promise<Dataset<[T, number]>> {
  const n = ds.numPartitions;
  const counts = n > 1 ? ((await ds.kiln.runJob(ds, { t: 'count' }, { ...options, partitions: Array.from({ length: n - 1 }, (_, i) => i) })) as number[]) : [];
  const starts = [0];
  for (const c of counts) starts.push(starts[starts.length - 1]! + c);
  return ds.mapPartitionsWithIndexShipped<[T, number]>(
    composeShipped(
      '(index, it) => { const out = []; let i = __kilnStarts[index]; for (let r = it.next(); !r.done; r = it.next()) out.push([r.value, i++]); return out; }',
      [],
      'zipWithIndex',
      { __kilnStarts: starts },
    ),
  );
}

/** Each record with a unique id: partition k's records get k, n + k, 2n + k, ... (Spark's zipWithUniqueId; no job). */
export function zipWithUniqueId<T>(ds: Dataset<T>): Dataset<[T, number]> {
  return ds.mapPartitionsWithIndexShipped<[T, number]>(
    composeShipped(
      '(index, it) => { const out = []; let i = 0; for (let r = it.next(); !r.done; r = it.next()) out.push([r.value, i++ * __kilnN + index]); return out; }',
      [],
      'zipWithUniqueId',
      { __kilnN: ds.numPartitions },
    ),
  );
}

/** Each partition as one array (Spark's glom). */
export function glom<T>(ds: Dataset<T>): Dataset<T[]> {
  return ds.mapPartitionsShipped<T[]>(composeShipped('(it) => { const out = []; for (let r = it.next(); !r.done; r = it.next()) out.push(r.value); return [out]; }', [], 'glom'));
}

/** Groups records by `fn(record)`: [key, records] (Spark's groupBy = keyBy + groupByKey). */
export function groupBy<T, K>(ds: Dataset<T>, fn: (x: T) => K, numPartitions?: number, captures?: Captures): Dataset<[K, T[]]> {
  return ds.keyBy(fn, captures).groupByKey(numPartitions);
}

/**
 * Hash-partitions [key, value] pairs into `numPartitions` and sorts each partition by
 * key in kiln's key order (Spark's repartitionAndSortWithinPartitions): by the
 * shuffle's partitioned-sort kernel, or, with PySpark's `keyfunc`, partitioned by
 * the key and sorted by keyfunc(key) in the reduce task (stable).
 */
export function repartitionAndSortWithinPartitions<K, V>(ds: Dataset<[K, V]>, numPartitions: number | undefined, ascending: boolean, keyfunc?: (k: K) => unknown, captures?: Captures): Dataset<[K, V]> {
  if (keyfunc === undefined) return ds.sortedWithinPartitions(numPartitions, ascending);
  const shipped = shipFunction(keyfunc, 'repartitionAndSortWithinPartitions', captures);
  const parted = ds.partitionBy(numPartitions ?? Math.max(1, ds.numPartitions));
  return parted.derive<[K, V]>({ kind: 'op', op: { kind: 'sortPartition', keyfunc: shipped, ascending }, parent: parted, keepsPartitioner: true });
}

/** Options of pipe(). */
export interface PipeOptions {
  /** Variables added to the command's environment. */
  env?: Record<string, string>;
}

/**
 * Runs `command` once per partition (Spark's pipe): the records, as lines in PySpark's
 * str() format, are its stdin; its stdout lines are the new records. A string command
 * is split into arguments as shlex.split does (no shell); an array is used as is. A
 * non-zero exit fails the task with the status and stderr's tail. Cancelling the job
 * kills the command's process group (with workers: 0 too: a pipe task runs on the
 * user-code thread, engine/driver/scheduler/user-code.ts).
 */
export function pipe<T>(ds: Dataset<T>, command: string | readonly string[], options: PipeOptions = {}): Dataset<string> {
  const argv = typeof command === 'string' ? splitCommand(command) : [...command];
  if (argv.length === 0 || argv.some((a) => typeof a !== 'string')) throw new KilnError('usage', `pipe needs a command (a string or an array of strings), got ${JSON.stringify(command)}`);
  const env = options.env ?? {};
  for (const [k, v] of Object.entries(env)) if (typeof v !== 'string') throw new KilnError('usage', `pipe env ${k} must be a string, got ${typeof v}`);
  return ds.derive<string>({ kind: 'op', op: { kind: 'pipe', command: argv, env }, parent: ds, keepsPartitioner: false });
}

