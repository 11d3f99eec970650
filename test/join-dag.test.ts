// Join lineage, planned on datasets that never execute: one dependency per parent,
// narrow for a co-partitioned parent (no shuffle), a shuffle otherwise; and, on
// datasets that run, independent parent stages submitted together.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, type Stage } from '../engine/index.js';
import { dependencies } from '../engine/driver/plan/lineage.js';
import { StagePlanner } from '../engine/driver/plan/stage.js';

const kiln = await Kiln.start({ workers: 2, memory: '64m', workerMemory: '64m' });

function allStages(result: Stage): Stage[] {
  const out: Stage[] = [];
  const visit = (s: Stage): void => {
    if (out.includes(s)) return;
    s.parents.forEach(visit);
    out.push(s);
  };
  visit(result);
  return out;
}

const pairs = (n: number) => kiln.parallelize([[1, 'a']] as [number, string][], n);

test('cogroup of unpartitioned parents: one shuffle dependency per parent, one map stage each', () => {
  const g = pairs(2).cogroup(pairs(3), pairs(4));
  assert.equal(dependencies(g).map((d) => d.kind), ['shuffle', 'shuffle', 'shuffle']);
  const stages = allStages(new StagePlanner().resultStage(g));
  assert.equal(stages.map((s) => s.kind), ['shuffleMap', 'shuffleMap', 'shuffleMap', 'result']);
  assert.is(g.numPartitions, 4, 'the largest parent partition count');
});

test('co-partitioned parents are narrow: a join of two partitionBy(4) datasets runs no shuffle of its own', () => {
  const a = pairs(2).partitionBy(4);
  const b = pairs(3).partitionBy(4);
  for (const ds of [a.join(b), a.fullOuterJoin(b, { strategy: 'sortMerge' }), a.cogroup(b)]) {
    assert.equal(dependencies(ds).map((d) => d.kind), ['narrow', 'narrow']);
    const result = new StagePlanner().resultStage(ds);
    // Only partitionBy's own two shuffles: the join stage reads them in place.
    assert.is(result.parents.length, 2);
    assert.is(allStages(result).length, 3);
  }
});

test('one co-partitioned side: only the other side shuffles', () => {
  const counted = pairs(2).reduceByKey((x, y) => x + y, 5);
  const j = counted.join(pairs(3));
  assert.equal(dependencies(j).map((d) => d.kind), ['narrow', 'shuffle']);
  assert.is(j.numPartitions, 5, 'the existing partitioner is reused');
  const stages = allStages(new StagePlanner().resultStage(j));
  assert.is(stages.length, 3, 'reduceByKey map stage, the other side map stage, the join');
  // A different partition count is not co-partitioned.
  assert.equal(dependencies(counted.join(pairs(3), { partitions: 7 })).map((d) => d.kind), ['shuffle', 'shuffle']);
});

test('a shared parent of both sides is planned once', () => {
  const base = pairs(3);
  const result = new StagePlanner().resultStage(base.join(base.mapValues((v) => v + '!')).join(base));
  assert.ok(allStages(result).every((s, i, all) => all.findIndex((o) => o.id === s.id) === i));
});

test('explain before running says the strategy is decided at run time', () => {
  const j = pairs(2).join(pairs(2));
  assert.match(j.explain(), /join \[inner\]: strategy decided at run time from map-output sizes/);
  assert.match(pairs(2).join(pairs(2), { strategy: 'sortMerge' }).explain(), /strategy sortMerge/);
});

test('independent parent stages are submitted before either completes', async () => {
  const events: string[] = [];
  kiln.setListener({ onStageSubmitted: (s) => events.push(`submit ${s.kind}`), onStageCompleted: (s) => events.push(`done ${s.kind}`) });
  try {
    await kiln.parallelize([[1, 1]] as [number, number][], 2).cogroup(kiln.parallelize([[1, 2]] as [number, number][], 2)).collect();
  } finally {
    kiln.setListener(undefined);
  }
  assert.equal(events.slice(0, 2), ['submit shuffleMap', 'submit shuffleMap']);
});

test('a broadcast join reads its stream side unshuffled once decided', async () => {
  const big = kiln.parallelize(Array.from({ length: 50 }, (_, i) => [i % 7, i] as [number, number]), 3);
  const small = kiln.parallelize([[1, 'x']] as [number, string][], 2);
  const j = big.join(small, { partitions: 4 });
  await j.collect();
  assert.equal(dependencies(j).map((d) => d.kind), ['narrow', 'shuffle']);
  assert.is(j.numPartitions, 3, "the stream side's partitions");
  assert.match(j.explain(), /broadcast, build right .*decided at run time/);
  const m = kiln.lastJobMetrics!;
  assert.is(m.joins[0]!.decision.strategy, 'broadcast');
  assert.is(m.stages.length, 2, "the small side's map stage and the join: the big side never shuffled");
});

test.after(async () => kiln.stop());
test.run();
