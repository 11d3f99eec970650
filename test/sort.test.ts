// The partitioned sort kernels against the plain-TS reference (Array.prototype.sort with
// a (partition, bytes, index) comparator): random and edge-case keys, every partition
// width the prefix handles, stability on duplicates, and gather output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelError, KernelRuntime, PartitionedSorter, partitionBits } from '../engine/executor/kernels/index.js';
import { compareBytes, sortReference } from './reference/sort.js';
import { randBytes, randInt, rng } from './support/random.js';

const rt = KernelRuntime.create();
const sorter = new PartitionedSorter(rt);

/** Random partition ids below 2^bits, always including the largest one. */
function randParts(r: () => number, n: number, bits: number): number[] {
  const parts = Array.from({ length: n }, () => Math.floor(r() * 2 ** bits));
  if (n > 0) parts[randInt(r, n)] = 2 ** bits - 1;
  return parts;
}

function expectSorted(keys: Uint8Array[], parts: number[] | undefined, bits: number, label: string): void {
  const got = Array.from(sorter.sortKeys(keys, parts, 2 ** bits));
  assert.equal(got, sortReference(keys, parts), label);
}

/**
 * For large n: the permutation is a bijection and consecutive records strictly increase
 * in the total order (partition, key, index), so it is the reference order.
 */
function checkOrder(perm: Uint32Array, keys: Uint8Array[], parts: ArrayLike<number> | undefined): void {
  const n = keys.length;
  assert.is(perm.length, n);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    assert.ok(perm[i]! < n && seen[perm[i]!] === 0, `permutation entry ${i}`);
    seen[perm[i]!] = 1;
  }
  for (let i = 1; i < n; i++) {
    const a = perm[i - 1]!;
    const b = perm[i]!;
    const c = (parts ? parts[a]! - parts[b]! : 0) || compareBytes(keys[a]!, keys[b]!) || a - b;
    if (c >= 0) assert.unreachable(`records ${a} and ${b} out of order at ${i}`);
  }
}

test('n = 0, 1, 2', () => {
  const a = Uint8Array.of(2);
  const b = Uint8Array.of(1);
  assert.equal(Array.from(sorter.sortKeys([])), []);
  assert.equal(Array.from(sorter.sortKeys([a])), [0]);
  assert.equal(Array.from(sorter.sortKeys([a], [5], 8)), [0]);
  assert.equal(Array.from(sorter.sortKeys([a, b])), [1, 0]);
  assert.equal(Array.from(sorter.sortKeys([b, a])), [0, 1]);
  assert.equal(Array.from(sorter.sortKeys([b, a], [1, 0], 2)), [1, 0]);
  assert.equal(Array.from(sorter.sortKeys([a, a])), [0, 1]);
});

