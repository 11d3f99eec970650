// Per-partition partial results: the building block of kiln's actions that fold
// each partition in its worker and merge the small results on the driver (Spark's
// `mapPartitions(...).collect()` then a driver-side merge). Policy: the per-record
// function runs in the existing fold sink, from a structured clone of a zero value,
// so no partition is buffered; kiln's own fold functions are self-contained
// literals (shipped like a user's, with their parameters as captures).
import { shipFunction, type ShippedFunction } from '../../common/functions/index.js';
import type { ActionOptions, Captures, Dataset } from './dataset.js';

/** Folds every (or the given) partition from a copy of `zero` with `seqOp`; one result per partition. */
export async function foldPartitions<T, U>(ds: Dataset<T>, zero: U, seqOp: ShippedFunction, options: ActionOptions & { partitions?: readonly number[] } = {}): Promise<U[]> {
  const parts = (await ds.kiln.runJob(ds, { t: 'fold', fn: seqOp, zero: { value: zero } }, options)) as { value: U }[];
  return parts.map((p) => p.value);
}

/** Ships one of kiln's own self-contained fold functions, with its parameters as captures. */
export function own(fn: Function, operator: string, captures?: Captures): ShippedFunction {
  return shipFunction(fn, operator, captures);
}
