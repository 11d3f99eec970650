// Numeric actions (issue 12) against plain-JS references on random data, with workers
// 0, 1 and 2 and 1, 3 and 17 partitions: sum, stats (Welford per partition, Chan's
// merge), mean, variances, max/min, histogram with even and uneven buckets; the
// StatCounter merge against a two-pass reference; bad histogram buckets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, StatCounter, type Dataset } from '../engine/index.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

const r = rng(4242);
const numbers = Array.from({ length: 1000 }, () => (r() - 0.3) * 1e4 + randInt(r, 3));
const ints = Array.from({ length: 700 }, () => randInt(r, 100) - 20);

/** Two-pass reference figures. */
function ref(xs: number[]) {
  const n = xs.length;
  const sum = xs.reduce((a, b) => a + b, 0);
  const mean = n ? sum / n : 0;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { n, sum, mean, variance: n ? ss / n : NaN, sampleVariance: n > 1 ? ss / (n - 1) : NaN, max: Math.max(...xs), min: Math.min(...xs) };
}
const close = (a: number, b: number, what: string): void => {
  if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `${what}: ${a} is not NaN`);
  else assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
};
/** Reference histogram: buckets [b_i, b_i+1), last closed; NaN and outside skipped. */
function histRef(xs: number[], b: number[]): number[] {
  const counts = new Array<number>(b.length - 1).fill(0);
  for (const x of xs) {
    if (!(x >= b[0]! && x <= b[b.length - 1]!)) continue;
    let i = b.length - 2;
    while (i > 0 && x < b[i]!) i--;
    counts[i]!++;
  }
  return counts;
}

test('StatCounter: Welford and Chan merge agree with two passes, also for very unequal counts', () => {
  for (const [a, b] of [[0, 1000], [3, 997], [500, 500], [999, 1], [1000, 0]] as const) {
    const merged = new StatCounter(numbers.slice(0, a)).mergeStats(new StatCounter(numbers.slice(a, a + b)));
    const want = ref(numbers.slice(0, a + b));
    assert.is(merged.count, want.n);
    close(merged.mean, want.mean, `mean ${a}+${b}`);
    close(merged.variance, want.variance, `variance ${a}+${b}`);
    close(merged.sampleStdev, Math.sqrt(want.sampleVariance), `sampleStdev ${a}+${b}`);
    assert.is(merged.max, want.max);
    assert.is(merged.min, want.min);
  }
  const empty = new StatCounter();
  assert.equal([empty.count, empty.mean, empty.sum, empty.max, empty.min], [0, 0, 0, -Infinity, Infinity]);
  assert.ok(Number.isNaN(empty.variance) && Number.isNaN(new StatCounter([1]).sampleVariance));
  assert.is(new StatCounter([1, 2, 3]).toString(), '(count: 3, mean: 2.000000, stdev: 0.816497, max: 3.000000, min: 1.000000)');
  const self = new StatCounter([1, 2]);
  assert.is(self.mergeStats(self).count, 4, 'merging a counter with itself');
});

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const nums = (): Dataset<number> => kiln.parallelize(numbers, parts);

    test(name('stats, sum, mean, variances, max, min'), async () => {
      const want = ref(numbers);
      const s = await nums().stats();
      assert.is(s.count, want.n);
      close(s.mean, want.mean, 'mean');
      close(s.sum, want.sum, 'stats sum');
      close(s.variance, want.variance, 'variance');
      close(s.sampleVariance, want.sampleVariance, 'sampleVariance');
      close(s.stdev, Math.sqrt(want.variance), 'stdev');
      assert.is(s.max, want.max);
      assert.is(s.min, want.min);
      close(await nums().sum(), want.sum, 'sum');
      close(await nums().mean(), want.mean, 'mean()');
      close(await nums().variance(), want.variance, 'variance()');
      close(await nums().sampleStdev(), Math.sqrt(want.sampleVariance), 'sampleStdev()');
      close(await nums().stdev(), Math.sqrt(want.variance), 'stdev()');
      close(await nums().sampleVariance(), want.sampleVariance, 'sampleVariance()');
      assert.is(await nums().max(), want.max);
      assert.is(await nums().min(), want.min);
      const words = kiln.parallelize(['pear', 'fig', 'banana'], parts);
      assert.is(await words.max(), 'pear');
      assert.is(await words.min({ key: (w) => w.length }), 'fig');
      assert.is(await words.max({ compare: (a, b) => a.length - b.length }), 'banana');
    });

    test(name('empty datasets: stats as Spark, max/min are errors'), async () => {
      const empty = kiln.parallelize<number>([], parts);
      const s = await empty.stats();
      assert.equal([s.count, s.mean, s.sum, s.max, s.min], [0, 0, 0, -Infinity, Infinity]);
      assert.ok(Number.isNaN(await empty.variance()));
      assert.is(await empty.sum(), 0);
      await rejects(() => empty.max(), /max\(\) on an empty dataset/);
      await rejects(() => empty.min(), /min\(\) on an empty dataset/);
      await rejects(() => empty.histogram(3), /empty/);
    });

    test(name('histogram: bucket count, even and uneven boundaries, NaN, outside values'), async () => {
      const [b, counts] = await nums().histogram(7);
      const want = ref(numbers);
      assert.is(b.length, 8);
      assert.is(b[0], want.min);
      assert.is(b[7], want.max);
      assert.equal(counts, histRef(numbers, b));
      assert.is(counts.reduce((x, y) => x + y, 0), numbers.length);
      const withNaN = [...ints, NaN, NaN, -1000, 1000];
      const ds = kiln.parallelize(withNaN, parts);
      for (const bounds of [[0, 10, 20, 30], [-5, 0, 1, 50, 60], [0, 79], [-20, 0, 20, 40, 60, 80]]) {
        assert.equal(await ds.histogram(bounds), [bounds, histRef(withNaN, bounds)], `bounds ${bounds}`);
      }
      assert.equal(await kiln.parallelize([5, 5, 5], parts).histogram(4), [[5, 5], [3]]);
      assert.equal(await kiln.parallelize([1, 2, NaN], parts).histogram(1), [[1, 2], [2]]);
    });

    test(name('bad input: non-numbers, bad buckets'), async () => {
      // Several partitions: a failed task set's cancelled siblings must not fail the next job.
      await rejects(() => (kiln.parallelize(['1', '2', '3'], parts) as unknown as Dataset<number>).stats(), /needs numbers, got string.*map the records to numbers/);
      await rejects(() => (kiln.parallelize(['1', '2', '3'], parts) as unknown as Dataset<number>).sum(), /sum\(\) needs numbers/);
      assert.is(await kiln.parallelize([1, 2, 3], parts).sum(), 6, 'the next job runs');
      const ds = kiln.parallelize(ints, parts);
      await rejects(() => ds.histogram([1]), /at least two bucket boundaries/);
      await rejects(() => ds.histogram([3, 1, 2]), /sorted ascending/);
      await rejects(() => ds.histogram([1, 1, 2]), /distinct/);
      await rejects(() => ds.histogram([0, NaN]), /NaN/);
      await rejects(() => ds.histogram(0), /whole number of buckets/);
      await rejects(() => kiln.parallelize([1, Infinity], parts).histogram(2), /infinite/);
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.run();
