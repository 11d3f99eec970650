// Persistence end to end. Every storage level against recomputation (the same
// answer as plain JS, and the partitions computed once, counted with an
// accumulator) with workers 0, 1 and 2 and several partition counts; concurrent jobs
// computing an uncached partition once (the block lock); LRU eviction
// order under a tiny storageMemory; execution (a shuffle short of memory) evicting
// cached blocks, then a recompute that gives the same answer; unpersisted and
// garbage-collected datasets freeing their memory (the memory pool shows it); bad
// input (an unknown level, a changed level, storageMemory above memory).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, KilnError, StorageLevel, type Dataset } from '../engine/index.js';
import { randInt, rng } from './support/random.js';

declare const gc: () => void;

interface Internals {
  tasks: { budget: { shuffleBytesInUse: number } };
}
const pool = (kiln: Kiln): number => (kiln as unknown as Internals).tasks.budget.shuffleBytesInUse;

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function words(seed: number, n: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ['apple', 'fig', 'kiwi', 'plum', 'é日', ''][randInt(r, 6)]! + randInt(r, 50));
}

/** Plain-JS reference of the test pipeline: [word, length] pairs, then counts by length. */
function reference(xs: string[]): { pairs: [string, number][]; byLength: [number, number][] } {
  const pairs = xs.map((w) => [w, w.length] as [string, number]);
  const counts = new Map<number, number>();
  for (const [, n] of pairs) counts.set(n, (counts.get(n) ?? 0) + 1);
  return { pairs, byLength: [...counts].sort((a, b) => a[0] - b[0]) };
}

const LEVELS = ['MEMORY_ONLY', 'MEMORY_AND_DISK', 'DISK_ONLY', 'MEMORY_ONLY_2', 'MEMORY_ONLY_SER', 'MEMORY_AND_DISK_SER'] as const;

for (const workers of [0, 1, 2]) {
  test(`every storage level gives the recomputed answer and computes each partition once (workers ${workers})`, async () => {
    const kiln = await Kiln.start({ workers, memory: '64m' });
    try {
      for (const slices of [1, 4, 9]) {
        for (const level of LEVELS) {
          const xs = words(slices * 31 + level.length, 3000);
          const ref = reference(xs);
          const computed = kiln.longAccumulator();
          const ds = kiln.parallelize(xs, slices).map((w) => {
            computed.add(1);
            return [w, w.length] as [string, number];
          }, { computed });
          assert.is(level === 'MEMORY_ONLY' ? ds.cache() : ds.persist(level), ds);
          assert.is(ds.getStorageLevel().name, level);
          assert.equal(await ds.collect(), ref.pairs, `${level}, ${slices} partitions: first action`);
          const first = kiln.lastJobMetrics!.storage!;
          assert.equal([first[0]!.misses, first[0]!.hits], [slices, 0]);
          assert.equal(await ds.collect(), ref.pairs, `${level}, ${slices} partitions: from the stored blocks`);
          const byLength = await ds.map(([, n]) => [n, 1] as [number, number]).reduceByKey((a, b) => a + b).sortByKey().collect();
          assert.equal(byLength, ref.byLength);
          assert.is(computed.value, xs.length, `${level}: each partition computed once over three actions`);
          const figures = kiln.lastJobMetrics!.storage!.find((f) => f.datasetId === ds.id)!;
          assert.equal([figures.hits, figures.misses, figures.cachedPartitions], [slices, 0, slices]);
          if (level === 'DISK_ONLY') assert.equal([figures.memoryBytes > 0, figures.diskBytes > 0], [false, true]);
          else assert.equal([figures.memoryBytes > 0, figures.diskBytes], [true, 0]);
          // The tiers: deserialized levels keep a decoded copy of every partition; each read names its tier.
          const deserialized = ds.getStorageLevel().deserialized;
          assert.equal([figures.decodedPartitions, figures.decodedBytes > 0], [deserialized ? slices : 0, deserialized], `${level}: decoded copies`);
          assert.is(figures.decodedHits + figures.encodedHits, slices, `${level}: every read names its tier`);
          // One thread holds every copy (0 or 1 workers), so every read of a deserialized level is decoded.
          if (workers < 2) assert.is(figures.decodedHits, deserialized ? slices : 0, `${level}: reads by tier`);
          // Not persisted: every action computes again (the reference behaviour).
          ds.unpersist();
          assert.is(ds.getStorageLevel(), StorageLevel.NONE);
          assert.equal(await ds.collect(), ref.pairs);
          assert.is(computed.value, 2 * xs.length);
        }
      }
      assert.is(kiln.storage.memoryBytes, 0, 'unpersisted blocks left no memory behind');
    } finally {
      await kiln.stop();
    }
  });
}

