// Approximate actions (issue 12): the HyperLogLog kernels against the plain-TS
// reference (registers equal, both kernel entry points), the estimate within the
// requested error on 1M distinct values over several seeds, countApproxDistinct with
// workers 0, 1 and 2 and 1, 3 and 17 partitions (JS records and the words() kernel
// path), and countApprox / sumApprox / meanApprox with a timeout long enough to finish
// (exact, confidence 1) and of zero (bounds that contain the truth).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, type Dataset } from '../engine/index.js';
import { countBound } from '../engine/driver/api/approx.js';
import { KernelRuntime } from '../engine/executor/kernels/runtime.js';
import { HLL_STRING_SEED, hllAddBatch, hllAddPairs, hllEstimate, hllPrecision, mergeRegisters } from '../engine/executor/kernels/hll.js';
import { hllAddReference } from './reference/hll.js';
import { rng, randInt } from './support/random.js';
import { rejects } from './support/rejects.js';

const rt = KernelRuntime.create({ initialBytes: 32 << 20 });
const dir = mkdtempSync(join(tmpdir(), 'kiln-api-approx-'));

/** Lays keys out as xxh64Batch wants them in kernel memory; returns [dataPtr, offsetsPtr]. */
function layout(keys: Uint8Array[]): [number, number] {
  const total = keys.reduce((a, k) => a + k.length, 0);
  const offs = rt.allocator.alloc(4 * (keys.length + 1));
  const data = rt.allocator.alloc(Math.max(1, total));
  const o = rt.u32(offs.ptr, keys.length + 1);
  let at = 0;
  keys.forEach((k, i) => {
    o[i] = at;
    rt.u8.set(k, data.ptr + at);
    at += k.length;
  });
  o[keys.length] = at;
  return [data.ptr, offs.ptr];
}

test('hllAddBatch and hllAddPairs agree with the plain-TS reference, registers equal', () => {
  const r = rng(9);
  const keys = Array.from({ length: 3000 }, () => Uint8Array.from({ length: randInt(r, 70) }, () => randInt(r, 256)));
  for (const p of [4, 9, 14, 18]) {
    const want = new Uint8Array(1 << p);
    hllAddReference(want, keys, p, HLL_STRING_SEED);
    const regs = rt.allocator.alloc(1 << p);
    rt.u8.fill(0, regs.ptr, regs.ptr + (1 << p));
    const [data, offs] = layout(keys);
    hllAddBatch(rt, regs.ptr, data, offs, keys.length, p, HLL_STRING_SEED);
    assert.equal(rt.u8.slice(regs.ptr, regs.ptr + (1 << p)), want, `batch p=${p}`);
    // The same keys as (start, end) pairs: registers must come out the same.
    rt.u8.fill(0, regs.ptr, regs.ptr + (1 << p));
    const pairs = rt.allocator.alloc(8 * keys.length);
    const o = rt.u32(offs, keys.length + 1);
    const pv = rt.u32(pairs.ptr, 2 * keys.length);
    for (let i = 0; i < keys.length; i++) {
      pv[2 * i] = o[i]!;
      pv[2 * i + 1] = o[i + 1]!;
    }
    hllAddPairs(rt, regs.ptr, data, pairs.ptr, keys.length, p, HLL_STRING_SEED);
    assert.equal(rt.u8.slice(regs.ptr, regs.ptr + (1 << p)), want, `pairs p=${p}`);
  }
  assert.throws(() => hllAddBatch(rt, 0, 0, 0, 0, 3, 0), /rejected its arguments/);
});

test('estimate within 3 standard errors on 1M distinct values, over several seeds and precisions', () => {
  const n = 1_000_000;
  for (const relativeSD of [0.05, 0.01]) {
    const p = hllPrecision(relativeSD)!;
    for (const seed of [1, 2, 3]) {
      const regs = rt.allocator.alloc(1 << p);
      rt.u8.fill(0, regs.ptr, regs.ptr + (1 << p));
      // Distinct 8-byte keys (seed in the high word), hashed in batches of 10 000.
      const batch = 10_000;
      const data = rt.allocator.alloc(8 * batch);
      const offs = rt.allocator.alloc(4 * (batch + 1));
      const o = rt.u32(offs.ptr, batch + 1);
      for (let i = 0; i <= batch; i++) o[i] = 8 * i;
      for (let start = 0; start < n; start += batch) {
        const v = rt.u32(data.ptr, 2 * batch);
        for (let i = 0; i < batch; i++) {
          v[2 * i] = start + i;
          v[2 * i + 1] = seed;
        }
        hllAddBatch(rt, regs.ptr, data.ptr, offs.ptr, batch, p, seed);
      }
      const est = hllEstimate(rt.u8.slice(regs.ptr, regs.ptr + (1 << p)), p);
      const err = Math.abs(est - n) / n;
      // The standard error is 1.04 / sqrt(m) <= relativeSD; 3 of them bound a seed's error.
      assert.ok(err < 3 * relativeSD, `relativeSD ${relativeSD}, seed ${seed}: estimate ${est.toFixed(0)}, error ${(100 * err).toFixed(2)}%`);
      rt.allocator.release(regs);
      rt.allocator.release(data);
      rt.allocator.release(offs);
    }
  }
});

