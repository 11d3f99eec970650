// Sampling actions and transformations (Spark's RDD.takeSample, randomSplit,
// PairRDDFunctions.sampleByKey). Policy: Spark's algorithms, deterministic per seed:
// takeSample oversamples by Spark's SamplingUtils bounds so one pass nearly always
// yields enough, retries with a new seed when it does not, shuffles and cuts to the
// exact size; randomSplit draws one number per record per partition from a
// per-partition seed and every split keeps the records whose draw falls in its range,
// so the splits are disjoint and complete. The per-record code is shipped as
// self-contained source with its own small PRNG (mulberry32, as kiln's sample()).
import { KilnError } from '../../common/errors.js';
import { seededRandom } from '../../common/seeded-random.js';
import { composeShipped } from '../../common/functions/index.js';
import type { ActionOptions, Dataset } from './dataset.js';

/** Spark's PoissonBounds.getUpperBound: s + numStd(s) sqrt(s). */
function poissonUpperBound(s: number): number {
  const numStd = s < 6 ? 12 : s < 16 ? 9 : 6;
  return Math.max(s + numStd * Math.sqrt(s), 1e-10);
}

/** Spark's BinomialBounds.getUpperBound(delta, n, fraction). */
function binomialUpperBound(delta: number, n: number, fraction: number): number {
  const gamma = -Math.log(delta) / n;
  return Math.min(1, Math.max(1e-10, fraction + gamma + Math.sqrt(gamma * gamma + 2 * gamma * fraction)));
}

/** Spark's SamplingUtils.computeFractionForSampleSize. */
export function fractionForSampleSize(num: number, total: number, withReplacement: boolean): number {
  return withReplacement ? poissonUpperBound(num) / total : binomialUpperBound(1e-4, total, num / total);
}

/** Fisher-Yates shuffle with a seeded PRNG. */
function shuffleInPlace<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * Exactly `num` records drawn at random (fewer only when the dataset holds fewer and
 * withReplacement is false), as Spark's takeSample: count, sample with an oversampled
 * fraction, retry with the next seed until enough, shuffle, take num.
 */
export async function takeSample<T>(ds: Dataset<T>, withReplacement: boolean, num: number, seed = 42, options: ActionOptions = {}): Promise<T[]> {
  if (!Number.isInteger(num) || num < 0) throw new KilnError('usage', `takeSample num must be a whole number >= 0, got ${num}`);
  if (num > 2 ** 31 - 1 - 10 * Math.sqrt(2 ** 31 - 1)) throw new KilnError('usage', `takeSample num is too large (${num}): collect() the dataset instead`);
  if (num === 0) return [];
  const total = await ds.count(options);
  if (total === 0) return [];
  const rand = seededRandom(seed);
  if (!withReplacement && num >= total) return shuffleInPlace(await ds.collect(options), rand);
  const fraction = fractionForSampleSize(num, total, withReplacement);
  let samples: T[] = [];
  for (let attempt = 0; samples.length < num; attempt++) {
    if (attempt >= 100) throw new KilnError('execution', `takeSample could not draw ${num} records in 100 passes (fraction ${fraction}); this is very unlikely, try another seed`);
    samples = await ds.sample(withReplacement, Math.min(fraction, withReplacement ? Infinity : 1), Math.floor(rand() * 2 ** 31)).collect(options);
  }
  return shuffleInPlace(samples, rand).slice(0, num);
}

/**
 * The per-partition draw, as source for the shipped functions: kiln's own seededRandom
 * (mulberry32, self-contained, so its source runs in a worker as is) seeded from
 * (seed, partition index), as sample() seeds it.
 */
const DRAW = `(seed, index) => (${seededRandom.toString()})(seed ^ Math.imul(index + 1, 0x9e3779b1))`;

/**
 * Splits the dataset by `weights` (normalized to sum 1) into disjoint datasets that
 * together hold every record; the same seed gives the same splits (Spark's randomSplit).
 */
export function randomSplit<T>(ds: Dataset<T>, weights: readonly number[], seed = 42): Dataset<T>[] {
  if (!Array.isArray(weights) || weights.length === 0 || weights.some((w) => typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w))) {
    throw new KilnError('usage', `randomSplit weights must be non-negative finite numbers, got ${JSON.stringify(weights)}`);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new KilnError('usage', 'randomSplit weights must not all be zero');
  const bounds = [0];
  for (const w of weights) bounds.push(bounds[bounds.length - 1]! + w / sum);
  bounds[bounds.length - 1] = 1;
  return weights.map((_, i) =>
    ds.mapPartitionsWithIndexShipped<T>(
      composeShipped(
        `(index, it) => {
          const rand = (${DRAW})(__kilnSeed, index);
          const out = [];
          for (let r = it.next(); !r.done; r = it.next()) {
            const x = rand();
            if (x >= __kilnLow && x < __kilnHigh) out.push(r.value);
          }
          return out;
        }`,
        [],
        'randomSplit',
        { __kilnSeed: seed | 0, __kilnLow: bounds[i]!, __kilnHigh: i === weights.length - 1 ? 1.0000001 : bounds[i + 1]! },
      ),
    ),
  );
}

/**
 * A sample of [key, value] pairs with a fraction per key (Spark's sampleByKey: each
 * record kept with its key's probability, or Poisson copies with replacement). Every
 * key must have a fraction.
 */
export function sampleByKey<K, V>(ds: Dataset<[K, V]>, withReplacement: boolean, fractions: Map<K, number> | Record<string, number>, seed = 42): Dataset<[K, V]> {
  const map = fractions instanceof Map ? fractions : new Map(Object.entries(fractions) as [K, number][]);
  for (const [k, f] of map) {
    if (typeof f !== 'number' || !(f >= 0) || (!withReplacement && f > 1)) {
      throw new KilnError('usage', `sampleByKey fraction of key ${JSON.stringify(k)} must be in [0, 1] without replacement (>= 0 with), got ${f}`);
    }
  }
  return ds.mapPartitionsWithIndexShipped<[K, V]>(
    composeShipped(
      `(index, it) => {
        const rand = (${DRAW})(__kilnSeed, index);
        const out = [];
        for (let r = it.next(); !r.done; r = it.next()) {
          const kv = r.value;
          if (!Array.isArray(kv) || kv.length !== 2) throw new TypeError('sampleByKey needs [key, value] pairs; map the records to [key, value] first');
          const f = __kilnFractions.get(kv[0]);
          if (f === undefined) throw new TypeError('sampleByKey has no fraction for key ' + JSON.stringify(kv[0]) + ': give every key a fraction');
          if (!__kilnReplace) {
            if (rand() < f) out.push(kv);
            continue;
          }
          const l = Math.exp(-f);
          let k = 0;
          let p = rand();
          while (p > l) { k++; p *= rand(); }
          for (let i = 0; i < k; i++) out.push(kv);
        }
        return out;
      }`,
      [],
      'sampleByKey',
      { __kilnSeed: seed | 0, __kilnFractions: map, __kilnReplace: withReplacement },
    ),
  );
}
