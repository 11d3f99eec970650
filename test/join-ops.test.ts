// Every join type x every forced strategy (and auto) x workers 0, 1, 2 x partitions
// 1, 3, 17 against the plain-JS nested-loop reference, on random data with duplicate
// keys on both sides, keys on one side only, empty sides and mixed key types; then
// cogroup, subtract, intersection, cartesian and joinWhere, and bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, type JoinStrategy, type JoinType } from '../engine/index.js';
import { canonical, referenceCogroup, referenceJoin, referenceWhere } from './reference/join.js';
import { seededRandom } from '../engine/common/seeded-random.js';

type Pair = [unknown, unknown];

const KEYS: unknown[] = [0, 1, 2, 3, 4, 5, 'k0', 'k1', 'k2', 'é', [1, 'a'], [1, 'b'], null, true, 2.5, -1];

function randomPairs(n: number, seed: number, keys: readonly unknown[] = KEYS): Pair[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => [keys[Math.floor(rand() * keys.length)], `v${seed}-${i}`] as Pair);
}

const DATA: { name: string; left: Pair[]; right: Pair[] }[] = [
  { name: 'random, duplicates on both sides', left: randomPairs(70, 1), right: randomPairs(45, 2) },
  { name: 'empty left', left: [], right: randomPairs(20, 3) },
  { name: 'empty right', left: randomPairs(20, 4), right: [] },
  { name: 'disjoint keys', left: randomPairs(30, 5, [0, 1, 'a']), right: randomPairs(30, 6, [2, 'b', [0]]) },
];

const TYPES: [JoinType, 'join' | 'leftOuterJoin' | 'rightOuterJoin' | 'fullOuterJoin' | 'semiJoin' | 'antiJoin'][] = [
  ['inner', 'join'],
  ['left', 'leftOuterJoin'],
  ['right', 'rightOuterJoin'],
  ['full', 'fullOuterJoin'],
  ['semi', 'semiJoin'],
  ['anti', 'antiJoin'],
];
const STRATEGIES: JoinStrategy[] = ['auto', 'broadcast', 'shuffleHash', 'sortMerge'];

for (const workers of [0, 1, 2]) {
  test(`every join type x strategy x partitions 1, 3, 17 with ${workers} workers matches the nested-loop reference`, async () => {
    const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
    try {
      for (const data of DATA) {
        const left = kiln.parallelize(data.left, 3);
        const right = kiln.parallelize(data.right, 2);
        for (const partitions of data === DATA[0] ? [1, 3, 17] : [3]) {
          for (const [type, method] of TYPES) {
            const expected = canonical(referenceJoin(type, data.left, data.right));
            for (const strategy of STRATEGIES) {
              if (type === 'full' && strategy === 'broadcast') {
                assert.throws(() => left.fullOuterJoin(right, { strategy }), /cannot run a full join; it allows 'shuffleHash', 'sortMerge'/);
                continue;
              }
              const ds = (left as unknown as Record<string, (o: unknown, opts: unknown) => { collect(): Promise<unknown[]> }>)[method]!.call(left, right, { partitions, strategy });
              const got = canonical(await ds.collect());
              assert.equal(got, expected, `${data.name}: ${method} ${strategy} partitions ${partitions}`);
              const decided = kiln.lastJobMetrics!.joins[0]!.decision.strategy;
              if (strategy !== 'auto') assert.is(decided, strategy, `${method}: the forced strategy ran`);
            }
          }
        }
      }
    } finally {
      await kiln.stop();
    }
  });
}

test('sort-merge with the default memory layout (kernel memory above 2 GiB) matches the reference', async () => {
  // Keys are written into kernel memory for the sort; a Buffer over the whole memory
  // once wrote nothing there when it was larger than 2 GiB.
  const big = await Kiln.start({ workers: 1 });
  try {
    const { left, right } = DATA[0]!;
    const got = await big.parallelize(left, 3).fullOuterJoin(big.parallelize(right, 2), { strategy: 'sortMerge', partitions: 3 }).collect();
    assert.equal(canonical(got), canonical(referenceJoin('full', left, right)));
  } finally {
    await big.stop();
  }
});

const kiln = await Kiln.start({ workers: 2, memory: '64m', workerMemory: '64m' });
const L = DATA[0]!.left;
const R = DATA[0]!.right;

test('cogroup and groupWith match the reference (values of a key in any order)', async () => {
  const sortGroups = (rs: unknown[]): string[] => canonical((rs as [unknown, unknown[][]][]).map(([k, gs]) => [k, gs.map((g) => canonical(g))]));
  const expected = sortGroups(referenceCogroup(L, R));
  for (const partitions of [1, 3, 17]) {
    assert.equal(sortGroups(await kiln.parallelize(L, 3).cogroup(kiln.parallelize(R, 2), { partitions }).collect()), expected);
    assert.equal(sortGroups(await kiln.parallelize(L, 2).groupWith(kiln.parallelize(R, 3), { partitions }).collect()), expected);
  }
  const three = await kiln.parallelize([[1, 'a']] as Pair[]).cogroup(kiln.parallelize([[1, 'b'], [2, 'c']] as Pair[]), kiln.parallelize([] as Pair[])).collect();
  assert.equal(canonical(three), canonical([[1, [['a'], ['b'], []]], [2, [[], ['c'], []]]]));
});

