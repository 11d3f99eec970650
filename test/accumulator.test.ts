// Accumulators end to end: each type against a plain-JS reference over random data
// with workers 0, 1 and 2 and several partition counts; Spark's guarantee (an update
// in foreach counts once per partition when a task fails once and is retried, with
// the failed attempt's partial updates dropped); the documented over-count of an
// update in a transformation (a dataset used by two actions is computed twice);
// reading `value` inside a task; named accumulators in the job metrics; bad input.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, KilnError } from '../engine/index.js';
import { randInt, rng } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-acc-'));
const contexts = new Map<number, Kiln>();
async function kiln(workers: number): Promise<Kiln> {
  let k = contexts.get(workers);
  if (!k) contexts.set(workers, (k = await Kiln.start({ workers, memory: '256m', maxAttempts: 2 })));
  return k;
}

function data(seed: number, n: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => randInt(r, 1000) - 300);
}

for (const workers of [0, 1, 2]) {
  for (const slices of [1, 3, 7]) {
    test(`long, double and collection accumulators in foreach match plain JS (workers ${workers}, ${slices} partitions)`, async () => {
      const k = await kiln(workers);
      const xs = data(workers * 10 + slices, 2000);
      const negatives = k.longAccumulator();
      const total = k.doubleAccumulator();
      const big = k.collectionAccumulator<number>();
      await k.parallelize(xs, slices).foreach(
        (x) => {
          if (x < 0) negatives.add(1);
          total.add(x / 4);
          if (x > 690) big.add(x);
        },
        { captures: { negatives, total, big } },
      );
      const neg = xs.filter((x) => x < 0).length;
      assert.is(negatives.value, neg);
      assert.is(negatives.count, neg);
      assert.is(total.count, xs.length);
      const sum = xs.reduce((s, x) => s + x / 4, 0);
      assert.ok(Math.abs(total.value - sum) < 1e-6, `${total.value} vs ${sum}`);
      assert.ok(Math.abs(total.avg - sum / xs.length) < 1e-9);
      assert.equal(big.value.sort((a, b) => a - b), xs.filter((x) => x > 690).sort((a, b) => a - b));
    });

    test(`a custom accumulator folds with add and merges on the driver (workers ${workers}, ${slices} partitions)`, async () => {
      const k = await kiln(workers);
      const xs = data(99 + slices, 1500);
      const range = k.accumulator(
        { min: Infinity, max: -Infinity },
        { add: (a, v: number) => ({ min: Math.min(a.min, v), max: Math.max(a.max, v) }), merge: (a, b) => ({ min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) }) },
      );
      await k.parallelize(xs, slices).foreachPartition(
        (it) => {
          for (let r = it.next(); !r.done; r = it.next()) range.add(r.value);
        },
        { captures: { range } },
      );
      assert.equal(range.value, { min: Math.min(...xs), max: Math.max(...xs) });
    });
  }

  test(`foreach with a task that fails once counts each record once (workers ${workers})`, async () => {
    const k = await kiln(workers);
    const marker = join(dir, `fail-once-${workers}`);
    const seen = k.longAccumulator('seen');
    const xs = data(7 + workers, 900);
    const xs1 = xs[300];
    // The partition holding xs[300] adds all its records, then fails on its first attempt only.
    await k.parallelize(xs, 3).foreachPartition(
      (it) => {
        const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
        let hit = false;
        for (let r = it.next(); !r.done; r = it.next()) {
          seen.add(1);
          if (r.value === xs1) hit = true;
        }
        if (hit && !fs.existsSync(marker)) {
          fs.writeFileSync(marker, '');
          throw new Error('fails once');
        }
      },
      { captures: { seen, marker, xs1 } },
    );
    assert.ok(process.getBuiltinModule('node:fs').existsSync(marker), 'a task failed once');
    assert.is(seen.value, xs.length);
    rmSync(marker);
  });

  test(`in map, updates count once per computation: two actions count twice, a failed attempt not at all (workers ${workers})`, async () => {
    const k = await kiln(workers);
    const marker = join(dir, `map-fail-once-${workers}`);
    const computed = k.longAccumulator();
    const xs = data(21 + workers, 600);
    const x0 = xs[599];
    const ds = k.parallelize(xs, 4).map(
      (x) => {
        computed.add(1);
        if (x === x0) {
          const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
          if (!fs.existsSync(marker)) {
            fs.writeFileSync(marker, '');
            throw new Error('fails once');
          }
        }
        return x * 2;
      },
      { computed, marker, x0 },
    );
    assert.is(await ds.count(), xs.length);
    assert.is(computed.value, xs.length, 'the retried attempt replaces the failed one');
    assert.equal(await ds.collect(), xs.map((x) => x * 2));
    assert.is(computed.value, 2 * xs.length, 'the second action recomputes the map (the TSDoc over-count)');
    rmSync(marker);
  });

  test(`reading value, count or avg inside a task is a usage error (workers ${workers})`, async () => {
    const k = await kiln(workers);
    const acc = k.longAccumulator('peeked');
    for (const read of [(x: number) => x + acc.value, (x: number) => x + (acc as unknown as { avg: number }).avg]) {
      try {
        await k.parallelize([1, 2, 3], 2).map(read, { acc }).collect();
        assert.unreachable('reading the value in a task must fail');
      } catch (e) {
        assert.instance(e, KilnError);
        assert.is((e as KilnError).kind, 'usage');
        assert.match((e as Error).message, /accumulator "peeked" \(captured as "acc"\).*cannot be read inside a task.*on the driver/);
      }
    }
    assert.is(acc.value, 0);
  });
}

