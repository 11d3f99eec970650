// Out-of-core reduce-side aggregation of table shuffles (engine/executor/shuffle/table-merge.ts):
// valueCounts and the built-in aggregators over mostly-distinct keys, under worker
// memories too small for one partition's table, against plain-JS references, with
// workers 0, 1 and 2 and several partition counts — DuckDB's sweep shape: one expected
// answer, many limits. Each case asserts that the aggregation really took passes
// (aggregationPasses in the task metrics), and, with a tiny shuffle memory, that the
// map outputs spilled, so passes read spilled blocks in pieces.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-passes-'));
const file = join(dir, 'words.txt');
// 400 000 words, ~300 000 distinct (a few repeat, so combining matters), 8 per line.
const words: string[] = [];
for (let i = 0; i < 400_000; i++) words.push(`k${(i * 2654435761) % 300_007}x`);
const lines: string[] = [];
for (let i = 0; i < words.length; i += 8) lines.push(words.slice(i, i + 8).join(' '));
writeFileSync(file, lines.join('\n') + '\n');

const expected = new Map<string, number>();
for (const w of words) expected.set(w, (expected.get(w) ?? 0) + 1);

function passesOf(kiln: Kiln): number {
  const stages = kiln.lastJobMetrics?.stages ?? [];
  return Math.max(1, ...stages.flatMap((s) => s.metrics.map((m) => m.aggregationPasses ?? 1)));
}

function spilledOf(kiln: Kiln): number {
  return (kiln.lastJobMetrics?.stages ?? []).reduce((s, st) => s + st.metrics.reduce((t, m) => t + m.spillBytes, 0), 0);
}

const SWEEP: readonly { workers: number; memory: string; partitions: number }[] = [
  { workers: 0, memory: '64m', partitions: 1 },
  { workers: 1, memory: '64m', partitions: 1 },
  { workers: 1, memory: '4m', partitions: 3 },
  { workers: 2, memory: '64m', partitions: 2 },
  { workers: 2, memory: '4m', partitions: 1 },
];

for (const { workers, memory, partitions } of SWEEP) {
  test(`valueCounts of ~300k distinct words in 32 MiB worker spans: passes, same answer (workers ${workers}, memory ${memory}, ${partitions} partitions)`, async () => {
    const kiln = await Kiln.start({ workers, memory, workerMemory: '32m', maxPartitionBytes: '512k' });
    try {
      const counts = (await kiln.textFile(file).words().valueCounts(partitions).collect()) as [string, number][];
      assert.is(counts.length, expected.size, 'every distinct word once');
      const got = new Map(counts);
      assert.is(got.size, expected.size, 'no word twice');
      for (const [w, n] of expected) if (got.get(w) !== n) assert.unreachable(`${w}: ${got.get(w)} != ${n}`);
      assert.ok(passesOf(kiln) > 1, `the reduce side took passes (${passesOf(kiln)})`);
      if (memory === '4m') assert.ok(spilledOf(kiln) > 0, 'map outputs spilled');
      // The emitting path (no collect fast path): top words by a shipped comparator.
      const top = await kiln.textFile(file).words().valueCounts(partitions).takeOrdered(3, { compare: (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) });
      const ref = [...expected].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, 3);
      assert.equal(top, ref);
      assert.ok(passesOf(kiln) > 1, 'takeOrdered took passes too');
    } finally {
      await kiln.stop();
    }
  });
}

test('sum by key over mostly-distinct keys in passes equals plain JS (workers 2)', async () => {
  const kiln = await Kiln.start({ workers: 2, memory: '64m', workerMemory: '32m' });
  try {
    const pairs = words.map((w, i) => [w, i % 7] as [string, number]);
    const want = new Map<string, number>();
    for (const [k, v] of pairs) want.set(k, (want.get(k) ?? 0) + v);
    const got = new Map((await kiln.parallelize(pairs, 4).aggregateByKey('sum', undefined, undefined, 2).collect()) as unknown as [string, number][]);
    assert.is(got.size, want.size);
    for (const [k, v] of want) if (got.get(k) !== v) assert.unreachable(`${k}: ${got.get(k)} != ${v}`);
    assert.ok(passesOf(kiln) > 1, `passes: ${passesOf(kiln)}`);
  } finally {
    await kiln.stop();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