test('a proper prefix sorts first, zero bytes included', () => {
  const keys = [[0, 0], [], [0], [1], [0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [255], [0, 255]].map((k) => Uint8Array.from(k));
  for (const bits of [0, 1, 7, 8, 13, 32]) expectSorted(keys, keys.map(() => 0), bits, `partBits ${bits}`);
  assert.equal(Array.from(sorter.sortKeys(keys)), [1, 2, 0, 5, 4, 7, 3, 6]);
});

test('random keys of random length (0 .. 1 KB), all byte values, every partition width', () => {
  const r = rng(11);
  for (const bits of [0, 1, 7, 8, 13, 32]) {
    for (const n of [3, 17, 200, 3000]) {
      const keys = Array.from({ length: n }, () => {
        const roll = randInt(r, 10);
        const len = roll === 0 ? 0 : roll === 1 ? 1024 : randInt(r, 24);
        return randBytes(r, len);
      });
      keys[0] = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
      expectSorted(keys, bits === 0 ? undefined : randParts(r, n, bits), bits, `partBits ${bits}, n ${n}`);
    }
  }
});

test('partition ids span the whole width: 0 and 2^partBits - 1 with a key of 0xff bytes', () => {
  const ff = new Uint8Array(12).fill(255);
  const zero = new Uint8Array(12);
  for (const bits of [1, 7, 8, 13, 32]) {
    const top = 2 ** bits - 1;
    const keys = [ff, zero, ff, zero];
    const parts = [0, top, top, 0];
    expectSorted(keys, parts, bits, `partBits ${bits}`);
    assert.equal(Array.from(sorter.sortKeys(keys, parts, 2 ** bits)), [3, 0, 1, 2], `partBits ${bits}`);
  }
});

test('keys sharing long prefixes differ only after 100+ bytes', () => {
  const r = rng(12);
  const shared = randBytes(r, 200);
  for (const bits of [0, 7, 13]) {
    const keys = Array.from({ length: 2000 }, () => {
      const cut = 100 + randInt(r, 100);
      const k = new Uint8Array(cut + randInt(r, 40));
      k.set(shared.subarray(0, Math.min(cut, k.length)));
      k.set(randBytes(r, k.length - cut, Uint8Array.of(0, 1, 200, 255)), cut);
      return k;
    });
    expectSorted(keys, bits === 0 ? undefined : randParts(r, keys.length, bits).map((p) => p & 3), bits, `partBits ${bits}`);
  }
});

test('10k keys sharing a 200-byte prefix (one long tie-break run)', () => {
  const r = rng(13);
  const shared = randBytes(r, 200);
  const keys = Array.from({ length: 10_000 }, () => {
    const k = new Uint8Array(200 + randInt(r, 8));
    k.set(shared);
    k.set(randBytes(r, k.length - 200), 200);
    return k;
  });
  expectSorted(keys, undefined, 0, 'one run');
});

test('many duplicates keep input order (stability)', () => {
  const r = rng(14);
  const distinct = Array.from({ length: 7 }, () => randBytes(r, randInt(r, 20)));
  distinct.push(new Uint8Array(0));
  for (const bits of [0, 1, 8]) {
    const keys = Array.from({ length: 5000 }, () => distinct[randInt(r, distinct.length)]!);
    const parts = bits === 0 ? undefined : randParts(r, keys.length, bits);
    expectSorted(keys, parts, bits, `partBits ${bits}`);
  }
});

test('gather writes the records in reference order with new offsets', () => {
  const r = rng(15);
  const n = 4000;
  const keys = Array.from({ length: n }, () => randBytes(r, randInt(r, 5) === 0 ? 40 + randInt(r, 100) : randInt(r, 17)));
  const parts = randParts(r, n, 5);
  // Records are (key, payload) laid out separately: gather moves the payloads.
  const payloads = keys.map((k, i) => Uint8Array.from([...k.slice(0, 3), i & 255, (i >> 8) & 255]));
  const layout = (items: Uint8Array[]): { data: number; offsets: number } => {
    const total = items.reduce((s, k) => s + k.length, 0);
    const data = rt.allocator.alloc(total).ptr;
    const offsets = rt.allocator.alloc(4 * (items.length + 1)).ptr;
    const offs = rt.u32(offsets, items.length + 1);
    let at = 0;
    items.forEach((k, i) => {
      offs[i] = at;
      rt.u8.set(k, data + at);
      at += k.length;
    });
    offs[items.length] = at;
    return { data, offsets };
  };
  const k = layout(keys);
  const p = layout(payloads);
  const pr = rt.allocator.alloc(4 * n).ptr;
  rt.u32(pr, n).set(parts);
  const perm = Array.from(sorter.sort({ keys: k.data, offsets: k.offsets, n, partitions: pr, numPartitions: 32 }));
  const expected = sortReference(keys, parts);
  assert.equal(perm, expected);
  for (const [label, items, src] of [['keys', keys, k], ['payloads', payloads, p]] as const) {
    const total = items.reduce((s, x) => s + x.length, 0);
    const dst = rt.allocator.alloc(total).ptr;
    const dstOffsets = rt.allocator.alloc(4 * (n + 1)).ptr;
    sorter.gather(src.data, src.offsets, dst, dstOffsets);
    const offs = rt.u32(dstOffsets, n + 1);
    assert.is(offs[n], total, `${label} total`);
    for (let i = 0; i < n; i++) {
      assert.equal(rt.u8.slice(dst + offs[i]!, dst + offs[i + 1]!), items[expected[i]!], `${label} record ${i}`);
    }
  }
});

test('1M records: 10-byte keys in 200 partitions, and one run of 1M shared-prefix keys', () => {
  const r = rng(16);
  const n = 1_000_000;
  const keys = Array.from({ length: n }, () => randBytes(r, 10));
  const parts = Uint32Array.from({ length: n }, () => randInt(r, 200));
  checkOrder(sorter.sortKeys(keys, parts, 200), keys, parts);
  // Same first 8 bytes everywhere, few distinct tails: one prefix run, many duplicates.
  const tails = Array.from({ length: 5000 }, () => randBytes(r, randInt(r, 4)));
  const shared = keys.map((_, i) => Uint8Array.from([7, 7, 7, 7, 7, 7, 7, 7, ...tails[(i * 7919) % tails.length]!]));
  checkOrder(sorter.sortKeys(shared), shared, undefined);
  // The sorter still works on small input after a large one (regions are reused).
  expectSorted([Uint8Array.of(3), Uint8Array.of(1)], undefined, 0, 'small after large');
});

test('errors name the kernel and sizes', () => {
  assert.is(partitionBits(1), 0);
  assert.is(partitionBits(2), 1);
  assert.is(partitionBits(200), 8);
  assert.is(partitionBits(2 ** 32), 32);
  assert.throws(() => partitionBits(0), (e: unknown) => e instanceof KernelError && /sortPrepare/.test(e.message));
  assert.throws(
    () => sorter.sortKeys([Uint8Array.of(1), Uint8Array.of(2)], [0, 4], 4),
    (e: unknown) => e instanceof KernelError && /sortPrepare.*n=2, partBits=2/.test(e.message),
  );
  assert.throws(() => sorter.sortKeys([Uint8Array.of(1)], [0, 1], 4), (e: unknown) => e instanceof KernelError);
});

test.run();