test('named accumulators show per stage in lastJobMetrics; unnamed ones do not', async () => {
  const k = await kiln(2);
  const words = k.longAccumulator('words');
  const lens = k.doubleAccumulator('word length');
  const quiet = k.longAccumulator();
  const lines = ['a bb ccc', 'dddd e', 'ff ggg hh', 'i'];
  const counts = await k
    .parallelize(lines, 2)
    .flatMap((l) => l.split(' '), {})
    .map(
      (w) => {
        words.add(1);
        quiet.add(1);
        return [w.length, 1] as [number, number];
      },
      { words, quiet },
    )
    .reduceByKey((a, b) => a + b)
    .map(
      ([len, n]) => {
        lens.add(len * n);
        return n;
      },
      { lens },
    )
    .collect();
  const all = lines.flatMap((l) => l.split(' '));
  assert.is(counts.reduce((a, b) => a + b, 0), all.length);
  const stages = k.lastJobMetrics!.stages;
  const map = stages.find((s) => s.kind === 'shuffleMap')!;
  const result = stages.find((s) => s.kind === 'result')!;
  assert.equal(map.accumulables, [{ id: words.id, name: 'words', update: all.length, value: all.length }]);
  const total = all.reduce((s, w) => s + w.length, 0);
  assert.equal(result.accumulables, [{ id: lens.id, name: 'word length', update: total, value: total }]);
  assert.is(quiet.value, all.length);
});

test('bad input: a fraction in a long accumulator, a custom one without add or merge, a non-self-contained add, a zero that cannot be cloned', async () => {
  const k = await kiln(0);
  const acc = k.longAccumulator('ints');
  assert.throws(() => acc.add(1.5), /accumulator "ints" adds integers, got 1\.5; use kiln.doubleAccumulator/);
  try {
    await k.parallelize([1, 2], 1).foreach((x) => acc.add(x / 4), { captures: { acc } });
    assert.unreachable('a fraction in a task must fail');
  } catch (e) {
    assert.match((e as Error).message, /adds integers, got 0\.25/);
  }
  assert.throws(() => k.accumulator(0, { add: (a: number, b: number) => a + b } as never), /needs add\(acc, v\) => acc and merge\(a, b\) => a/);
  const offset = 3;
  assert.throws(() => k.accumulator(0, { add: (a: number, b: number) => a + b + offset, merge: (a, b) => a + b }), /offset/);
  assert.throws(() => k.accumulator(() => 0, { add: (a) => a, merge: (a) => a }), /zero must be structured-cloneable/);
  assert.throws(() => k.longAccumulator(7 as unknown as string), /name must be a string/);
});

test.after(async () => {
  for (const k of contexts.values()) await k.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
