// More sources (Spark's SparkContext.range, emptyRDD, union, wholeTextFiles).
// Policy: sources stay lazy and small on the driver: range ships each slice's
// (start, end, step) and the numbers are generated in the worker; wholeTextFiles
// ships the file paths and reads each file whole in its task (a `.gz` file
// decompressed), giving [path, content].
import { KilnError } from '../../common/errors.js';
import { listInputFilesSync } from '../../executor/io/index.js';
import { composeShipped } from '../../common/functions/index.js';
import { Dataset } from './dataset.js';
import type { Kiln } from './kiln.js';

/**
 * start, start + step, ... below end (above it for a negative step), in `slices`
 * partitions of about equal length, as Spark's range; with one argument, 0 until it.
 */
export function range(kiln: Kiln, start: number, end: number | undefined, step: number, slices: number): Dataset<number> {
  if (end === undefined) [start, end] = [0, start];
  for (const [what, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (!Number.isSafeInteger(v)) throw new KilnError('usage', `range ${what} must be a safe integer, got ${v}`);
  }
  if (step === 0) throw new KilnError('usage', 'range step cannot be 0');
  const length = Math.max(0, Math.ceil((end - start) / step));
  const descriptors = Array.from({ length: slices }, (_, i) => {
    const from = Math.floor((i * length) / slices);
    const to = Math.floor(((i + 1) * length) / slices);
    return [start + from * step, to - from, step] as [number, number, number];
  });
  return kiln.parallelize(descriptors, slices).flatMapShipped<number>(
    // A generator: a slice of a billion numbers is never an array in memory.
    composeShipped('function* (d) { for (let i = 0; i < d[1]; i++) yield d[0] + i * d[2]; }', [], 'range'),
  );
}

/** A dataset with no partitions (Spark's emptyRDD). */
export function emptyDataset<T>(kiln: Kiln): Dataset<T> {
  return new Dataset<T>(kiln, { kind: 'slices', slices: [] });
}

/** The records of every dataset, partitions concatenated (Spark's SparkContext.union). */
export function union<T>(kiln: Kiln, datasets: readonly Dataset<T>[]): Dataset<T> {
  if (datasets.length === 0) return emptyDataset<T>(kiln);
  for (const d of datasets) if (!(d instanceof Dataset) || d.kiln !== kiln) throw new KilnError('usage', 'kiln.union takes datasets of this Kiln context');
  const [first, ...rest] = datasets;
  return rest.length === 0 ? first! : first!.union(...rest);
}

/**
 * Each file of a path, directory or glob as [path, content] (Spark's wholeTextFiles):
 * files listed as textFile lists them, spread over `minPartitions` partitions (default
 * the worker count, at most one per file), each read whole by its task.
 */
export function wholeTextFiles(kiln: Kiln, paths: string | readonly string[], minPartitions?: number): Dataset<[string, string]> {
  const files = listInputFilesSync(paths).map((f) => f.path);
  const slices = Math.max(1, Math.min(files.length, minPartitions ?? Math.max(1, kiln.options.workers)));
  return kiln.parallelize(files, slices).opSpec<[string, string]>({ kind: 'readWholeFile' });
}
