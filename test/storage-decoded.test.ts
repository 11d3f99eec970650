// The decoded tier (engine/executor/storage/decoded-store.ts): deserialized levels keep each
// partition's records in the heap of the worker thread that computed it. Checked:
// hits counted per tier, matching where each task ran (workers 0, 1, 2); decoded
// copies evicted LRU under a tiny storageMemory, the encoded blocks then serving;
// a task run away from the holder (union of a partition with itself, no locality
// wait) reading the encoded block, and with a long wait, both on the holder; a killed
// holder losing only its decoded copies; unpersist freeing both tiers (the driver's
// map, and the copies in the thread's heap, inline); and the size estimator against
// hand-counted V8 sizes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, type Dataset } from '../engine/index.js';
import { decodedCopies } from '../engine/executor/storage/decoded-store.js';
import { estimateValue, SizeTracker } from '../engine/executor/storage/size-estimator.js';
import { rejects } from './support/rejects.js';
import { randInt, rng } from './support/random.js';

function words(seed: number, n: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => ['ash', 'elm', 'oak', 'yew', 'é日'][randInt(r, 5)]! + randInt(r, 100));
}

const figuresOf = (kiln: Kiln, ds: Dataset<unknown>) => kiln.lastJobMetrics!.storage!.find((f) => f.datasetId === ds.id)!;

/** Thread ids of the tasks of a job's last stage, by partition. */
function taskThreads(kiln: Kiln): number[] {
  const stages = kiln.lastJobMetrics!.stages;
  return stages[stages.length - 1]!.metrics.map((m) => m.threadId ?? -1);
}

for (const workers of [0, 1, 2]) {
  test(`hits are counted per tier, matching the thread each task ran on (workers ${workers})`, async () => {
    const kiln = await Kiln.start({ workers, memory: '64m' });
    try {
      for (const slices of [1, 5]) {
        const xs = words(slices + workers, 4000);
        const pairs = xs.map((w) => [w, w.length]);
        const decoded = kiln.parallelize(xs, slices).map((w) => [w, w.length] as [string, number]).cache();
        const encoded = kiln.parallelize(xs, slices).map((w) => [w, w.length] as [string, number]).persist('MEMORY_ONLY_SER');
        assert.equal(await decoded.collect(), pairs);
        const holders = taskThreads(kiln);
        assert.equal(await encoded.collect(), pairs);
        assert.is(figuresOf(kiln, encoded).decodedPartitions, 0, 'a _SER level keeps no decoded copy');
        for (let round = 0; round < 2; round++) {
          assert.equal(await decoded.collect(), pairs, 'read from the stored blocks');
          const f = figuresOf(kiln, decoded);
          const local = taskThreads(kiln).filter((t, p) => t === holders[p]).length;
          assert.equal([f.hits, f.decodedHits, f.encodedHits], [slices, local, slices - local], 'a task on the holder reads its decoded copy, any other the encoded block');
          assert.equal(await encoded.map(([, n]) => n).collect(), pairs.map((p) => p[1]));
          const g = figuresOf(kiln, encoded);
          assert.equal([g.hits, g.decodedHits, g.encodedHits], [slices, 0, slices]);
        }
        decoded.unpersist();
        encoded.unpersist();
      }
      assert.equal([kiln.storage.memoryBytes, kiln.storage.slots.inUse], [0, 0]);
    } finally {
      await kiln.stop();
    }
  });
}

test('decoded copies are evicted LRU under a tiny storageMemory; the encoded blocks then serve the reads', async () => {
  const kiln = await Kiln.start({ workers: 1, memory: '8m', storageMemory: 350_000 });
  try {
    const computed = kiln.longAccumulator();
    const make = (name: string): Dataset<string> =>
      kiln.parallelize(Array.from({ length: 100 }, (_, i) => `${name}${'x'.repeat(1000)}${i}`), 1).map((s) => {
        computed.add(1);
        return s;
      }, { computed }).persist('MEMORY_AND_DISK');
    const [a, b, c] = [make('a'), make('b'), make('c')];
    const all = async (ds: Dataset<string>): Promise<number> => (await ds.collect()).length;
    assert.is(await all(a), 100);
    const one = figuresOf(kiln, a);
    const encodedBytes = one.memoryBytes - one.decodedBytes;
    assert.ok(one.decodedBytes > 100_000 && encodedBytes > 100_000, JSON.stringify(one));
    assert.ok(one.memoryBytes + encodedBytes < 350_000 && 2 * one.memoryBytes > 350_000, 'two blocks fit with one decoded copy, not with two');
    assert.is(await all(b), 100); // makes room: a's decoded copy goes first (a is the least recently used)
    let fa = kiln.storage.figures(a.id)!;
    assert.equal([fa.decodedPartitions, fa.decodedEvictions, fa.cachedPartitions, fa.memoryBytes], [0, 1, 1, encodedBytes], "a lost its decoded copy, kept its encoded block");
    assert.is(await all(a), 100);
    assert.equal([figuresOf(kiln, a).encodedHits, figuresOf(kiln, a).decodedHits], [1, 0], 'a read its encoded block');
    assert.is(await all(c), 100); // b is now the least recently used: its decoded copy goes
    const fb = kiln.storage.figures(b.id)!;
    assert.equal([fb.decodedPartitions, fb.decodedEvictions], [0, 1]);
    assert.ok(kiln.storage.memoryBytes <= 350_000, 'both tiers stay within storageMemory');
    assert.is(computed.value, 300, 'nothing was recomputed: every block kept its encoded copy');
    // The worker drops evicted copies at its next task: only c's is still held.
    fa = kiln.storage.figures(a.id)!;
    assert.equal([fa.decodedPartitions, kiln.storage.slots.inUse], [0, 1]);
  } finally {
    await kiln.stop();
  }
});

