// Strategy choice (engine/driver/join/choose.ts) at its boundaries, skew splitting
// (engine/driver/join/skew.ts), and, on running joins: the threshold boundary measured from
// real map output, a build side refused memory falling back to sort-merge with the
// same answer, a forced broadcast that does not fit failing before the join runs, and
// a skewed join whose hot partition is split.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, chooseStrategy, skewTasks, type JoinStrategy, type JoinType } from '../engine/index.js';
import { canonical, referenceJoin } from './reference/join.js';

const yes = (): boolean => true;
const choose = (type: JoinType, requested: JoinStrategy, left: number | undefined, right: number | undefined, threshold = 100, reserve: (b: number) => boolean = yes) =>
  chooseStrategy({ type, requested, operator: 'join', threshold, sizes: { left, right }, reserve, concurrency: 2, budget: 1000 });

test('broadcast at the threshold, not one byte above; -1 turns it off', () => {
  assert.equal([choose('inner', 'auto', 100, 1000).strategy, choose('inner', 'auto', 100, 1000).build], ['broadcast', 'left']);
  assert.is(choose('inner', 'auto', 101, 1000).strategy, 'shuffleHash');
  assert.is(choose('inner', 'auto', 500, 600, -1).strategy, 'sortMerge');
  assert.is(choose('inner', 'auto', 10, 600, -1).strategy, 'shuffleHash');
  assert.is(choose('inner', 'auto', 50, 60).build, 'left', 'both qualify: the smaller is built');
  assert.is(choose('inner', 'auto', 60, 50).build, 'right');
});

test('the build side follows the join type; full outer never broadcasts', () => {
  assert.equal([choose('left', 'auto', 10, 50).strategy, choose('left', 'auto', 10, 50).build], ['broadcast', 'right']);
  assert.equal([choose('right', 'auto', 50, 10).strategy, choose('right', 'auto', 50, 10).build], ['broadcast', 'left']);
  assert.is(choose('left', 'auto', 10, 500).strategy, 'shuffleHash', 'left outer cannot broadcast its left side');
  assert.is(choose('semi', 'auto', 10, 90).build, 'right');
  assert.is(choose('full', 'auto', 1, 1).strategy, 'sortMerge');
  assert.is(choose('full', 'auto', 200, 600).strategy, 'shuffleHash');
});

test('shuffle hash when the smaller side is at least 3x smaller', () => {
  assert.is(choose('inner', 'auto', 200, 600).strategy, 'shuffleHash');
  assert.is(choose('inner', 'auto', 200, 599).strategy, 'sortMerge');
  assert.is(choose('inner', 'auto', 900, 300).build, 'right');
});

