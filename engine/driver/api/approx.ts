// Approximate actions (Spark's RDD.countApproxDistinct, countApprox and
// DoubleRDDFunctions.sumApprox / meanApprox). Policy: countApproxDistinct is a
// HyperLogLog sketch per partition, its registers updated by a WASM kernel
// (engine/executor/runtime/hll-sink.ts) and merged on the driver; the timed actions return what
// the finished partitions say when `timeout` milliseconds have passed, with Spark's
// evaluators' bounds (CountEvaluator, SumEvaluator, MeanEvaluator), and cancel the
// rest. To see partitions finish one by one, the job's shuffle parents are computed
// first (a job with no result tasks) and each partition then runs as a job of its own,
// reusing that shuffle output.
import { createRequire } from 'node:module';
import { KilnError } from '../../common/errors.js';
import type { SinkSpec } from '../../common/protocol/protocol.js';
import { hllEstimate, hllPrecision, mergeRegisters, HLL_MAX_PRECISION } from '../../executor/kernels/hll.js';
import type { ActionOptions, Dataset } from './dataset.js';
import { statSeqOp } from './numeric.js';
import { emptyStatState, StatCounter, type StatState } from './stat-counter.js';

type Quantile = (p: number, ...params: number[]) => number;
/** The four quantile functions the bounds need (@stdlib). */
interface Quantiles {
  negativeBinomial: Quantile;
  normal: Quantile;
  poisson: Quantile;
  t: Quantile;
}
// Loaded on the first approximate action, not at import: @stdlib's packages are
// hundreds of small CommonJS files, ~160 ms of every process's start-up here (every
// CLI command imports the engine), for actions few jobs use.
let quantiles: Quantiles | undefined;
function stdlib(): Quantiles {
  if (!quantiles) {
    const load = createRequire(import.meta.url);
    quantiles = {
      negativeBinomial: load('@stdlib/stats-base-dists-negative-binomial-quantile') as Quantile,
      normal: load('@stdlib/stats-base-dists-normal-quantile') as Quantile,
      poisson: load('@stdlib/stats-base-dists-poisson-quantile') as Quantile,
      t: load('@stdlib/stats-base-dists-t-quantile') as Quantile,
    };
  }
  return quantiles;
}

/** Spark's BoundedDouble: an estimate, the confidence of [low, high]. */
export interface BoundedDouble {
  readonly mean: number;
  readonly confidence: number;
  readonly low: number;
  readonly high: number;
}

/**
 * Approximate number of distinct records (Spark's countApproxDistinct): HyperLogLog
 * with 2^p registers, p = ceil(2 log2(1.054 / relativeSD)) as Spark's, so the relative
 * standard error is about relativeSD. relativeSD must be in [0.0021, 0.39] (p 4 to 18).
 * Records are distinct as kiln keys are, except that a string and its canonical key
 * bytes are hashed apart (see engine/executor/runtime/hll-sink.ts).
 */
export async function countApproxDistinct<T>(ds: Dataset<T>, relativeSD = 0.05, options: ActionOptions = {}): Promise<number> {
  const p = hllPrecision(relativeSD);
  if (p === null) {
    throw new KilnError('usage', `countApproxDistinct relativeSD must be between ${(1.054 / 2 ** (HLL_MAX_PRECISION / 2)).toFixed(4)} and 0.39, got ${relativeSD}`);
  }
  const parts = (await ds.kiln.runJob(ds, { t: 'hll', precision: p }, options)) as Uint8Array[];
  const regs = new Uint8Array(1 << p);
  for (const r of parts) mergeRegisters(regs, r);
  return Math.round(hllEstimate(regs, p));
}

/** The count within `timeout` ms (Spark's countApprox; exact, confidence 1, when every partition finished). */
export async function countApprox<T>(ds: Dataset<T>, timeout: number, confidence = 0.95, options: ActionOptions = {}): Promise<BoundedDouble> {
  checkApprox(timeout, confidence, 'countApprox');
  const { done, total } = await runTimed<number>(ds, { t: 'count' }, timeout, options);
  const sum = done.reduce((a, b) => a + b, 0);
  if (done.length === total) return { mean: sum, confidence: 1, low: sum, high: sum };
  if (done.length === 0 || sum === 0) return { mean: 0, confidence: 0, low: 0, high: Infinity };
  return countBound(confidence, sum, done.length / total);
}

/**
 * Spark's CountEvaluator.bound: the count not yet seen is negative binomial (Pascal:
 * `sum` successes of probability p) up to 10 000 seen records, Poisson(sum (1 - p) / p)
 * beyond; the interval comes from its quantiles, plus what was seen.
 */
export function countBound(confidence: number, sum: number, p: number): BoundedDouble {
  let mean: number;
  let low: number;
  let high: number;
  if (sum <= 10_000) {
    mean = (sum * (1 - p)) / p;
    low = stdlib().negativeBinomial((1 - confidence) / 2, sum, p);
    high = stdlib().negativeBinomial((1 + confidence) / 2, sum, p);
  } else {
    const lambda = (sum * (1 - p)) / p;
    mean = lambda;
    low = stdlib().poisson((1 - confidence) / 2, lambda);
    high = stdlib().poisson((1 + confidence) / 2, lambda);
  }
  return { mean: sum + mean, confidence, low: sum + low, high: sum + high };
}

