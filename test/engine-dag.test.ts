// The DAG scheduler's plans, checked on datasets that never execute: stage cuts at
// shuffle dependencies only, narrow operators pipelined in one stage, shared parents
// planned once; and, on datasets that do run, reuse of shuffle output by later jobs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln } from '../engine/index.js';
import { StagePlanner, stageOperators, type Stage } from '../engine/driver/plan/stage.js';

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

test('narrow chains are one stage, pipelined', () => {
  const ds = kiln.parallelize([1, 2, 3], 3).map((x) => x + 1).filter((x) => x > 1).flatMap((x) => [x, x]);
  const stages = allStages(new StagePlanner().resultStage(ds));
  assert.is(stages.length, 1);
  assert.is(stages[0]!.kind, 'result');
  assert.equal(stageOperators(stages[0]!).map((o) => o.label), ['parallelize', 'map', 'filter', 'flatMap']);
});

test('each shuffle dependency cuts a stage; stage partitions follow the partitioner', () => {
  const ds = kiln
    .parallelize(['a', 'b'], 4)
    .map((w) => [w, 1] as [string, number])
    .reduceByKey((a, b) => a + b, 3)
    .mapValues((v) => v * 2)
    .groupByKey(5);
  const stages = allStages(new StagePlanner().resultStage(ds));
  assert.equal(stages.map((s) => s.kind), ['shuffleMap', 'shuffleMap', 'result']);
  assert.is(stages[0]!.node.lineage.kind, 'op');
  assert.is(ds.numPartitions, 5);
  assert.equal(stageOperators(stages[1]!).map((o) => o.label), ['shuffle read #' + (stages[0]!.shuffle!.shuffleId) + ' (js aggregate)', 'mapValues', `shuffle write #${stages[1]!.shuffle!.shuffleId}`]);
});

test('union of two shuffled datasets has two parent stages; a shared parent is planned once', () => {
  const base = kiln.parallelize([1, 2, 3], 2).map((x) => [x % 2, x] as [number, number]);
  const summed = base.reduceByKey((a, b) => a + b);
  const u = summed.union(summed.mapValues((v) => -v)).union(base.groupByKey().mapValues((v) => v.length));
  const result = new StagePlanner().resultStage(u);
  assert.is(result.parents.length, 2, 'one stage per distinct shuffle');
  assert.is(allStages(result).length, 3);
});

test('valueCounts on words is planned as WASM kernels', () => {
  const text = kiln.parallelize(['x'], 1);
  const plan = text.valueCounts().explain();
  assert.match(plan, /ShuffleMapStage/);
  assert.match(plan, /combiner/);
  assert.match(plan, /ResultStage/);
});

test('a later job reuses shuffle output (its map stage is skipped)', async () => {
  const counts = kiln.parallelize(['a', 'b', 'a', 'c'], 3).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);
  await counts.collect();
  const first = kiln.lastJobMetrics!;
  assert.equal(first.stages.map((s) => s.skipped), [false, false]);
  assert.equal(new Map(await counts.collect()), new Map([['a', 2], ['b', 1], ['c', 1]]));
  const second = kiln.lastJobMetrics!;
  assert.equal(second.stages.map((s) => s.skipped), [true, false]);
  assert.match(counts.explain(), /skipped: output reused/);
  assert.ok(first.stages[0]!.metrics.every((m) => m.shuffleWriteRecords >= 0));
});

test('job metrics count input, shuffle and result records', async () => {
  await kiln.parallelize(['a', 'b', 'a'], 2).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).collect();
  const m = kiln.lastJobMetrics!;
  const sum = (k: 'inputRecords' | 'shuffleWriteRecords' | 'shuffleReadRecords' | 'resultRecords', stage: number): number =>
    m.stages[stage]!.metrics.reduce((s, t) => s + t[k], 0);
  assert.is(sum('inputRecords', 0), 3);
  // Slices ['a'] and ['b', 'a']: one combined record per key per map task.
  assert.is(sum('shuffleWriteRecords', 0), 3);
  assert.is(sum('shuffleReadRecords', 1), sum('shuffleWriteRecords', 0));
  assert.is(sum('resultRecords', 1), 2);
});

test.after(async () => kiln.stop());
test.run();