test('refused memory: auto and forced shuffle hash fall back to sort-merge; a forced broadcast fails', () => {
  const no = (): boolean => false;
  assert.is(choose('inner', 'auto', 10, 1000, 100, no).strategy, 'sortMerge');
  assert.match(choose('inner', 'auto', 10, 1000, 100, no).reason, /refused memory/);
  assert.is(choose('inner', 'shuffleHash', 10, 1000, 100, no).strategy, 'sortMerge');
  assert.throws(() => choose('inner', 'broadcast', 5000, 10000, 100, no), /forced broadcast of the left side \(4\.9 KiB.*autoBroadcastJoinThreshold is 100 B/);
  assert.throws(() => choose('full', 'broadcast', 1, 1), /allows 'shuffleHash', 'sortMerge'/);
});

test('skew: a partition above 5x the median and the minimum is split at map blocks; full joins never split', () => {
  const even = [10, 10, 10, 10];
  const hot = [200, 200, 200, 200];
  const left = [even, hot, even, even, even];
  const right = [even, even, even, even, even];
  const tasks = skewTasks('inner', { left, right }, { factor: 5, minBytes: 100 })!;
  const split = tasks.filter((t) => t.split);
  assert.ok(split.length >= 2);
  assert.ok(split.every((t) => t.partition === 1 && t.split!.side === 'left'));
  assert.equal(split.map((t) => [t.split!.from, t.split!.to]).flat()[0], 0);
  assert.is(split[split.length - 1]!.split!.to, 4, 'the groups cover every block');
  assert.is(skewTasks('full', { left, right }, { factor: 5, minBytes: 100 }), undefined);
  assert.is(skewTasks('inner', { left, right }, { factor: 5, minBytes: 10_000 }), undefined, 'below the minimum size');
  assert.is(skewTasks('right', { left, right }, { factor: 5, minBytes: 100 }), undefined, 'right outer splits only its right side');
});

const pairs = (n: number, keys: number, seed: number): [number, string][] => Array.from({ length: n }, (_, i) => [(i * 7919 + seed) % keys, `v${i}`]);

test('running joins: the threshold boundary on measured map-output bytes', async () => {
  const left = pairs(300, 40, 1);
  const right = pairs(40, 40, 2);
  const probe = await Kiln.start({ workers: 1, memory: '64m', workerMemory: '64m' });
  let rightBytes: number;
  try {
    await probe.parallelize(left, 2).join(probe.parallelize(right, 2), { strategy: 'shuffleHash' }).count();
    rightBytes = probe.lastJobMetrics!.joins[0]!.decision.sizes.right!;
  } finally {
    await probe.stop();
  }
  for (const [threshold, expected] of [[rightBytes, 'broadcast'], [rightBytes - 1, 'shuffleHash']] as const) {
    const kiln = await Kiln.start({ workers: 1, memory: '64m', workerMemory: '64m', autoBroadcastJoinThreshold: threshold });
    try {
      const got = await kiln.parallelize(left, 2).join(kiln.parallelize(right, 2)).collect();
      assert.is(kiln.lastJobMetrics!.joins[0]!.decision.strategy, expected, `threshold ${threshold}`);
      assert.equal(canonical(got), canonical(referenceJoin('inner', left, right)));
    } finally {
      await kiln.stop();
    }
  }
});

test('a build side refused memory falls back to sort-merge, spills, and gives the same answer', async () => {
  const left = pairs(6000, 500, 3);
  const right = pairs(4000, 700, 4);
  // 16 KiB: smaller than either side's largest partition x 2 tasks, so every hash
  // reservation is refused whatever the map outputs hold at that moment (with 64 KiB,
  // an empty arena let shuffleHash fit when both map stages had spilled first).
  const kiln = await Kiln.start({ workers: 2, memory: '16k', workerMemory: '64m' });
  try {
    for (const strategy of ['auto', 'shuffleHash'] as const) {
      const got = await kiln.parallelize(left, 3).leftOuterJoin(kiln.parallelize(right, 2), { strategy, partitions: 3 }).collect();
      const m = kiln.lastJobMetrics!;
      assert.is(m.joins[0]!.decision.strategy, 'sortMerge', strategy);
      assert.match(m.joins[0]!.decision.reason, /refused memory/);
      assert.ok(m.stages.some((s) => s.metrics.some((t) => t.spillBytes > 0)), 'map output spilled');
      assert.equal(canonical(got), canonical(referenceJoin('left', left, right)));
    }
    try {
      await kiln.parallelize(left, 3).join(kiln.parallelize(right, 2), { strategy: 'broadcast' }).count();
      assert.unreachable('a forced broadcast that does not fit must fail');
    } catch (e) {
      assert.match((e as Error).message, /forced broadcast of the (left|right) side .* does not fit the memory budget .*autoBroadcastJoinThreshold is 10\.0 MiB/);
    }
  } finally {
    await kiln.stop();
  }
});

test('a skewed join (one key holding 30% of the rows) splits its hot partition and gives the same answer', async () => {
  const n = 20_000;
  const left: [number, string][] = Array.from({ length: n }, (_, i) => [i % 10 < 3 ? 0 : 1 + (i % 997), `l${i}`]);
  const right: [number, string][] = Array.from({ length: 3000 }, (_, i) => [i % 1000, `r${i}`]);
  const kiln = await Kiln.start({ workers: 2, memory: '256m', workerMemory: '64m', autoBroadcastJoinThreshold: -1, skewJoinThreshold: '4k' });
  try {
    for (const [type, method, skewed] of [
      ['inner', 'join', left],
      ['left', 'leftOuterJoin', left],
      ['right', 'rightOuterJoin', null],
    ] as const) {
      const [a, b] = skewed ? [left, right] : [right, left];
      const expected = canonical(referenceJoin(type, a, b));
      for (const strategy of ['auto', 'sortMerge', 'shuffleHash'] as const) {
        const ds = kiln.parallelize(a, 8)[method](kiln.parallelize(b, 8), { partitions: 17, strategy });
        const got = await ds.collect();
        const j = kiln.lastJobMetrics!.joins[0]!;
        assert.is(j.skewedPartitions.length, 1, `${method} ${strategy}: one partition split`);
        assert.ok(j.tasks > 17, 'more tasks than partitions');
        assert.equal(canonical(got), expected, `${method} ${strategy}`);
      }
    }
    const full = kiln.parallelize(left, 8).fullOuterJoin(kiln.parallelize(right, 8), { partitions: 17 });
    assert.equal(canonical(await full.collect()), canonical(referenceJoin('full', left, right)));
    assert.is(kiln.lastJobMetrics!.joins[0]!.skewedPartitions.length, 0, 'full outer joins are not split');
  } finally {
    await kiln.stop();
  }
});

test.run();
