// Key functions and text I/O of issue 12, against plain-JS references, with workers
// 0, 1 and 2 and 1, 3 and 17 partitions: sortByKey's keyfunc and sortBy apply their key
// function; top/takeOrdered take Spark's { key } or a { compare }, and refuse a bare
// function; saveAsTextFile writes gzip part files that textFile reads back (one task
// per .gz file), in PySpark's str() format.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys, type Dataset } from '../engine/index.js';
import { formatRecord } from '../engine/executor/runtime/text-format.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

type Pair = [string, number];
const r = rng(1212);
const words = ['b', 'A', 'c', 'Kiln', 'spark', 'a', 'B', 'zeta', 'Ünï', ''];
const numbers = Array.from({ length: 400 }, () => randInt(r, 2000) - 1000);
const pairs: Pair[] = Array.from({ length: 300 }, () => [words[randInt(r, words.length)]!, randInt(r, 50)]);
const dir = mkdtempSync(join(tmpdir(), 'kiln-api-order-'));

/** Stable sort by a key in kiln's key order (the reference). */
const sortByRef = <T>(xs: T[], key: (x: T) => unknown, ascending = true): T[] =>
  xs.map((x, i) => ({ x, i, k: key(x) })).sort((a, b) => (ascending ? compareKeys(a.k, b.k) : compareKeys(b.k, a.k)) || a.i - b.i).map((e) => e.x);
