// Numeric actions on a Dataset<number> (Spark's DoubleRDDFunctions): sum, stats and
// what derives from them, histogram; and max/min on any dataset. Policy: one pass,
// folded per partition in the workers (Welford per value, Chan's merge of the
// partition results on the driver: engine/driver/api/stat-counter.ts), never by collecting.
// A record that is not a number fails the task with an error saying to map to
// numbers first, where JS would silently concatenate or coerce.
import { KilnError } from '../../common/errors.js';
import type { ActionOptions, Dataset } from './dataset.js';
import type { OrderOptions } from './ordering.js';
import { foldPartitions, own } from './partials.js';
import { composeShipped, type ShippedFunction } from '../../common/functions/index.js';
import { emptyStatState, StatCounter, welford, type StatState } from './stat-counter.js';

/**
 * Welford's update as run in the workers (also by meanApprox and sumApprox): a number
 * check, then stat-counter.ts's welford, composed as source.
 */
export function statSeqOp(): ShippedFunction {
  // Made on first use: shipping loads the parser, which kernel-only jobs never need.
  statSeqOpShipped ??= composeShipped(
    `(s, x) => {
      if (typeof x !== 'number') throw new TypeError('stats() needs numbers, got ' + typeof x + ' ' + String(JSON.stringify(x)).slice(0, 40) + ': map the records to numbers first, e.g. .map(Number)');
      return __f0(s, x);
    }`,
    [own(welford, 'stats')],
    'stats',
  );
  return statSeqOpShipped;
}
let statSeqOpShipped: ShippedFunction | undefined;

const sumSeqOp = (a: number, x: number): number => {
  if (typeof x !== 'number') throw new TypeError(`sum() needs numbers, got ${typeof x} ${JSON.stringify(x)?.slice(0, 40)}: map the records to numbers first, e.g. .map(Number)`);
  return a + x;
};

/** Count, mean, variance, max and min in one pass: partitions fold, the driver merges (Chan). */
export async function stats(ds: Dataset<number>, options: ActionOptions = {}): Promise<StatCounter> {
  // textFile(f).map(Number).stats() runs in the stats kernel (engine/executor/runtime/stats-sink.ts).
  const parts = (await ds.kiln.runJob(ds, { t: 'stats', update: statSeqOp() }, options)) as StatState[];
  const total = new StatCounter();
  for (const p of parts) total.mergeStats(StatCounter.fromState(p));
  return total;
}

/** Sum of the numbers (plain addition per partition, then of the partition sums, as Spark's fold(0)). */
export async function sum(ds: Dataset<number>, options: ActionOptions = {}): Promise<number> {
  const parts = await foldPartitions(ds, 0, own(sumSeqOp, 'sum'), options);
  return parts.reduce((a, b) => a + b, 0);
}

/**
 * The largest record (Spark's max(): a reduce, so an empty dataset is an error), in
 * kiln's key order, or by `{ key }` or `{ compare }` as for top().
 */
export async function max<T>(ds: Dataset<T>, options?: OrderOptions<T>): Promise<T> {
  const [x] = await ds.top(1, options);
  if (x === undefined && (await ds.isEmpty(options))) throw new KilnError('usage', 'max() on an empty dataset');
  return x as T;
}

/** The smallest record; see {@link max}. */
export async function min<T>(ds: Dataset<T>, options?: OrderOptions<T>): Promise<T> {
  const [x] = await ds.takeOrdered(1, options);
  if (x === undefined && (await ds.isEmpty(options))) throw new KilnError('usage', 'min() on an empty dataset');
  return x as T;
}

/** Spark's histogram result: bucket boundaries and the count of each bucket. */
export type Histogram = [buckets: number[], counts: number[]];

/** What the bucket counting in the workers needs. */
interface BucketSpec {
  buckets: number[];
  /** Evenly spaced: the bucket is found by arithmetic, not binary search. */
  even: boolean;
}

