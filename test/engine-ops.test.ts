// Every transformation and action against a plain-JS reference, on random data, with
// 1 and 2 workers (and 0: inline in the driver's thread) and 1, 3 and 17 partitions. Record order after a shuffle is not
// defined (as in Spark), so those results are compared after sorting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys, type Dataset } from '../engine/index.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

type Pair = [string, number];

const r = rng(11);
const words = ['a', 'b', 'c', 'kiln', 'spark', 'node', 'wasm', '', 'Ünïcödé', '日本'];
const numbers = Array.from({ length: 500 }, () => randInt(r, 1000) - 300);
const pairs: Pair[] = Array.from({ length: 700 }, () => [words[randInt(r, words.length)]!, randInt(r, 100) - 20]);
const lines = Array.from({ length: 200 }, () => Array.from({ length: randInt(r, 6) }, () => words[randInt(r, words.length)]).join(' '));

const sorted = <T>(xs: T[]): T[] => [...xs].sort(compareKeys);
const groupRef = (ps: Pair[]): Map<string, number[]> => {
  const m = new Map<string, number[]>();
  for (const [k, v] of ps) m.set(k, [...(m.get(k) ?? []), v]);
  return m;
};
const reduceRef = (ps: Pair[], f: (a: number, b: number) => number): Pair[] =>
  [...groupRef(ps)].map(([k, vs]) => [k, vs.reduce(f)] as Pair);

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const nums = (): Dataset<number> => kiln.parallelize(numbers, parts);
    const kv = (): Dataset<Pair> => kiln.parallelize(pairs, parts);

    test(name('map, filter, flatMap, collect keep order'), async () => {
      assert.equal(await nums().map((x) => x * 2).collect(), numbers.map((x) => x * 2));
      assert.equal(await nums().filter((x) => x % 3 === 0).collect(), numbers.filter((x) => x % 3 === 0));
      assert.equal(await kiln.parallelize(lines, parts).flatMap((l) => l.split(' ')).collect(), lines.flatMap((l) => l.split(' ')));
    });

    test(name('mapPartitions, mapPartitionsWithIndex, keyBy'), async () => {
      const sums = await nums().mapPartitions((it) => {
        let s = 0;
        for (let x = it.next(); !x.done; x = it.next()) s += x.value;
        return [s];
      }).collect();
      assert.is(sums.length, parts);
      assert.is(sums.reduce((a, b) => a + b, 0), numbers.reduce((a, b) => a + b, 0));
      const idx = await nums().mapPartitionsWithIndex((i, it) => [...{ [Symbol.iterator]: () => it }].map(() => i)).collect();
      assert.is(idx.length, numbers.length);
      assert.ok(idx.every((v, j) => j === 0 || v >= idx[j - 1]!));
      assert.equal(await nums().keyBy((x) => x % 7).collect(), numbers.map((x) => [x % 7, x]));
    });

    test(name('mapValues, flatMapValues, keys, values'), async () => {
      assert.equal(await kv().mapValues((v) => v + 1).collect(), pairs.map(([k, v]) => [k, v + 1]));
      assert.equal(await kv().flatMapValues((v) => [v, -v]).collect(), pairs.flatMap(([k, v]) => [[k, v], [k, -v]]));
      assert.equal(await kv().keys().collect(), pairs.map((p) => p[0]));
      assert.equal(await kv().values().collect(), pairs.map((p) => p[1]));
    });

    test(name('union, coalesce, repartition'), async () => {
      assert.equal(await nums().union(nums().map((x) => -x)).collect(), [...numbers, ...numbers.map((x) => -x)]);
      const co = nums().coalesce(2);
      assert.is(co.numPartitions, Math.min(2, parts));
      assert.equal(await co.collect(), numbers);
      const re = nums().repartition(5);
      assert.is(re.numPartitions, 5);
      assert.equal(sorted(await re.collect()), sorted(numbers));
      const perPart = await re.mapPartitions((it) => [[...{ [Symbol.iterator]: () => it }].length]).collect();
      assert.ok(Math.max(...perPart) - Math.min(...perPart) <= parts, `even spread ${perPart}`);
    });

    test(name('distinct, valueCounts, countByValue'), async () => {
      assert.equal(sorted(await kv().keys().distinct().collect()), sorted([...new Set(pairs.map((p) => p[0]))]));
      const counts = new Map<string, number>();
      for (const [k] of pairs) counts.set(k, (counts.get(k) ?? 0) + 1);
      assert.equal(sorted(await kv().keys().valueCounts(4).collect()), sorted([...counts]));
      assert.equal(await kv().keys().countByValue(), counts);
      assert.equal(sorted(await nums().distinct(3).collect()), sorted([...new Set(numbers)]));
    });

    test(name('reduceByKey (function and built-ins), foldByKey, aggregateByKey, combineByKey'), async () => {
      assert.equal(sorted(await kv().reduceByKey((a, b) => a + b).collect()), sorted(reduceRef(pairs, (a, b) => a + b)));
      assert.equal(sorted(await kv().reduceByKey('sum', 5).collect()), sorted(reduceRef(pairs, (a, b) => a + b)));
      assert.equal(sorted(await kv().reduceByKey('min').collect()), sorted(reduceRef(pairs, (a, b) => Math.min(a, b))));
      assert.equal(sorted(await kv().reduceByKey('max').collect()), sorted(reduceRef(pairs, (a, b) => Math.max(a, b))));
      assert.equal(sorted(await kv().aggregateByKey('count').collect()), sorted([...groupRef(pairs)].map(([k, vs]) => [k, vs.length])));
      // The zero is folded in once per key per map partition (as in Spark): use a neutral one.
      assert.equal(sorted(await kv().foldByKey(0, (a, b) => a + b, 2).collect()), sorted(reduceRef(pairs, (a, b) => a + b)));
      const agg = await kv().aggregateByKey<string, number, number[]>([0, 0], (acc, v) => [acc[0]! + v, acc[1]! + 1], (a, b) => [a[0]! + b[0]!, a[1]! + b[1]!]).collect();
      assert.equal(sorted(agg), sorted([...groupRef(pairs)].map(([k, vs]) => [k, [vs.reduce((a, b) => a + b, 0), vs.length]])));
      const comb = await kv().combineByKey((v) => [v], (c: number[], v) => c.concat([v]), (a, b) => a.concat(b)).mapValues((vs) => vs.length).collect();
      assert.equal(sorted(comb), sorted([...groupRef(pairs)].map(([k, vs]) => [k, vs.length])));
    });

    test(name('groupByKey, partitionBy, countByKey'), async () => {
      const grouped = await kv().groupByKey(3).mapValues((vs) => [...vs].sort((a, b) => a - b)).collect();
      assert.equal(sorted(grouped), sorted([...groupRef(pairs)].map(([k, vs]) => [k, vs.sort((a, b) => a - b)])));
      const byKey = kv().partitionBy(4);
      assert.is(byKey.numPartitions, 4);
      const keysPerPartition = await byKey.mapPartitions((it) => [[...new Set([...{ [Symbol.iterator]: () => it }].map((p) => p[0]))]]).collect();
      const all = keysPerPartition.flat();
      assert.is(all.length, new Set(all).size, 'each key in exactly one partition');
      assert.equal(sorted(await byKey.collect()), sorted(pairs));
      assert.equal(await kv().countByKey(), new Map([...groupRef(pairs)].map(([k, vs]) => [k, vs.length])));
    });

    test(name('sortByKey, sortBy (ascending and descending)'), async () => {
      const byKey = (a: Pair, b: Pair): number => compareKeys(a[0], b[0]);
      const asc = await kv().sortByKey(true, 4).collect();
      assert.equal(asc.map((p) => p[0]), [...pairs].sort(byKey).map((p) => p[0]));
      assert.equal(sorted(asc), sorted(pairs));
      const desc = await kv().sortByKey(false).collect();
      assert.equal(desc.map((p) => p[0]), [...pairs].sort(byKey).reverse().map((p) => p[0]));
      assert.equal(await nums().sortBy((x) => x, true, 3).collect(), [...numbers].sort((a, b) => a - b));
      assert.equal(await nums().sortBy((x) => -x).collect(), [...numbers].sort((a, b) => b - a));
    });

    test(name('sample is deterministic, a subset, and near its fraction'), async () => {
      const a = await nums().sample(false, 0.3, 7).collect();
      assert.equal(await nums().sample(false, 0.3, 7).collect(), a);
      assert.ok(a.length > 90 && a.length < 220, `size ${a.length}`);
      const withRepl = await nums().sample(true, 2, 1).count();
      assert.ok(withRepl > 800 && withRepl < 1200, `size ${withRepl}`);
    });

    test(name('count, first, take, takeOrdered, top, reduce, fold'), async () => {
      assert.is(await nums().count(), numbers.length);
      assert.is(await nums().first(), numbers[0]);
      assert.equal(await nums().take(7), numbers.slice(0, 7));
      assert.equal(await nums().take(10_000), numbers);
      assert.equal(await nums().takeOrdered(5), [...numbers].sort((a, b) => a - b).slice(0, 5));
      assert.equal(await nums().top(5), [...numbers].sort((a, b) => b - a).slice(0, 5));
      assert.equal(await nums().takeOrdered(3, { compare: (a, b) => Math.abs(a) - Math.abs(b) }), [...numbers].sort((a, b) => Math.abs(a) - Math.abs(b)).slice(0, 3).map((x) => x));
      assert.is(await nums().reduce((a, b) => a + b), numbers.reduce((a, b) => a + b));
      assert.is(await nums().fold(0, (a, b) => a + b), numbers.reduce((a, b) => a + b));
    });

    test(name('empty datasets and empty partitions'), async () => {
      const empty = kiln.parallelize<number>([], parts);
      assert.equal(await empty.collect(), []);
      assert.is(await empty.count(), 0);
      assert.equal(await empty.take(3), []);
      // Spark's fold applies the zero once per partition and once more on the driver.
      assert.is(await empty.fold(5, (a, b) => a + b), 5 * (parts + 1));
      await rejects(() => empty.reduce((a, b) => a + b), /empty/);
      await rejects(() => empty.first(), /empty/);
      assert.equal(await empty.map((x) => [x, 1] as [number, number]).reduceByKey((a, b) => a + b).collect(), []);
      assert.equal(await empty.map((x) => [x, 1] as [number, number]).sortByKey().collect(), []);
      assert.equal(await kiln.parallelize([1, 2], parts).distinct().collect().then(sorted), [1, 2]);
    });

    test(name('async iteration and foreach'), async () => {
      const seen: number[] = [];
      for await (const x of nums()) seen.push(x);
      assert.equal(seen, numbers);
      await nums().foreach((x) => {
        if (typeof x !== 'number') throw new Error('not a number');
      });
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
    assert.throws(() => kiln.parallelize([1]), /stopped/);
  });
}

test.run();
