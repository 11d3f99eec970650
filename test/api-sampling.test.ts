// Sampling (issue 12) against plain-JS checks on random data, with workers 0, 1 and 2
// and 1, 3 and 17 partitions: takeSample's exact size and determinism, randomSplit
// disjoint, complete and deterministic, sampleByKey per-key fractions; Spark's
// oversampling bounds; bad arguments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys } from '../engine/index.js';
import { fractionForSampleSize } from '../engine/driver/api/sampling.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

const r = rng(5150);
const values = Array.from({ length: 2000 }, (_, i) => i * 3 + randInt(r, 3));
const sorted = <T>(xs: T[]): T[] => [...xs].sort(compareKeys);

test("Spark's sample-size fractions: the Poisson and binomial upper bounds", () => {
  // PoissonBounds: s + numStd(s) sqrt(s) with numStd 12 / 9 / 6.
  assert.is(fractionForSampleSize(4, 100, true), (4 + 12 * 2) / 100);
  assert.is(fractionForSampleSize(100, 1000, true), (100 + 6 * 10) / 1000);
  const gamma = -Math.log(1e-4) / 1000;
  assert.ok(Math.abs(fractionForSampleSize(100, 1000, false) - (0.1 + gamma + Math.sqrt(gamma * gamma + 2 * gamma * 0.1))) < 1e-15);
  assert.is(fractionForSampleSize(999, 1000, false), 1);
});

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const ds = () => kiln.parallelize(values, parts);

    test(name('takeSample: exact size, records of the dataset, deterministic per seed'), async () => {
      const set = new Set(values);
      for (const num of [0, 1, 17, 500]) {
        const a = await ds().takeSample(false, num, 7);
        assert.is(a.length, num);
        assert.is(new Set(a).size, num, 'without replacement: distinct records');
        assert.ok(a.every((x) => set.has(x)));
        assert.equal(await ds().takeSample(false, num, 7), a, 'same seed, same sample');
      }
      const b = await ds().takeSample(true, 3000, 3);
      assert.is(b.length, 3000, 'with replacement: more than the dataset holds');
      assert.ok(b.every((x) => set.has(x)));
      assert.equal(sorted(await ds().takeSample(false, 5000, 1)), sorted(values), 'num above the count: all records, shuffled');
      assert.equal(await kiln.parallelize([], parts).takeSample(false, 3), []);
      await rejects(() => ds().takeSample(false, -1), /whole number >= 0/);
    });

    test(name('randomSplit: disjoint, complete, deterministic, sized by the weights'), async () => {
      const splits = ds().randomSplit([1, 2, 7], 11);
      const got = await Promise.all(splits.map((s) => s.collect()));
      assert.equal(sorted(got.flat()), sorted(values), 'together: every record once');
      const again = await Promise.all(ds().randomSplit([1, 2, 7], 11).map((s) => s.collect()));
      assert.equal(again, got, 'same seed, same splits');
      const expect = [0.1, 0.2, 0.7];
      got.forEach((g, i) => assert.ok(Math.abs(g.length / values.length - expect[i]!) < 0.06, `split ${i}: ${g.length}`));
      assert.throws(() => ds().randomSplit([1, -1]), /non-negative/);
      assert.throws(() => ds().randomSplit([0, 0]), /all be zero/);
    });

    test(name('sampleByKey: per-key fractions, all keys needed'), async () => {
      const pairs = values.map((v) => [v % 3 === 0 ? 'all' : v % 3 === 1 ? 'none' : 'half', v] as [string, number]);
      const kv = kiln.parallelize(pairs, parts);
      const got = await kv.sampleByKey(false, { all: 1, none: 0, half: 0.5 }, 3).collect();
      assert.equal(got.filter((p) => p[0] === 'all'), pairs.filter((p) => p[0] === 'all'));
      assert.is(got.filter((p) => p[0] === 'none').length, 0);
      const half = got.filter((p) => p[0] === 'half').length;
      const halfTotal = pairs.filter((p) => p[0] === 'half').length;
      assert.ok(Math.abs(half / halfTotal - 0.5) < 0.1, `half: ${half} of ${halfTotal}`);
      assert.equal(await kv.sampleByKey(false, new Map([['all', 1], ['none', 0], ['half', 0.5]]), 3).collect(), got, 'a Map works as an object does');
      const twice = await kv.sampleByKey(true, { all: 2, none: 0, half: 0 }, 1).count();
      assert.ok(Math.abs(twice / pairs.filter((p) => p[0] === 'all').length - 2) < 0.3, `with replacement: ${twice}`);
      await rejects(() => kv.sampleByKey(false, { all: 1 }).collect(), /no fraction for key "(none|half)"/);
      assert.throws(() => kv.sampleByKey(false, { all: 2 }), /must be in \[0, 1\]/);
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.run();
