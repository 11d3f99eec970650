// The diagnosis box's rules, on made-up stage facts (thresholds on both sides), and
// the kernel-path hints on real lineage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { diagnoseStage, type StageFacts } from '../engine/driver/monitor/index.js';
import { builtinFor, kernelHints } from '../engine/driver/monitor/kernel-hints.js';
import { LARGE_BROADCAST_BYTES, SKEW_MIN_MS, SKEW_RATIO } from '../engine/driver/monitor/diagnosis.js';
import { shipFunction } from '../engine/common/functions/shipped.js';
import type { LineageNode } from '../engine/driver/plan/lineage.js';
import { StagePlanner } from '../engine/driver/plan/stage.js';

const task = (partition: number, runMs: number, readBytes = 50 << 20, spillBytes = 0) => ({ partition, runMs, readBytes, spillBytes });
const facts = (tasks: StageFacts['tasks'], more: Partial<StageFacts> = {}): StageFacts => ({ stageId: 3, tasks, kernelHints: [], broadcasts: [], workers: 2, memoryBytes: 1 << 30, ...more });
const kinds = (f: StageFacts) => diagnoseStage(f).map((x) => x.kind);

test('skew: the slowest task over 3x the median and at least SKEW_MIN_MS', () => {
  const median = 200;
  const skewed = facts([task(0, median), task(1, median), task(2, median * SKEW_RATIO + 50, 400 << 20)]);
  const found = diagnoseStage(skewed).find((f) => f.kind === 'skew');
  assert.ok(found);
  assert.match(found!.problem, /partition 2 ran 650 ms, 3\.3x the median task \(200 ms\) of 3/);
  assert.match(found!.problem, /400 MiB against a median of 50 MiB/);
  assert.match(found!.advice, /more shuffle partitions/);
  // Exactly 3x is not over 3x; a fast stage is noise, not skew.
  assert.not.ok(kinds(facts([task(0, median), task(1, median), task(2, median * SKEW_RATIO)])).includes('skew'));
  assert.not.ok(kinds(facts([task(0, 1), task(1, 1), task(2, SKEW_MIN_MS - 1)])).includes('skew'));
  assert.not.ok(kinds(facts([task(0, 5000)])).includes('skew'), 'one task cannot be skewed');
});

test('spill names the bytes and the memory setting to raise', () => {
  const f = diagnoseStage(facts([task(0, 10, 1, 300 << 20), task(1, 10)], { memoryBytes: 256 << 20 })).find((x) => x.kind === 'spill');
  assert.ok(f);
  assert.match(f!.problem, /1 of 2 tasks spilled 300 MiB/);
  assert.match(f!.advice, /now 256 MiB.*memory: '1g'.*--memory 1g/);
  assert.not.ok(kinds(facts([task(0, 10), task(1, 10)])).includes('spill'));
});

test('many tiny partitions: many tasks that each read little, quickly', () => {
  const tiny = Array.from({ length: 40 }, (_, i) => task(i, 2, 10_000));
  const f = diagnoseStage(facts(tiny)).find((x) => x.kind === 'tiny-partitions');
  assert.ok(f);
  assert.match(f!.problem, /40 tasks on 2 workers/);
  assert.match(f!.advice, /coalesce\(4\)/);
  assert.not.ok(kinds(facts(tiny.slice(0, 7))).includes('tiny-partitions'), 'few tasks are fine');
  assert.not.ok(kinds(facts(tiny.map((t) => ({ ...t, readBytes: 8 << 20 })))).includes('tiny-partitions'), 'tasks that read megabytes are not tiny');
});

test('a broadcast over the limit is named with its size per worker', () => {
  const f = diagnoseStage(facts([task(0, 10)], { broadcasts: [{ id: 7, bytes: LARGE_BROADCAST_BYTES + 1 }, { id: 8, bytes: 1000 }] })).filter((x) => x.kind === 'large-broadcast');
  assert.is(f.length, 1);
  assert.match(f[0]!.problem, /broadcast 7 is 64 MiB.*each of 2 worker threads/);
});

test('kernel hints: a JS sum/min/max reduce and a JS word split are named, other functions are not', async () => {
  assert.is(builtinFor(shipFunction((a: number, b: number) => a + b, 'reduceByKey')), 'sum');
  assert.is(builtinFor(shipFunction((x: number, y: number) => y + x, 'reduceByKey')), 'sum');
  assert.is(builtinFor(shipFunction((a: number, b: number) => Math.max(a, b), 'reduceByKey')), 'max');
  assert.is(builtinFor(shipFunction(function (a: number, b: number) { return Math.min(a, b); }, 'reduceByKey')), 'min');
  assert.is(builtinFor(shipFunction((a: number, b: number) => a * b, 'reduceByKey')), undefined);
  assert.is(builtinFor(shipFunction((a: number, b: number) => a + b + 1, 'reduceByKey')), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-hints-'));
  const kiln = await Kiln.start({ workers: 0 });
  try {
    const file = join(dir, 'words.txt');
    writeFileSync(file, 'a b c\nb c\n');
    const planner = new StagePlanner();
    const slow = kiln.textFile(file).flatMap((l) => l.split(' ')).map((w): [string, number] => [w, 1]).reduceByKey((a, b) => a + b);
    const stage = planner.resultStage(slow as unknown as LineageNode).parents[0]!;
    const hints = kernelHints(stage);
    assert.is(hints.length, 2);
    assert.match(hints[0]!.Advice, /words\(\)/);
    assert.match(hints[1]!.Advice, /reduceByKey\('sum'\)/);
    const fast = kiln.textFile(file).words().valueCounts();
    assert.equal(kernelHints(planner.resultStage(fast as unknown as LineageNode).parents[0]!), []);
    const other = kiln.parallelize(['a b'], 1).flatMap((l) => l.split(' ')).map((w): [string, number] => [w, 2]).reduceByKey((a, b) => a * b);
    assert.equal(kernelHints(planner.resultStage(other as unknown as LineageNode).parents[0]!), [], 'no text source, no builtin: no hint');
  } finally {
    await kiln.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