for (const workers of [0, 1, 2]) {
  test(`two concurrent jobs over one uncached persisted dataset compute each partition once (workers ${workers})`, async () => {
    const kiln = await Kiln.start({ workers, memory: '32m' });
    try {
      for (const level of ['MEMORY_ONLY', 'DISK_ONLY'] as const) {
        const xs = words(300 + workers, 20_000);
        const computed = kiln.longAccumulator();
        const ds = kiln.parallelize(xs, 5).map((w) => {
          computed.add(1);
          return w.toUpperCase();
        }, { computed }).persist(level);
        const [all, count, lengths] = await Promise.all([ds.collect(), ds.count(), ds.map((w) => w.length).sum()]);
        assert.equal(all, xs.map((w) => w.toUpperCase()));
        assert.is(count, xs.length);
        assert.is(lengths, xs.reduce((s, w) => s + w.length, 0));
        assert.is(computed.value, xs.length, `${level}: each record computed once by three concurrent jobs`);
      }
    } finally {
      await kiln.stop();
    }
  });
}

test('LRU across datasets under a tiny storageMemory: the least recently used block goes first', async () => {
  // Three one-partition datasets of the same size; room for two blocks. MEMORY_ONLY_SER:
  // encoded blocks only (the decoded tier's eviction has its own test in storage-decoded).
  const kiln = await Kiln.start({ workers: 1, memory: '8m', storageMemory: 250_000 });
  try {
    const seen = kiln.collectionAccumulator<string>();
    const make = (name: string): Dataset<string> =>
      kiln.parallelize(Array.from({ length: 100 }, (_, i) => `${name}${'x'.repeat(1000)}${i}`), 1).map((s) => {
        if (s.endsWith('x0')) seen.add(s.slice(0, 1));
        return s;
      }, { seen }).persist('MEMORY_ONLY_SER');
    const [a, b, c] = [make('a'), make('b'), make('c')];
    assert.is(await a.count(), 100);
    const size = kiln.lastJobMetrics!.storage![0]!.memoryBytes;
    assert.ok(2 * size <= 250_000 && 3 * size > 250_000, `a block is ${size} bytes: two fit, three do not`);
    await b.count();
    await a.count(); // a is now more recently used than b
    await c.count(); // evicts b
    const evicted = kiln.lastJobMetrics!.storage!.find((f) => f.datasetId === b.id)!;
    assert.equal([evicted.evictions, evicted.cachedPartitions], [1, 0], "c's job evicted b's block (counted against b)");
    assert.equal(seen.value.sort(), ['a', 'b', 'c']);
    await a.count();
    await c.count();
    assert.equal(seen.value.sort(), ['a', 'b', 'c'], 'a and c are still stored');
    await b.count();
    assert.equal(seen.value.sort(), ['a', 'b', 'b', 'c'], 'b was evicted (MEMORY_ONLY: dropped) and recomputed');
    const bFigures = kiln.lastJobMetrics!.storage!.find((f) => f.datasetId === b.id)!;
    assert.is(bFigures.misses, 1);
  } finally {
    await kiln.stop();
  }
});