/** Keys of a sorted result must be ordered; records must be the same multiset. */
const keysOf = <T>(xs: T[], key: (x: T) => unknown): unknown[] => xs.map(key);

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    const nums = (): Dataset<number> => kiln.parallelize(numbers, parts);
    const kv = (): Dataset<Pair> => kiln.parallelize(pairs, parts);

    test(name('sortByKey applies keyfunc, keeps the original keys'), async () => {
      const lower = (k: string): string => k.toLowerCase();
      for (const asc of [true, false]) {
        const got = await kv().sortByKey(asc, 3, lower).collect();
        const want = sortByRef(pairs, (p) => p[0].toLowerCase(), asc);
        assert.equal(keysOf(got, (p) => p[0].toLowerCase()), keysOf(want, (p) => p[0].toLowerCase()), 'ordered by keyfunc(key)');
        assert.equal([...got].sort(compareKeys), [...pairs].sort(compareKeys), 'same pairs, original keys');
      }
      const offset = 100;
      const byDistance = await kiln.parallelize(numbers.map((n) => [n, n] as [number, number]), parts).sortByKey(true, parts, (k) => Math.abs(k - offset), { offset }).keys().collect();
      assert.equal(byDistance.map((k) => Math.abs(k - offset)), numbers.map((k) => Math.abs(k - offset)).sort((a, b) => a - b));
    });

    test(name('sortBy applies its key function'), async () => {
      const got = await nums().sortBy((x) => -Math.abs(x), true, parts).collect();
      assert.equal(got.map((x) => -Math.abs(x)), numbers.map((x) => -Math.abs(x)).sort((a, b) => a - b));
      const desc = await kv().sortBy((p) => p[1], false).collect();
      assert.equal(desc.map((p) => p[1]), pairs.map((p) => p[1]).sort((a, b) => b - a));
    });

    test(name('top and takeOrdered with { key }, { compare } and the default order'), async () => {
      const neg = (x: number): number => -x;
      assert.equal(await nums().takeOrdered(6, { key: neg }), sortByRef(numbers, neg).slice(0, 6));
      assert.equal(await nums().top(6, { key: neg }), sortByRef(numbers, neg, false).slice(0, 6));
      assert.equal(await nums().takeOrdered(5), [...numbers].sort((a, b) => a - b).slice(0, 5));
      assert.equal(await nums().top(5), [...numbers].sort((a, b) => b - a).slice(0, 5));
      const byMod = (a: number, b: number): number => (a % 7) - (b % 7) || a - b;
      assert.equal(await nums().takeOrdered(9, { compare: byMod }), [...numbers].sort(byMod).slice(0, 9));
      assert.equal(await nums().top(9, { compare: byMod }), [...numbers].sort((a, b) => byMod(b, a)).slice(0, 9));
      const m = 13;
      const got = await kv().top(4, { key: (p) => p[1] % m, captures: { m } });
      assert.equal(got.map((p) => p[1] % m), pairs.map((p) => p[1] % m).sort((a, b) => b - a).slice(0, 4));
    });

    test(name('saveAsTextFile gzip round trip through textFile'), async () => {
      const out = join(dir, `gz-${workers}-${parts}`);
      await kv().saveAsTextFile(out, { compression: 'gzip' });
      const files = readdirSync(out).sort();
      assert.equal(files, ['_SUCCESS', ...Array.from({ length: parts }, (_, i) => `part-${String(i).padStart(5, '0')}.gz`)]);
      const text = files.filter((f) => f.endsWith('.gz')).map((f) => gunzipSync(readFileSync(join(out, f))).toString('utf8')).join('');
      assert.is(text, pairs.map((p) => `${formatRecord(p)}\n`).join(''), 'plain gunzip reads it');
      const back = kiln.textFile(out);
      assert.is(back.numPartitions, parts, 'one task per gzip file');
      assert.equal(await back.collect(), pairs.map(formatRecord));
      await rejects(() => kv().saveAsTextFile(join(dir, `bad-${workers}-${parts}`), { compression: 'lz4' as 'gzip' }), /compression must be 'gzip'/);
    });
  }

  test(`textFile reads .gz (multi-member, CRLF, no final newline) between plain files [workers=${workers}]`, async () => {
    const d = join(dir, `mixed-${workers}`);
    rmSync(d, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(d);
    writeFileSync(join(d, 'a.txt'), 'a1\na2\n');
    writeFileSync(join(d, 'b.gz'), Buffer.concat([gzipSync('b1\r\nb2\n'), gzipSync('b3\nb4')]));
    writeFileSync(join(d, 'c.txt'), 'c1\n');
    writeFileSync(join(d, 'e.gz'), gzipSync(''));
    const ds = kiln.textFile(d);
    assert.equal(await ds.collect(), ['a1', 'a2', 'b1', 'b2', 'b3', 'b4', 'c1']);
    assert.is(await ds.map((l) => l.length).reduce((a, b) => a + b), 14);
    writeFileSync(join(d, 'x.gz'), 'not gzip at all\n');
    await rejects(() => kiln.textFile(join(d, 'x.gz')).collect(), /x\.gz is not a valid gzip file/);
    assert.throws(() => kiln.textFile(join(d, 'b.gz')).words(), /gzip/);
  });

  test(`a bare function passed to top or takeOrdered is refused [workers=${workers}]`, async () => {
    const ds = kiln.parallelize([3, 1, 2]);
    await rejects(() => ds.top(2, ((x: number) => -x) as never), /top\(n, fn\) is ambiguous: pass \{ key: fn \}.*\{ compare: fn \}/);
    await rejects(() => ds.takeOrdered(2, ((a: number, b: number) => a - b) as never), /takeOrdered\(n, fn\) is ambiguous/);
    await rejects(() => ds.top(2, { key: (x) => x, compare: (a, b) => a - b }), /not both/);
  });

  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test('saveAsTextFile lines are PySpark str(): tuples, quotes, None, True, nan', () => {
  assert.is(formatRecord('plain text'), 'plain text');
  assert.is(formatRecord(['a', 1]), "('a', 1)");
  assert.is(formatRecord([['k', [1, 2]], null]), "(('k', (1, 2)), None)");
  assert.is(formatRecord([true, false, undefined, NaN, -Infinity, 2.5]), '(True, False, None, nan, -inf, 2.5)');
  assert.is(formatRecord(["it's", 'say "hi"', 'tab\tnew\nline\\']), `("it's", 'say "hi"', 'tab\\tnew\\nline\\\\')`);
  assert.is(formatRecord([7]), '(7,)');
  assert.is(formatRecord(new Map([['a', 1]])), "{'a': 1}");
  assert.is(formatRecord({ x: [1] }), "{'x': (1,)}");
  assert.is(formatRecord(12), '12');
});

test('global conversion functions ship by name (map(Number)); other natives are still refused', async () => {
  const kiln = await Kiln.start({ workers: 1, memory: '64m', workerMemory: '64m' });
  try {
    assert.equal(await kiln.parallelize(['1', '2.5', 'x', ' 7 '], 2).map(Number).collect(), [1, 2.5, NaN, 7]);
    assert.equal(await kiln.parallelize([1, 20], 2).map(String).collect(), ['1', '20']);
    assert.equal(await kiln.parallelize(['10', 'z'], 2).map(parseFloat).collect(), [10, NaN]);
    assert.throws(() => kiln.parallelize([1]).map(Math.sqrt), /cannot ship a native or bound function/);
  } finally {
    await kiln.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