test('inline: an evicted or unpersisted decoded copy leaves the thread heap at the next task; unpersist frees both tiers', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '16m' });
  try {
    const ds = kiln.parallelize(words(9, 20_000), 3).cache();
    assert.is(await ds.count(), 20_000);
    assert.equal([decodedCopies(), kiln.storage.slots.inUse], [3, 3]);
    assert.ok(kiln.storage.decodedBytes > 20_000 * 24 && kiln.storage.encodedBytes > 0, 'both tiers are held');
    ds.unpersist();
    assert.equal([kiln.storage.memoryBytes, kiln.storage.decodedBytes, kiln.storage.slots.inUse], [0, 0, 0], 'the memory map shows both tiers freed');
    assert.is(await kiln.parallelize([1, 2, 3], 1).count(), 3);
    assert.is(decodedCopies(), 0, "the thread deleted the copies at its next task");
  } finally {
    await kiln.stop();
  }
});

test('a task run away from the holder reads the encoded block; with a long locality wait it waits for the holder', async () => {
  // One partition read twice in one job (a union with itself): two tasks that both
  // prefer the thread holding its decoded copy. Each sleeps, so the holder is busy
  // when the second one is handed out.
  const xs = words(4, 3000);
  for (const [wait, decodedHits] of [[0, 1], [60_000, 2]] as const) {
    const kiln = await Kiln.start({ workers: 2, memory: '64m', localityWait: wait });
    try {
      const ds = kiln.parallelize(xs, 1).map((w) => w.toUpperCase()).cache();
      assert.equal(await ds.collect(), xs.map((w) => w.toUpperCase()));
      const [holder] = taskThreads(kiln);
      const slow = ds.union(ds).mapPartitions((it) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
        return [...{ [Symbol.iterator]: () => it }];
      });
      const upper = xs.map((w) => w.toUpperCase());
      assert.equal(await slow.collect(), [...upper, ...upper], 'the same answer wherever the tasks ran');
      const f = figuresOf(kiln, ds);
      assert.equal([f.hits, f.decodedHits, f.encodedHits], [2, decodedHits, 2 - decodedHits], `locality wait ${wait} ms`);
      const threads = taskThreads(kiln);
      if (wait === 0) assert.ok(threads.includes(holder!) && threads.some((t) => t !== holder), 'one task on the holder, one away');
      else assert.equal(threads, [holder, holder], 'both waited for the holder');
    } finally {
      await kiln.stop();
    }
  }
});

test('a killed holder thread loses only its decoded copies: the encoded blocks give the same answer', async () => {
  const kiln = await Kiln.start({ workers: 1, memory: '64m' });
  try {
    const xs = words(6, 5000);
    const computed = kiln.longAccumulator();
    const ds = kiln.parallelize(xs, 2).map((w) => {
      computed.add(1);
      return `${w}!`;
    }, { computed }).cache();
    const ref = xs.map((w) => `${w}!`);
    assert.equal(await ds.collect(), ref);
    const [holder] = taskThreads(kiln);
    assert.is(kiln.storage.figures(ds.id)!.decodedPartitions, 2);
    // A job whose task says it runs (a shared word), then sleeps; cancelled then, piscina kills the thread.
    const running = new Int32Array(new SharedArrayBuffer(4));
    const stop = new AbortController();
    const sleeper = kiln.parallelize([1], 1).map((x) => {
      Atomics.store(running, 0, 1);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
      return x;
    }, { running });
    const cancelled = rejects(() => sleeper.collect({ signal: stop.signal }), /cancel/i);
    while (Atomics.load(running, 0) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    stop.abort();
    await cancelled;
    assert.equal(await ds.collect(), ref, 'the same answer after the holder died');
    const f = figuresOf(kiln, ds);
    assert.ok(!taskThreads(kiln).includes(holder!), 'a new thread ran the tasks');
    assert.equal([f.hits, f.decodedHits, f.encodedHits, f.misses, f.decodedPartitions], [2, 0, 2, 0, 0], 'read from the encoded blocks; the dead copies are forgotten');
    assert.is(computed.value, xs.length, 'nothing was recomputed');
  } finally {
    await kiln.stop();
  }
});

test('the size estimator: V8 sizes of strings, numbers, arrays and objects; sampling scales to the count', () => {
  assert.is(estimateValue('abc'), 24, '16-byte header + 3 bytes, rounded to 8');
  assert.is(estimateValue('日本'), 24, 'two-byte chars');
  assert.is(estimateValue('x'.repeat(100)), 120);
  assert.is(estimateValue(7), 0, 'a small integer lives in its slot');
  assert.is(estimateValue(0.5), 16, 'a heap number');
  assert.is(estimateValue(['ab', 'cd']), 32 + 16 + 16 + 24 + 24);
  assert.is(estimateValue({ a: 1, b: 'xy' }), 24 + 8 + 8 + 24);
  assert.is(estimateValue(null), 0);
  const t = new SizeTracker();
  for (let i = 0; i < 10_000; i++) t.add(['ab', 'cd']);
  assert.is(t.bytes, 10_000 * (112 + 8), 'identical records: the sample scales exactly');
});

test('bad input: a negative localityWait', async () => {
  await rejects(() => Kiln.start({ workers: 0, localityWait: -1 }), /localityWait must be a number of milliseconds >= 0 \(got -1\)/);
});

test.run();
