// Aggregates (issue 12) against plain-JS references on random data, with workers 0, 1
// and 2 and 1, 3 and 17 partitions: aggregate, treeAggregate and treeReduce (and that
// the tree really runs shuffle stages), reduceByKeyLocally, collectAsMap, lookup (one
// task with a known partitioner), isEmpty; wrong calls give clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys, type Dataset } from '../engine/index.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

type Pair = [string, number];
const r = rng(77);
const words = ['a', 'b', 'c', 'kiln', 'spark', '', 'Ünï', '日本'];
const numbers = Array.from({ length: 900 }, () => randInt(r, 1000) - 400);
const pairs: Pair[] = Array.from({ length: 600 }, () => [words[randInt(r, words.length)]!, randInt(r, 100)]);
const sumRef = numbers.reduce((a, b) => a + b, 0);
const byKey = (ps: Pair[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const [k, v] of ps) m.set(k, (m.get(k) ?? 0) + v);
  return m;
};
const sortedEntries = <K, V>(m: Map<K, V>): [K, V][] => [...m].sort((a, b) => compareKeys(a[0], b[0]));

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const nums = (): Dataset<number> => kiln.parallelize(numbers, parts);
    const kv = (): Dataset<Pair> => kiln.parallelize(pairs, parts);

    test(name('aggregate: [sum, count] with a zero copied per partition'), async () => {
      const got = await nums().aggregate(
        [0, 0] as [number, number],
        (acc, x): [number, number] => [acc[0] + x, acc[1] + 1],
        (a, b): [number, number] => [a[0] + b[0], a[1] + b[1]],
      );
      assert.equal(got, [sumRef, numbers.length]);
      const seen = await nums().aggregate({ xs: [] as number[] }, (acc, x) => (acc.xs.push(x), acc), (a, b) => ({ xs: a.xs.concat(b.xs) }));
      assert.equal(seen.xs, numbers, 'partition results combined in partition order');
    });

    test(name('treeAggregate and treeReduce: same answers, more than one stage'), async () => {
      for (const depth of [1, 2, 3]) {
        const got = await nums().treeAggregate([0, 0] as [number, number], (acc, x): [number, number] => [acc[0] + x, acc[1] + 1], (a, b): [number, number] => [a[0] + b[0], a[1] + b[1]], depth);
        assert.equal(got, [sumRef, numbers.length], `depth ${depth}`);
        assert.is(await nums().treeReduce((a, b) => a + b, depth), sumRef);
        assert.is(await nums().treeReduce((a, b) => Math.max(a, b), depth), Math.max(...numbers));
      }
      await nums().treeAggregate(0, (a, x) => a + x, (a, b) => a + b, 2);
      const stages = kiln.lastJobMetrics!.stages.filter((s) => !s.skipped);
      // Spark's rule: a level is added while n > scale + ceil(n / scale).
      const scale = Math.max(Math.ceil(Math.sqrt(parts)), 2);
      const levels = parts > scale + Math.ceil(parts / scale) ? 1 : 0;
      assert.is(stages.length, 1 + levels, 'one shuffle stage per tree level, then the result stage');
      if (parts === 17) assert.ok(stages.length > 1, 'the tree runs more than one stage');
      const empty = kiln.parallelize<number>([], parts);
      assert.is(await empty.treeAggregate(0, (a, x) => a + x, (a, b) => a + b), 0);
      assert.equal(await empty.treeAggregate([] as number[], (a, x) => a.concat([x]), (a, b) => a.concat(b)), []);
      await rejects(() => empty.treeReduce((a, b) => a + b), /treeReduce\(\) on an empty dataset/);
      await rejects(() => nums().treeReduce((a, b) => a + b, 0), /depth must be an integer >= 1/);
    });

    test(name('reduceByKeyLocally and collectAsMap'), async () => {
      assert.equal(sortedEntries(await kv().reduceByKeyLocally((a, b) => a + b)), sortedEntries(byKey(pairs)));
      assert.equal(await kv().collectAsMap(), new Map(pairs));
    });

    test(name('lookup: without a partitioner, and on one partition with one'), async () => {
      for (const k of ['kiln', 'a', 'missing', '']) {
        assert.equal(await kv().lookup(k), pairs.filter((p) => p[0] === k).map((p) => p[1]), `key ${k}`);
      }
      const reduced = kv().reduceByKey((a, b) => a + b, 5);
      for (const k of ['kiln', 'b', 'missing']) {
        const got = await reduced.lookup(k);
        assert.equal(got, byKey(pairs).has(k) ? [byKey(pairs).get(k)] : [], `key ${k}`);
        const result = kiln.lastJobMetrics!.stages.find((s) => s.kind === 'result')!;
        assert.is(result.tasks, 1, 'only the partition that can hold the key runs');
      }
      const sorted = kv().sortByKey(true, 4);
      const spark = pairs.filter((p) => p[0] === 'spark').map((p) => p[1]).sort((a, b) => a - b);
      // The range partitioner is known once the sort has run (its sample job).
      assert.equal((await sorted.lookup('spark')).sort((a, b) => a - b), spark);
      assert.ok(sorted.partitioner?.kind === 'range');
      assert.equal((await sorted.lookup('spark')).sort((a, b) => a - b), spark);
      assert.is(kiln.lastJobMetrics!.stages.find((s) => s.kind === 'result')!.tasks, 1, 'range partitioner: one task');
      const tuples = kiln.parallelize<[[string, number], number]>([[['a', 1], 10], [['a', 2], 20], [['a', 1], 30]], parts);
      assert.equal(await tuples.lookup(['a', 1]), [10, 30], 'array keys compare by content');
      await rejects(() => (kv().lookup as () => Promise<unknown>)(), /lookup\(key\) needs the key/);
    });

    test(name('isEmpty'), async () => {
      assert.is(await nums().isEmpty(), false);
      assert.is(await kiln.parallelize([], parts).isEmpty(), true);
      assert.is(await nums().filter((x) => x > 1e9).isEmpty(), true);
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.run();