/** The sum within `timeout` ms, with Spark's SumEvaluator bounds. */
export async function sumApprox(ds: Dataset<number>, timeout: number, confidence = 0.95, options: ActionOptions = {}): Promise<BoundedDouble> {
  checkApprox(timeout, confidence, 'sumApprox');
  const { counter, fraction } = await timedStats(ds, timeout, options);
  if (fraction === 1) return { mean: counter.sum, confidence: 1, low: counter.sum, high: counter.sum };
  if (fraction === 0 || counter.count === 0) return { mean: 0, confidence: 0, low: -Infinity, high: Infinity };
  const p = fraction;
  const meanEstimate = counter.mean;
  const countEstimate = (counter.count + 1 - p) / p;
  const sumEstimate = meanEstimate * countEstimate;
  const meanVar = counter.sampleVariance / counter.count;
  if (Number.isNaN(meanVar) || counter.count === 1) return { mean: sumEstimate, confidence, low: -Infinity, high: Infinity };
  const countVar = ((counter.count + 1) * (1 - p)) / (p * p);
  const sumVar = meanEstimate * meanEstimate * countVar + countEstimate * countEstimate * meanVar + meanVar * countVar;
  const f = confFactor(confidence, counter.count);
  const sd = Math.sqrt(sumVar);
  return { mean: sumEstimate, confidence, low: sumEstimate - f * sd, high: sumEstimate + f * sd };
}

/** The mean within `timeout` ms, with Spark's MeanEvaluator bounds. */
export async function meanApprox(ds: Dataset<number>, timeout: number, confidence = 0.95, options: ActionOptions = {}): Promise<BoundedDouble> {
  checkApprox(timeout, confidence, 'meanApprox');
  const { counter, fraction } = await timedStats(ds, timeout, options);
  if (fraction === 1) return { mean: counter.mean, confidence: 1, low: counter.mean, high: counter.mean };
  if (fraction === 0 || counter.count === 0) return { mean: 0, confidence: 0, low: -Infinity, high: Infinity };
  if (counter.count === 1) return { mean: counter.mean, confidence, low: -Infinity, high: Infinity };
  const sd = Math.sqrt(counter.sampleVariance / counter.count);
  const f = confFactor(confidence, counter.count);
  return { mean: counter.mean, confidence, low: counter.mean - f * sd, high: counter.mean + f * sd };
}

/** Spark's confidence factor: the normal quantile above 100 values, Student's t below. */
function confFactor(confidence: number, count: number): number {
  const q = 1 - (1 - confidence) / 2;
  return count > 100 ? stdlib().normal(q, 0, 1) : stdlib().t(q, count - 1);
}

async function timedStats(ds: Dataset<number>, timeout: number, options: ActionOptions): Promise<{ counter: StatCounter; fraction: number }> {
  const sink: SinkSpec = { t: 'fold', fn: statSeqOp(), zero: { value: emptyStatState() } };
  const { done, total } = await runTimed<{ value: StatState }>(ds, sink, timeout, options);
  const counter = new StatCounter();
  for (const d of done) counter.mergeStats(StatCounter.fromState(d.value));
  return { counter, fraction: total === 0 ? 1 : done.length / total };
}

/**
 * Runs `sink` over every partition, each as its own job after the shuffle parents are
 * computed, and returns the results of those finished within `timeout` ms; the rest
 * are cancelled (their tasks aborted) before it returns.
 */
async function runTimed<R>(ds: Dataset<unknown>, sink: SinkSpec, timeout: number, options: ActionOptions): Promise<{ done: R[]; total: number }> {
  const started = performance.now();
  const total = ds.numPartitions;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  // Shuffle parents first: a job with no result tasks.
  await ds.kiln.runJob(ds, sink, { signal, partitions: [] });
  const done: R[] = [];
  let failure: unknown;
  const jobs = Array.from({ length: total }, (_, p) =>
    ds.kiln.runJob(ds, sink, { signal, partitions: [p] }).then(
      ([v]) => void done.push(v as R),
      (e: unknown) => {
        if (!stop.signal.aborted) failure ??= e;
      },
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, timeout - (performance.now() - started));
  await Promise.race([Promise.all(jobs), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
  clearTimeout(timer);
  const finished = done.slice();
  stop.abort();
  await Promise.all(jobs);
  if (failure !== undefined && !options.signal?.aborted) throw failure;
  if (options.signal?.aborted) throw failure ?? new KilnError('aborted', 'cancelled');
  return { done: finished, total };
}

function checkApprox(timeout: number, confidence: number, operator: string): void {
  if (!(timeout >= 0) || !Number.isFinite(timeout)) throw new KilnError('usage', `${operator} timeout must be a number of milliseconds >= 0, got ${timeout}`);
  if (!(confidence >= 0 && confidence <= 1)) throw new KilnError('usage', `${operator} confidence must be in [0, 1], got ${confidence}`);
}
