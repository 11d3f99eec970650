// JS combiners out of core (engine/shuffle/external-map.ts, map-combine.ts,
// spill-runs.ts): reduceByKey(fn), aggregateByKey, combineByKey, foldByKey, groupByKey
// and distinct under a memory budget far too small for their maps, against plain-JS
// references, with workers 0, 1 and 2 and 1, 3 and 17 partitions, keys of mixed types
// (strings, numbers, arrays). Each case asserts that the reduce side really spilled
// runs (aggregationSpills in the task metrics) and that no run file is left in the
// spill directory after the job.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';

const spillRoot = mkdtempSync(join(tmpdir(), 'kiln-extcomb-'));

// 40 000 records over ~25 000 distinct keys of three types.
type Key = string | number | (string | number)[];
const pairs: [Key, number][] = [];
for (let i = 0; i < 40_000; i++) {
  const j = (i * 2654435761) % 25_013;
  const key: Key = j % 3 === 0 ? `s${j}` : j % 3 === 1 ? j * 1.5 : [j % 7, `a${j}`];
  pairs.push([key, i % 11]);
}
const id = (k: unknown): string => JSON.stringify(k);

function reference<C>(create: (v: number) => C, merge: (c: C, v: number) => C): Map<string, C> {
  const m = new Map<string, C>();
  for (const [k, v] of pairs) {
    const kk = id(k);
    m.set(kk, m.has(kk) ? merge(m.get(kk)!, v) : create(v));
  }
  return m;
}
const sums = reference((v) => v, (c, v) => c + v);
const groups = reference((v) => [v], (c, v) => (c.push(v), c));
for (const g of groups.values()) g.sort((a, b) => a - b);

function metric(kiln: Kiln, name: 'aggregationSpills' | 'combineBypasses'): number {
  return (kiln.lastJobMetrics?.stages ?? []).reduce((s, st) => s + st.metrics.reduce((t, m) => t + (m[name] ?? 0), 0), 0);
}

function runFilesLeft(): string[] {
  const out: string[] = [];
  for (const d of readdirSync(spillRoot)) for (const f of readdirSync(join(spillRoot, d))) if (f.includes('-run_')) out.push(f);
  return out;
}

function assertSame<C>(got: [unknown, C][], want: Map<string, C>, what: string, norm: (c: C) => unknown = (c) => c): void {
  assert.is(got.length, want.size, `${what}: every key once`);
  const seen = new Set<string>();
  for (const [k, c] of got) {
    const kk = id(k);
    if (seen.has(kk)) assert.unreachable(`${what}: key ${kk} twice`);
    seen.add(kk);
    if (!want.has(kk)) assert.unreachable(`${what}: unexpected key ${kk}`);
    assert.equal(norm(c), want.get(kk), `${what}: key ${kk}`);
  }
}

// Each operator runs once per worker count, its partition count rotated so that over
// workers 0, 1 and 2 every operator sees 1, 3 and 17 partitions (a file under 20 s).
const PARTITIONS = [1, 3, 17];
for (const [w, workers] of [0, 1, 2].entries()) {
  test(`JS combiners spill and merge under memory 256k (workers ${workers}, partitions 1, 3, 17 rotated)`, async () => {
    const kiln = await Kiln.start({ workers, memory: '256k', spillDir: spillRoot });
    try {
      const data = kiln.parallelize(pairs, 4);
      let op = 0;
      const parts = (): number => PARTITIONS[(w + op++) % PARTITIONS.length]!;
      {
        let partitions = parts();
        const check = (what: string): void => {
          assert.ok(metric(kiln, 'aggregationSpills') > 0, `${what} (${partitions} partitions) spilled runs`);
          assert.equal(runFilesLeft(), [], `${what}: no run file left`);
        };
        assertSame(await data.reduceByKey((a, b) => a + b, partitions).collect(), sums, 'reduceByKey');
        check('reduceByKey');
        partitions = parts();
        assertSame(await data.foldByKey(0, (a, b) => a + b, partitions).collect(), sums, 'foldByKey');
        check('foldByKey');
        partitions = parts();
        const avg = await data.aggregateByKey([0, 0] as [number, number], (acc, v): [number, number] => [acc[0] + v, acc[1] + 1], (a, b): [number, number] => [a[0] + b[0], a[1] + b[1]], partitions).collect();
        assertSame(avg as [unknown, unknown][], sums as Map<string, unknown>, 'aggregateByKey', (c) => (c as [number, number])[0]);
        check('aggregateByKey');
        partitions = parts();
        const lists = await data.combineByKey((v) => [v], (c: number[], v) => (c.push(v), c), (a, b) => a.concat(b), partitions).collect();
        assertSame(lists, groups, 'combineByKey', (c) => [...c].sort((a, b) => a - b));
        check('combineByKey');
        partitions = parts();
        assertSame(await data.groupByKey(partitions).collect(), groups, 'groupByKey', (c) => [...c].sort((a, b) => a - b));
        check('groupByKey');
        partitions = parts();
        const keys = await data.keys().distinct(partitions).collect();
        assert.is(new Set(keys.map(id)).size, sums.size, 'distinct: every key');
        assert.is(keys.length, sums.size, 'distinct: once');
        check('distinct');
      }
    } finally {
      await kiln.stop();
    }
  });
}

test('map-side combine over mostly-distinct keys stops combining and passes records through (workers 1)', async () => {
  const kiln = await Kiln.start({ workers: 1, memory: '4m', spillDir: spillRoot });
  try {
    const distinct = Array.from({ length: 150_000 }, (_, i) => [`u${i}`, 1] as [string, number]);
    const got = await kiln.parallelize(distinct, 1).reduceByKey((a, b) => a + b, 3).collect();
    assert.is(got.length, distinct.length);
    assert.ok(got.every(([, n]) => n === 1));
    assert.ok(metric(kiln, 'combineBypasses') > 0, 'the map side passed records through');
    // Repeated keys: combining pays, no bypass.
    const repeated = Array.from({ length: 150_000 }, (_, i) => [`r${i % 100}`, 1] as [string, number]);
    const counts = await kiln.parallelize(repeated, 1).reduceByKey((a, b) => a + b, 3).collect();
    assert.is(counts.length, 100);
    assert.ok(counts.every(([, n]) => n === 1500));
    assert.is(metric(kiln, 'combineBypasses'), 0, 'no bypass when keys repeat');
  } finally {
    await kiln.stop();
  }
});

test('a key the codec cannot encode fails clearly while spilling (workers 0)', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '256k', spillDir: spillRoot });
  try {
    const bad = pairs.map(([k, v], i) => (i === 30_000 ? [{ a: 1 }, v] : [k, v]) as [unknown, number]);
    await kiln
      .parallelize(bad, 2)
      .reduceByKey((a, b) => a + b, 2)
      .collect()
      .then(
        () => assert.unreachable('should fail'),
        (e: Error) => assert.match(e.message, /key/i),
      );
    assert.equal(runFilesLeft(), [], 'no run file left after the failure');
  } finally {
    await kiln.stop();
  }
});

test.after(() => rmSync(spillRoot, { recursive: true, force: true }));
test.run();