test('estimate is near exact for small counts; merging is the register-wise max', () => {
  const p = 14;
  for (const n of [0, 1, 10, 1000, 20_000]) {
    const regs = new Uint8Array(1 << p);
    hllAddReference(regs, Array.from({ length: n }, (_, i) => new TextEncoder().encode(`k${i}`)), p, 7);
    const est = hllEstimate(regs, p);
    assert.ok(Math.abs(est - n) <= Math.max(1, 0.03 * n), `n=${n}: ${est}`);
  }
  assert.equal(mergeRegisters(Uint8Array.of(1, 5, 0, 2), Uint8Array.of(3, 1, 0, 2)), Uint8Array.of(3, 5, 0, 2));
  assert.is(hllPrecision(0.05), 9);
  assert.is(hllPrecision(0.01), 14);
  assert.is(hllPrecision(0.0001), null);
});

test("countBound: Spark's interval contains the seen count and grows as less is seen", () => {
  for (const [sum, p] of [[50, 0.5], [20_000, 0.25]] as const) {
    const b = countBound(0.95, sum, p);
    assert.ok(b.low >= sum && b.low <= b.mean && b.mean <= b.high, JSON.stringify(b));
    assert.ok(Math.abs(b.mean - sum / p) < 1e-6 * (sum / p) + 1, `mean ${b.mean} vs ${sum / p}`);
  }
});

const r = rng(31);
const values = Array.from({ length: 20_000 }, () => randInt(r, 5000));
const distinct = new Set(values).size;
const numbers = Array.from({ length: 3000 }, () => r() * 100);
const numSum = numbers.reduce((a, b) => a + b, 0);
const words = Array.from({ length: 4000 }, (_, i) => `w${i % 1500} ${i % 7 === 0 ? 'Ünï' : 'x'}${i % 300}`);
writeFileSync(join(dir, 'words.txt'), words.join('\n') + '\n');
const wordSet = new Set(words.flatMap((l) => l.split(' ')));

for (const workers of [0, 1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const parts of [1, 3, 17]) {
    const name = (what: string): string => `${what} [workers=${workers}, partitions=${parts}]`;
    test(name('countApproxDistinct on records and on words()'), async () => {
      const est = await kiln.parallelize(values, parts).countApproxDistinct(0.01);
      assert.ok(Math.abs(est - distinct) / distinct < 0.03, `${est} vs ${distinct}`);
      const strings = await kiln.parallelize(values.map((v) => `s${v}`), parts).countApproxDistinct(0.01);
      assert.ok(Math.abs(strings - distinct) / distinct < 0.03, `${strings} vs ${distinct}`);
      const mixed = await kiln.parallelize([1, '1', [1, 'a'], [1, 'a'], null], parts).countApproxDistinct();
      assert.is(mixed, 4, 'a number and its string differ; arrays compare by content');
      const text = kiln.textFile(join(dir, 'words.txt'), { minPartitions: parts });
      const kernelPath = await text.words().countApproxDistinct(0.01);
      const jsPath = await text.flatMap((l) => l.split(' ')).countApproxDistinct(0.01);
      assert.is(kernelPath, jsPath, 'the words() kernel path hashes words as the JS path does');
      assert.ok(Math.abs(kernelPath - wordSet.size) / wordSet.size < 0.03, `${kernelPath} vs ${wordSet.size}`);
      await rejects(() => kiln.parallelize(values, parts).countApproxDistinct(0.5), /relativeSD must be between/);
    });

    test(name('countApprox, sumApprox, meanApprox: exact when finished, bounds after a zero timeout'), async () => {
      const ds = (): Dataset<number> => kiln.parallelize(numbers, parts);
      assert.equal(await ds().countApprox(60_000), { mean: numbers.length, confidence: 1, low: numbers.length, high: numbers.length });
      const s = await ds().sumApprox(60_000);
      assert.is(s.confidence, 1);
      assert.ok(Math.abs(s.mean - numSum) < 1e-6 * numSum);
      const m = await ds().meanApprox(60_000, 0.9);
      assert.ok(Math.abs(m.mean - numSum / numbers.length) < 1e-9 * numSum && m.low === m.high);
      // A zero timeout: whatever finished by then; a bound either exact or containing the truth
      // with confidence < 1, or the "nothing seen" answer (the timing decides which, not the check).
      const c = await ds().countApprox(0);
      assert.ok(c.confidence === 1 ? c.mean === numbers.length : c.low <= numbers.length + 1e-9 && c.high >= 0, JSON.stringify(c));
      await rejects(() => ds().countApprox(-1), /timeout must be/);
      await rejects(() => ds().meanApprox(10, 2), /confidence must be in/);
    });
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
