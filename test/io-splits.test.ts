// planSplits: Spark's FilePartition planning. Invariants on random file sets (every byte
// of every file in exactly one split, split and partition sizes within bounds, order),
// and the worked cases: small files packed, minPartitions honoured, empty files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KilnError } from '../engine/common/errors.js';
import type { InputFile } from '../engine/common/io/files.js';
import { DEFAULT_OPEN_COST_BYTES, maxSplitBytes, planSplits, type InputPartition } from '../engine/common/io/splits.js';
import { randInt, rng } from './support/random.js';

const MiB = 1024 * 1024;

/** Checks the invariants every plan must hold; returns the split size it implies. */
function checkPlan(files: readonly InputFile[], parts: InputPartition[], opts: { maxPartitionBytes?: number; minPartitions?: number; openCostInBytes?: number }): void {
  const max = maxSplitBytes(files, opts);
  const open = opts.openCostInBytes ?? DEFAULT_OPEN_COST_BYTES;
  parts.forEach((p, i) => {
    assert.is(p.index, i, 'partitions are numbered in order');
    assert.ok(p.splits.length > 0, 'no empty partition');
    // Within a partition, every split but the last must fit with the open costs before it.
    let charged = 0;
    for (const s of p.splits) {
      assert.ok(s.length > 0 && s.length <= max, `split size ${s.length} within (0, ${max}]`);
      if (charged > 0) assert.ok(charged + s.length <= max, `partition ${i} over budget`);
      charged += s.length + open;
    }
  });
  // Coverage: walking the plan in order visits each file's bytes once, in order.
  const flat = parts.flatMap((p) => p.splits);
  let k = 0;
  for (const f of files) {
    let at = 0;
    while (at < f.size) {
      const s = flat[k++]!;
      assert.is(s.path, f.path);
      assert.is(s.start, at, `${f.path} covered without gap or overlap`);
      assert.is(s.fileSize, f.size);
      at += s.length;
    }
    assert.is(at, f.size);
  }
  assert.is(k, flat.length, 'no split outside the files');
}

test('maxSplitBytes follows Spark: min(maxPartitionBytes, max(openCost, total / minPartitions))', () => {
  const big: InputFile[] = [{ path: 'a', size: 1000 * MiB }];
  assert.is(maxSplitBytes(big), 128 * MiB);
  assert.is(maxSplitBytes(big, { minPartitions: 100 }), Math.floor((1000 * MiB + DEFAULT_OPEN_COST_BYTES) / 100));
  assert.is(maxSplitBytes([{ path: 'a', size: 10 }], { minPartitions: 4 }), DEFAULT_OPEN_COST_BYTES, 'never below the open cost');
  assert.is(maxSplitBytes([{ path: 'a', size: 10 }], { minPartitions: 4, openCostInBytes: 4 * MiB }), 4 * MiB);
  assert.is(maxSplitBytes([{ path: 'a', size: 10 }], { minPartitions: 4, openCostInBytes: 0 }), 2);
});

test('a large file is cut into maxSplitBytes splits, one per partition', () => {
  const files: InputFile[] = [{ path: 'big', size: 300 * MiB + 5 }];
  const parts = planSplits(files);
  checkPlan(files, parts, {});
  assert.equal(parts.map((p) => p.splits.map((s) => [s.start, s.length])), [[[0, 128 * MiB]], [[128 * MiB, 128 * MiB]], [[256 * MiB, 44 * MiB + 5]]]);
});

test('many small files share partitions, each charged the open cost', () => {
  const files: InputFile[] = Array.from({ length: 100 }, (_, i) => ({ path: `f${String(i).padStart(3, '0')}`, size: 1000 }));
  // Spark's 4 MiB open cost: split size = max(4 MiB, 100 * (1000 + 4 MiB)) capped at
  // 128 MiB; each file costs ~4 MiB, so ~32 per partition.
  const spark = { openCostInBytes: 4 * MiB };
  const parts = planSplits(files, spark);
  checkPlan(files, parts, spark);
  assert.is(parts.length, 4);
  assert.is(parts[0]!.splits.length, 32);
  // kiln's default (128 KiB, an open measured against reading on a local disk): 100
  // files of 1000 bytes cost ~12.6 MiB, under one split, so one partition.
  const local = planSplits(files);
  checkPlan(files, local, {});
  assert.is(local.length, 1);
  const many: InputFile[] = Array.from({ length: 20_000 }, (_, i) => ({ path: `g${String(i).padStart(5, '0')}`, size: 40 }));
  const packed = planSplits(many);
  checkPlan(many, packed, {});
  assert.is(packed.length, Math.ceil(20_000 / Math.floor((128 * MiB) / (40 + DEFAULT_OPEN_COST_BYTES))));
});

test('minPartitions is honoured when the open cost is small against the input', () => {
  for (const min of [1, 2, 3, 7, 16, 64]) {
    const files: InputFile[] = [{ path: 'a', size: 10_000_000 }, { path: 'b', size: 3_333_333 }];
    const opts = { minPartitions: min, openCostInBytes: 0 };
    const parts = planSplits(files, opts);
    checkPlan(files, parts, opts);
    assert.ok(parts.length >= min, `${parts.length} partitions for minPartitions ${min}`);
  }
  const one: InputFile[] = [{ path: 'x', size: 1000 * MiB }];
  assert.ok(planSplits(one, { minPartitions: 20 }).length >= 20);
});

test('empty files produce no split; no input gives no partitions', () => {
  assert.equal(planSplits([]), []);
  assert.equal(planSplits([{ path: 'e', size: 0 }]), []);
  const parts = planSplits([{ path: 'a', size: 0 }, { path: 'b', size: 5 }, { path: 'c', size: 0 }]);
  assert.equal(parts, [{ index: 0, splits: [{ path: 'b', start: 0, length: 5, fileSize: 5 }] }]);
});

test('splits keep path order across partitions', () => {
  const files: InputFile[] = [
    { path: 'a', size: 10 },
    { path: 'b', size: 300 },
    { path: 'c', size: 7 },
  ];
  const parts = planSplits(files, { maxPartitionBytes: 100, openCostInBytes: 10 });
  checkPlan(files, parts, { maxPartitionBytes: 100, openCostInBytes: 10 });
  assert.equal(parts.flatMap((p) => p.splits.map((s) => `${s.path}@${s.start}`)), ['a@0', 'b@0', 'b@100', 'b@200', 'c@0']);
});

test('random file sets and options keep every invariant', () => {
  const r = rng(11);
  for (let round = 0; round < 400; round++) {
    const n = 1 + randInt(r, 30);
    const files: InputFile[] = Array.from({ length: n }, (_, i) => ({ path: `p${i}`, size: randInt(r, 4) === 0 ? 0 : randInt(r, 1 + randInt(r, 5000)) }));
    const opts = { maxPartitionBytes: 1 + randInt(r, 3000), minPartitions: 1 + randInt(r, 20), openCostInBytes: randInt(r, 200) };
    checkPlan(files, planSplits(files, opts), opts);
  }
});

test('invalid options are usage errors', () => {
  for (const opts of [{ maxPartitionBytes: 0 }, { minPartitions: 0 }, { openCostInBytes: -1 }, { maxPartitionBytes: 1.5 }]) {
    try {
      planSplits([{ path: 'a', size: 1 }], opts);
      assert.unreachable('expected a usage error');
    } catch (error) {
      assert.instance(error, KilnError);
      assert.is((error as KilnError).kind, 'usage');
    }
  }
});

test.run();
