// Failures on purpose: retried tasks, tasks that always fail, captured variables,
// spilling under a tiny memory budget, and cancelled actions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, KilnError } from '../engine/index.js';
import { rejects } from './support/rejects.js';

const kiln = await Kiln.start({ workers: 2, memory: '64m', workerMemory: '64m' });

test('a function that throws once is retried and the job succeeds', async () => {
  const out = await kiln.parallelize([1, 2, 3, 4], 2).map((x) => {
    const g = globalThis as { __kilnFailedOnce?: boolean };
    if (!g.__kilnFailedOnce) {
      g.__kilnFailedOnce = true;
      throw new Error('flaky once');
    }
    return x * 10;
  }).collect();
  assert.equal(out, [10, 20, 30, 40]);
});

test('a function that always throws fails the job naming stage, partition and cause', async () => {
  try {
    await kiln.parallelize([1, 2, 3], 3).map((x) => {
      if (x === 2) throw new TypeError('bad record 2');
      return x;
    }).collect();
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, KilnError);
    const err = e as KilnError;
    assert.match(err.message, /stage \d+/);
    assert.match(err.message, /partition 1/);
    assert.match(err.message, /bad record 2/);
    assert.match(err.message, /4 times/);
    assert.is(err.context.partition, 1);
  }
  // The pool still works afterwards.
  assert.is(await kiln.parallelize([1, 2], 2).count(), 2);
});

test('a function using a variable from its enclosing scope is rejected, naming it', () => {
  const factor = 3;
  try {
    kiln.parallelize([1, 2]).map((x) => x * factor);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, KilnError);
    assert.match((e as Error).message, /"factor"/);
    assert.match((e as Error).message, /broadcast/);
  }
});

test('captures and broadcast variables reach the workers', async () => {
  const factor = 3;
  assert.equal(await kiln.parallelize([1, 2], 2).map((x) => x * factor, { factor }).collect(), [3, 6]);
  const table = kiln.broadcast({ a: 1, b: 2 } as Record<string, number>);
  assert.equal(await kiln.parallelize(['a', 'b', 'a'], 2).map((k) => table.value[k], { table }).collect(), [1, 2, 1]);
  table.destroy();
  await rejects(() => kiln.parallelize(['a'], 1).map((k) => table.value[k], { table }).collect(), /destroyed/);
});

test('a tiny memory budget spills every shuffle block to disk, with identical results', async () => {
  const tiny = await Kiln.start({ workers: 2, memory: 1, workerMemory: '64m' });
  try {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i % 357}`);
    const expected = new Map<string, number>();
    for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);
    const viaJs = await tiny.parallelize(words, 7).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b, 5).collect();
    assert.equal(new Map(viaJs), expected);
    const spilled = tiny.lastJobMetrics!.stages[0]!.metrics.reduce((s, m) => s + m.spillBytes, 0);
    assert.ok(spilled > 0, 'blocks were spilled');
    assert.equal(new Map(await tiny.parallelize(words, 7).valueCounts(3).collect()), expected);
    const sorted = await tiny.parallelize(words, 7).map((w) => [w, 0] as [string, number]).sortByKey().keys().collect();
    assert.equal(sorted, [...words].sort());
  } finally {
    await tiny.stop();
  }
});

test('an aborted action rejects, and the workers stay usable', async () => {
  const controller = new AbortController();
  // Each record spins for 30 s, so the job cannot end before the abort however late
  // the timer fires on a busy machine (at 50 ms a record it could: 1.6 s in all).
  const slow = kiln.parallelize(Array.from({ length: 64 }, (_, i) => i), 8).map((x) => {
    const end = Date.now() + 30_000;
    while (Date.now() < end);
    return x;
  });
  setTimeout(() => controller.abort(), 100);
  await rejects(() => slow.collect({ signal: controller.signal }), /cancelled|aborted/);
  assert.equal(await kiln.parallelize([1, 2, 3], 3).map((x) => x + 1).collect(), [2, 3, 4]);
});

test('an already-aborted signal rejects at once', async () => {
  const controller = new AbortController();
  controller.abort();
  await rejects(() => kiln.parallelize([1], 1).count({ signal: controller.signal }), /cancelled/);
});

test.after(async () => kiln.stop());
test.run();