/** Counts values into buckets in the workers: [b0, b1), ..., [bn-1, bn] (the last one closed). */
const bucketSeqOp = (counts: number[], x: number): number[] => {
  if (typeof x !== 'number') {
    if (x === null || x === undefined) return counts;
    throw new TypeError(`histogram() needs numbers, got ${typeof x} ${JSON.stringify(x)?.slice(0, 40)}: map the records to numbers first, e.g. .map(Number)`);
  }
  const b = spec.buckets;
  const last = b.length - 1;
  const lo = b[0];
  const hi = b[last];
  // NaN fails both comparisons' complements: skipped, as Spark's.
  if (!(x >= lo && x <= hi)) return counts;
  let i;
  if (spec.even) {
    i = Math.floor(((x - lo) / (hi - lo)) * last);
    if (i > last - 1) i = last - 1;
    // Float rounding at a boundary: step to the bucket whose range holds x.
    while (i > 0 && x < b[i]) i--;
    while (i < last - 1 && x >= b[i + 1]) i++;
  } else {
    let l = 0;
    let h = last;
    // Largest i with b[i] <= x (bisect_right - 1), at most last - 1.
    while (h - l > 1) {
      const m = (l + h) >>> 1;
      if (b[m] <= x) l = m;
      else h = m;
    }
    i = l;
  }
  counts[i]++;
  return counts;
};

/**
 * Spark's histogram. With a bucket count `n`: n even buckets between the minimum and
 * maximum (NaN and null skipped; one bucket [min, max] when they are equal; an error
 * for an empty dataset or infinite values). With sorted, distinct boundaries
 * `[b0, ..., bn]`: buckets [b0, b1), ..., [bn-1, bn], the last closed; values outside,
 * NaN and null are not counted. Evenly spaced boundaries take the arithmetic fast path.
 */
export async function histogram(ds: Dataset<number>, buckets: number | readonly number[], options: ActionOptions = {}): Promise<Histogram> {
  let spec: BucketSpec;
  if (typeof buckets === 'number') {
    if (!Number.isInteger(buckets) || buckets < 1) throw new KilnError('usage', `histogram(n) needs a whole number of buckets >= 1, got ${buckets}`);
    const s = await stats(ds.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)), options);
    if (s.count === 0) throw new KilnError('usage', 'histogram(n) cannot make buckets from an empty dataset (or one holding only NaN): pass the bucket boundaries instead');
    if (!Number.isFinite(s.min) || !Number.isFinite(s.max)) throw new KilnError('usage', 'histogram(n) cannot make buckets with an infinite value in the data: pass the bucket boundaries instead, or filter with Number.isFinite');
    if (s.min === s.max || buckets === 1) return [[s.min, s.max], [s.count]];
    const inc = (s.max - s.min) / buckets;
    const b = Array.from({ length: buckets }, (_, i) => i * inc + s.min);
    b.push(s.max);
    spec = { buckets: b, even: true };
  } else {
    if (!Array.isArray(buckets) || buckets.length < 2) throw new KilnError('usage', `histogram(buckets) needs at least two bucket boundaries, got ${Array.isArray(buckets) ? buckets.length : typeof buckets}`);
    if (buckets.some((b) => typeof b !== 'number' || Number.isNaN(b))) throw new KilnError('usage', 'histogram(buckets): boundaries must be numbers, and cannot be NaN');
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]! < buckets[i - 1]!) throw new KilnError('usage', `histogram(buckets): boundaries must be sorted ascending, but ${buckets[i - 1]} comes before ${buckets[i]}`);
      if (buckets[i] === buckets[i - 1]) throw new KilnError('usage', `histogram(buckets): boundaries must be distinct, ${buckets[i]} appears twice`);
    }
    const steps = buckets.slice(1).map((b, i) => b - buckets[i]!);
    const even = Number.isFinite(buckets[0]) && Number.isFinite(buckets[buckets.length - 1]) && Math.max(...steps) - Math.min(...steps) < 1e-10;
    spec = { buckets: [...buckets], even };
  }
  const zero = new Array<number>(spec.buckets.length - 1).fill(0);
  const parts = await foldPartitions(ds, zero, own(bucketSeqOp, 'histogram', { spec }), options);
  const counts = zero.slice();
  for (const p of parts) for (let i = 0; i < counts.length; i++) counts[i]! += p[i]!;
  return [spec.buckets, counts];
}

// Referenced only inside bucketSeqOp's shipped source, where it is a capture.
declare const spec: BucketSpec;
