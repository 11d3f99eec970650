// Zips, shape, sources, naming and introspection (issue 12) against plain-JS
// references, with workers 0, 1 and 2 and 1, 3 and 17 partitions: zip (and Spark's
// two errors), zipWithIndex, zipWithUniqueId, glom, groupBy,
// repartitionAndSortWithinPartitions, kiln.range / emptyDataset / union /
// wholeTextFiles, setName / name / getNumPartitions / context / toDebugString /
// toLocalIterator.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys, type Dataset } from '../engine/index.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

const r = rng(808);
const values = Array.from({ length: 1000 }, () => randInt(r, 500) - 100);
const words = Array.from({ length: 1000 }, () => ['a', 'b', 'kiln', 'spark', 'ü'][randInt(r, 5)]!);
const sorted = <T>(xs: T[]): T[] => [...xs].sort(compareKeys);
const dir = mkdtempSync(join(tmpdir(), 'kiln-api-shape-'));
mkdirSync(join(dir, 'files'));
writeFileSync(join(dir, 'files', 'a.txt'), 'first\nfile\n');
writeFileSync(join(dir, 'files', 'b.txt'), '');
writeFileSync(join(dir, 'files', 'c.gz'), gzipSync('zipped\ncontent'));
writeFileSync(join(dir, 'files', '_hidden'), 'skipped');

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const nums = (): Dataset<number> => kiln.parallelize(values, parts);

    test(name('zip, zipWithIndex, zipWithUniqueId'), async () => {
      const zipped = await nums().zip(kiln.parallelize(words, parts)).collect();
      assert.equal(zipped, values.map((v, i) => [v, words[i]]));
      assert.equal(await nums().zip(nums().map((x) => x * 2)).collect(), values.map((v) => [v, v * 2]));
      assert.equal(await (await nums().zipWithIndex()).collect(), values.map((v, i) => [v, i]));
      assert.equal(await (await nums().filter((x) => x % 2 === 0).zipWithIndex()).collect(), values.filter((x) => x % 2 === 0).map((v, i) => [v, i]));
      const ids = await nums().zipWithUniqueId().collect();
      assert.equal(ids.map((p) => p[0]), values);
      assert.is(new Set(ids.map((p) => p[1])).size, values.length, 'unique ids');
      const glommed = await nums().glom().collect();
      // Spark's rule: partition k's j-th record gets j * n + k.
      assert.equal(ids.map((p) => p[1]), glommed.flatMap((g, k) => g.map((_, j) => j * parts + k)));
      assert.throws(() => nums().zip(kiln.parallelize(words, parts + 1)), /cannot zip datasets with unequal numbers of partitions \(\d+ and \d+\)/);
      await rejects(() => nums().zip(kiln.parallelize(words.slice(1), parts)).collect(), /zip needs the same number of records in each partition/);
    });

    test(name('glom, groupBy, repartitionAndSortWithinPartitions'), async () => {
      const glommed = await nums().glom().collect();
      assert.is(glommed.length, parts);
      assert.equal(glommed.flat(), values);
      const grouped = await nums().groupBy((x) => x % 5, 4).collect();
      const ref = new Map<number, number[]>();
      for (const v of values) ref.set(v % 5, [...(ref.get(v % 5) ?? []), v]);
      assert.equal(sorted(grouped.map(([k, vs]) => [k, sorted(vs)])), sorted([...ref].map(([k, vs]) => [k, sorted(vs)])));
      const pairs = values.map((v, i) => [v, i] as [number, number]);
      for (const ascending of [true, false]) {
        const parted = await kiln.parallelize(pairs, parts).repartitionAndSortWithinPartitions(3, ascending).glom().collect();
        assert.is(parted.length, 3);
        assert.equal(sorted(parted.flat()), sorted(pairs), 'every pair once');
        for (const p of parted) {
          const keys = p.map((kv) => kv[0]);
          assert.equal(keys, [...keys].sort((a, b) => (ascending ? a - b : b - a)), 'each partition sorted by key');
        }
        const owner = new Map<number, number>();
        parted.forEach((p, i) => p.forEach(([k]) => assert.is(owner.get(k) ?? i, i, `key ${k} in one partition`) ?? owner.set(k, i)));
      }
      // PySpark's keyfunc: partitioned by the key, each partition sorted by keyfunc(key), stably.
      const byMod = await kiln.parallelize(pairs, parts).repartitionAndSortWithinPartitions(3, true, (k) => Math.abs(k) % 10).glom().collect();
      assert.equal(sorted(byMod.flat()), sorted(pairs));
      const hashed = await kiln.parallelize(pairs, parts).partitionBy(3).glom().collect();
      byMod.forEach((p, i) => {
        assert.equal(sorted(p), sorted(hashed[i]!), 'the same partitioning as partitionBy');
        const stable = hashed[i]!.map((kv, j) => ({ kv, j })).sort((a, b) => Math.abs(a.kv[0]) % 10 - Math.abs(b.kv[0]) % 10 || a.j - b.j).map((e) => e.kv);
        assert.equal(p, stable, 'sorted by keyfunc(key), equal keys in their order');
      });
    });

    test(name('sources: range, emptyDataset, union, wholeTextFiles'), async () => {
      assert.equal(await kiln.range(0, 100, 7, parts).collect(), Array.from({ length: 15 }, (_, i) => i * 7));
      assert.equal(await kiln.range(10, 0, -3, parts).collect(), [10, 7, 4, 1]);
      assert.equal(await kiln.range(5, undefined, 1, parts).collect(), [0, 1, 2, 3, 4]);
      assert.is(kiln.range(1e9, undefined, 1, parts).getNumPartitions(), parts);
      assert.is(await kiln.range(0, 1_000_000, 1, parts).count(), 1_000_000);
      assert.throws(() => kiln.range(0, 10, 0), /step cannot be 0/);
      const empty = kiln.emptyDataset<number>();
      assert.is(empty.getNumPartitions(), 0);
      assert.equal(await empty.collect(), []);
      assert.is(await empty.count(), 0);
      assert.equal(await kiln.union(nums(), kiln.parallelize([1, 2]), empty).collect(), [...values, 1, 2]);
      assert.equal(await kiln.union<number>().collect(), []);
      const files = await kiln.wholeTextFiles(join(dir, 'files'), { minPartitions: parts }).collect();
      assert.equal(files, [
        [join(dir, 'files', 'a.txt'), 'first\nfile\n'],
        [join(dir, 'files', 'b.txt'), ''],
        [join(dir, 'files', 'c.gz'), 'zipped\ncontent'],
      ]);
    });

    test(name('naming and introspection'), async () => {
      const ds = nums().map((x) => [x % 3, x] as [number, number]).reduceByKey((a, b) => a + b, 2).setName('sums').mapValues((v) => v * 2);
      assert.is(ds.getNumPartitions(), 2);
      assert.is(ds.context, kiln);
      assert.is(typeof ds.id, 'number');
      const named = nums().setName('numbers');
      assert.is(named.name, 'numbers');
      assert.is(nums().name, undefined);
      const text = ds.toDebugString();
      const lines = text.split('\n');
      assert.is(lines.length, 4, text);
      assert.match(lines[0]!, /^\(2\) mapValues\[\d+\]$/);
      assert.match(lines[1]!, /^ \|  shuffle read #\d+ \(js aggregate\)\[\d+\] "sums"$/);
      assert.match(lines[2]!, new RegExp(`^ \\+-\\(${parts}\\) map\\[\\d+\\]$`));
      assert.match(lines[3]!, /^ {4}\|\s+parallelize\[\d+\]$/);
      const seen: number[] = [];
      for await (const x of nums().toLocalIterator()) seen.push(x);
      assert.equal(seen, values);
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