test('subtractByKey, subtract and intersection as Spark', async () => {
  assert.equal(canonical(await kiln.parallelize(L, 3).subtractByKey(kiln.parallelize(R, 2)).collect()), canonical(referenceJoin('anti', L, R)));
  const a = [1, 2, 2, 3, 'x', [1, 2], null, 3];
  const b = [2, 3, 3, 5, [1, 2], 'y'];
  const inB = (x: unknown): boolean => b.some((y) => JSON.stringify(y) === JSON.stringify(x));
  assert.equal(canonical(await kiln.parallelize(a, 3).subtract(kiln.parallelize(b, 2)).collect()), canonical(a.filter((x) => !inB(x))));
  const both = [...new Set(a.filter(inB).map((x) => JSON.stringify(x)))].sort();
  assert.equal(canonical(await kiln.parallelize(a, 3).intersection(kiln.parallelize(b, 2), { partitions: 4 }).collect()), both);
});

test('cartesian: every pair, m x n partitions', async () => {
  const a = [1, 2, 3];
  const b = ['x', 'y'];
  const ds = kiln.parallelize(a, 2).cartesian(kiln.parallelize(b, 3));
  assert.is(ds.numPartitions, 6);
  assert.equal(canonical(await ds.collect()), canonical(a.flatMap((x) => b.map((y) => [x, y]))));
  assert.is(await kiln.parallelize(a, 2).cartesian(kiln.parallelize([] as string[], 2)).count(), 0);
});

test('joinWhere: every type x strategy against the reference', async () => {
  const a = Array.from({ length: 25 }, (_, i) => ({ id: i, t: (i * 7) % 11 }));
  const b = Array.from({ length: 18 }, (_, i) => ({ lo: i % 9, hi: (i % 9) + 2 }));
  const pred = (x: { t: number }, y: { lo: number; hi: number }): boolean => x.t >= y.lo && x.t < y.hi;
  for (const type of ['inner', 'left', 'right', 'full'] as const) {
    const expected = canonical(referenceWhere(type, a, b, pred));
    for (const strategy of ['auto', 'broadcast', 'cartesian'] as const) {
      if (strategy === 'cartesian' && type !== 'inner') {
        assert.throws(() => kiln.parallelize(a, 3).joinWhere(kiln.parallelize(b, 2), pred, { type, strategy }), /'cartesian' runs only inner joins/);
        continue;
      }
      const got = await kiln.parallelize(a, 3).joinWhere(kiln.parallelize(b, 2), pred, { type, strategy }).collect();
      assert.equal(canonical(got), expected, `${type} ${strategy}`);
    }
  }
});

test('ordered: with a range partitioner, partitions in order give the output ordered by key bytes, equal keys left-major in input order', async () => {
  const left = randomPairs(120, 7, ['a', 'b', 'B', 'é', 'zz', '10', '9']).map(([k], i) => [k, i] as Pair);
  const right = randomPairs(60, 8, ['a', 'B', 'é', 'zz', 'q', '9']).map(([k], i) => [k, 1000 + i] as Pair);
  const l = kiln.parallelize(left, 3);
  const r = kiln.parallelize(right, 2);
  const partitioner = await kiln.rangePartitioner(l as never, 4, true);
  const order = (a: unknown, b: unknown): number => Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
  for (const strategy of STRATEGIES) {
    for (const [type, method] of TYPES) {
      if (type === 'full' && strategy === 'broadcast') continue;
      const ds = (l as unknown as Record<string, (o: unknown, opts: unknown) => { collect(): Promise<unknown[]> }>)[method]!.call(l, r, { strategy, partitioner, ordered: true });
      const got = (await ds.collect()) as [string, unknown][];
      // Expected: the reference's rows sorted stably by key bytes, then left index, then right index.
      const pos = (x: unknown): number => (x === null ? -1 : (x as number));
      const expected = (referenceJoin(type, left, right) as [string, unknown][]).sort((a, b) => {
        const c = order(a[0], b[0]);
        if (c !== 0) return c;
        const [av, aw] = Array.isArray(a[1]) ? (a[1] as unknown[]) : [a[1], null];
        const [bv, bw] = Array.isArray(b[1]) ? (b[1] as unknown[]) : [b[1], null];
        return pos(av) - pos(bv) || pos(aw) - pos(bw);
      });
      assert.equal(got, expected, `${method} ${strategy}`);
    }
  }
});

test('co-partitioned sides run no shuffle of their own when the join runs', async () => {
  const a = kiln.parallelize(L, 3).partitionBy(4);
  const b = kiln.parallelize(R, 2).partitionBy(4);
  const got = await a.join(b, { strategy: 'shuffleHash' }).collect();
  assert.equal(canonical(got), canonical(referenceJoin('inner', L, R)));
  const m = kiln.lastJobMetrics!;
  assert.is(m.stages.length, 3, "partitionBy's two map stages and the join's result stage");
  assert.equal(m.stages.map((s) => s.kind), ['shuffleMap', 'shuffleMap', 'result']);
});

test('a key the codec cannot encode fails the job with an error naming the join', async () => {
  const bad = kiln.parallelize([[{ x: 1 }, 1]] as Pair[], 1);
  for (const strategy of ['shuffleHash', 'broadcast'] as const) {
    try {
      await bad.join(kiln.parallelize([[1, 2]] as Pair[], 1), { strategy }).collect();
      assert.unreachable('an object key must fail');
    } catch (e) {
      assert.match((e as Error).message, /join: an object \(Object\) cannot be a key/);
    }
  }
  try {
    await (kiln.parallelize([1, 2], 1) as unknown as ReturnType<typeof kiln.parallelize<Pair>>).join(kiln.parallelize([[1, 2]] as Pair[], 1)).collect();
    assert.unreachable('records that are not pairs must fail');
  } catch (e) {
    assert.match((e as Error).message, /join needs \[key, value\] pairs/);
  }
  assert.throws(() => kiln.parallelize(L).join(kiln.parallelize(R), { strategy: 'nested' as JoinStrategy }), /unknown strategy 'nested'/);
});

test.after(async () => kiln.stop());
test.run();