test('a shuffle short of memory evicts cached blocks down to the floor; the recompute gives the same answer', async () => {
  const kiln = await Kiln.start({ workers: 2, memory: '6m', storageMemory: '6m' });
  try {
    const xs = words(77, 78_000).map((w) => w.repeat(8));
    const ref = reference(xs);
    const computed = kiln.longAccumulator();
    const ds = kiln.parallelize(xs, 6).map((w) => {
      computed.add(1);
      return [w, w.length] as [string, number];
      // Encoded blocks only: execution evicts pool memory, which decoded copies do not hold.
    }, { computed }).persist('MEMORY_ONLY_SER');
    assert.is(await ds.count(), xs.length);
    const held = kiln.lastJobMetrics!.storage![0]!.memoryBytes;
    assert.ok(held > 3 * 2 ** 20, `the cache holds ${held} bytes, above the 3 MiB floor`);
    // A shuffle of other data that needs more of the pool than is free.
    // groupByKey does not combine on the map side: its blocks hold all of its ~5 MB input.
    const other = kiln.parallelize(words(78, 150_000).map((w) => w.repeat(4)), 4).map((w) => [w, 1] as [string, number]).groupByKey(2);
    const counted = await other.count();
    assert.ok(counted > 0);
    assert.ok(kiln.storage.memoryBytes < held, 'execution evicted cached blocks');
    assert.ok(kiln.storage.memoryBytes >= Math.min(held, 3 * 2 ** 20) - 2 ** 20, 'down to about the protected floor');
    // MEMORY_ONLY blocks were dropped: those partitions are recomputed, same answer.
    assert.equal(await ds.collect(), ref.pairs);
    const figures = kiln.lastJobMetrics!.storage![0]!;
    assert.ok(figures.misses > 0 && figures.hits + figures.misses === 6, JSON.stringify(figures));
    assert.is(computed.value, xs.length + (figures.misses * xs.length) / 6);
  } finally {
    await kiln.stop();
  }
});

test('a persisted dataset that is garbage-collected frees its blocks (the memory pool shows it)', async () => {
  const kiln = await Kiln.start({ workers: 1, memory: '16m' });
  try {
    let weak: WeakRef<object> | undefined;
    await (async () => {
      const ds = kiln.parallelize(words(5, 20_000), 3).cache();
      weak = new WeakRef(ds);
      assert.is(await ds.count(), 20_000);
      assert.ok(kiln.storage.encodedBytes > 0 && pool(kiln) >= kiln.storage.encodedBytes, 'its encoded blocks are in the pool');
      assert.ok(kiln.storage.decodedBytes > 0, 'and the worker keeps decoded copies');
      assert.equal([...kiln.getPersistentDatasets().keys()], [ds.id]);
    })();
    // No deref() between collections: a WeakRef read keeps its target alive for the turn.
    for (let i = 0; i < 5; i++) {
      gc();
      await settle();
    }
    assert.is(weak!.deref(), undefined, 'the dataset was collected');
    assert.is(pool(kiln), 0, 'and its blocks freed');
    assert.equal([kiln.storage.memoryBytes, kiln.storage.slots.inUse], [0, 0], 'both tiers: no decoded copy is owned any more');
    assert.is(kiln.getPersistentDatasets().size, 0);
  } finally {
    await kiln.stop();
  }
});

test('bad input: an unknown level, a changed level, storageMemory above memory', async () => {
  const kiln = await Kiln.start({ workers: 0 });
  try {
    const ds = kiln.parallelize([1, 2, 3], 2);
    assert.throws(() => ds.persist('MEMORY_ONLY_3' as never), (e: Error) => e instanceof KilnError && e.kind === 'usage' && /unknown storage level "MEMORY_ONLY_3": use one of MEMORY_ONLY, MEMORY_ONLY_2/.test(e.message));
    assert.throws(() => ds.persist({ name: 'SOMEWHERE' } as never), /unknown storage level \{"name":"SOMEWHERE"\}/);
    ds.persist(StorageLevel.MEMORY_AND_DISK);
    ds.persist('MEMORY_AND_DISK');
    assert.throws(() => ds.cache(), /already persisted at MEMORY_AND_DISK; a persisted dataset's level cannot change to MEMORY_ONLY: call unpersist\(\) first/);
    ds.unpersist();
    ds.persist('DISK_ONLY');
    assert.equal(await ds.collect(), [1, 2, 3]);
  } finally {
    await kiln.stop();
  }
  try {
    await Kiln.start({ workers: 0, memory: '8m', storageMemory: '16m' });
    assert.unreachable('storageMemory above memory must be refused');
  } catch (e) {
    assert.match((e as Error).message, /storageMemory \(16777216 bytes\) cannot exceed memory \(8388608 bytes\)/);
  }
});

test.run();
