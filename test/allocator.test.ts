// The region allocator: reuse, alignment, coalescing, growth and clear failures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RegionAllocator, OutOfMemoryError } from '../engine/executor/memory/allocator.js';
import { rng, randInt } from './support/random.js';

const memory = () => new WebAssembly.Memory({ initial: 4, maximum: 65536, shared: true });

test('freed regions are reused instead of new address space', () => {
  const a = new RegionAllocator(memory(), { base: 65536 });
  const r1 = a.alloc(1000);
  a.alloc(64);
  a.release(r1);
  const r3 = a.alloc(900);
  assert.is(r3.ptr, r1.ptr);
});

test('alignment is honoured and regions never overlap (random workload)', () => {
  const a = new RegionAllocator(memory(), { base: 65536 + 8 });
  const r = rng(5);
  const live: { ptr: number; size: number }[] = [];
  for (let i = 0; i < 3000; i++) {
    if (live.length > 0 && randInt(r, 3) === 0) {
      a.release(live.splice(randInt(r, live.length), 1)[0]!);
    } else {
      const align = [64, 256, 4096][randInt(r, 3)]!;
      const reg = a.alloc(randInt(r, 20000), align);
      assert.is(reg.ptr % align, 0);
      live.push(reg);
    }
    if (i % 100 === 0) {
      const sorted = [...live].sort((x, y) => x.ptr - y.ptr);
      for (let j = 1; j < sorted.length; j++) assert.ok(sorted[j - 1]!.ptr + sorted[j - 1]!.size <= sorted[j]!.ptr, 'overlap');
    }
  }
  for (const reg of live) a.release(reg);
  assert.is(a.bytesInUse, 0);
  assert.is(a.bytesReserved, 0, 'everything coalesced back');
});

test('grows the memory when it owns the top, and keeps contents on resize', () => {
  const mem = memory();
  const a = new RegionAllocator(mem, { base: 65536 });
  const r1 = a.alloc(100);
  new Uint8Array(mem.buffer).set([1, 2, 3], r1.ptr);
  const r2 = a.resize(r1, 1 << 20, 3);
  assert.ok(mem.buffer.byteLength >= r2.ptr + (1 << 20));
  assert.equal([...new Uint8Array(mem.buffer, r2.ptr, 3)], [1, 2, 3]);
});

test('a fixed span fails with an error that says what to change', () => {
  const a = new RegionAllocator(memory(), { base: 65536, limit: 65536 * 2 });
  a.alloc(60000);
  try {
    a.alloc(60000);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, OutOfMemoryError);
    assert.match((e as Error).message, /--memory/);
  }
});

test('double release and foreign regions are rejected', () => {
  const a = new RegionAllocator(memory(), { base: 65536 });
  const reg = a.alloc(10);
  a.release(reg);
  assert.throws(() => a.release(reg), /does not hold/);
  assert.throws(() => a.release({ ptr: 12345, size: 10 }), /does not hold/);
});

test('property: random alloc/resize/release never overlaps live regions and keeps their bytes', () => {
  // Every live region is filled with its own byte pattern; after every operation the
  // live regions must be disjoint, inside the span, and still hold their pattern (a
  // resize keeps the first `keep` bytes). Catches best-fit, split and coalescing slips.
  for (const seed of [1, 2, 3, 4]) {
    const mem = memory();
    const base = 65536 + 8 * seed;
    const limit = seed % 2 === 0 ? 65536 * 64 : undefined;
    const a = new RegionAllocator(mem, limit === undefined ? { base } : { base, limit });
    const r = rng(seed);
    const live: { ptr: number; size: number; tag: number }[] = [];
    let nextTag = 1;
    const u8 = (): Uint8Array => new Uint8Array(mem.buffer);
    const fill = (reg: { ptr: number; size: number; tag: number }, from = 0): void => {
      u8().fill(reg.tag, reg.ptr + from, reg.ptr + reg.size);
    };
    const check = (step: number): void => {
      const sorted = [...live].sort((x, y) => x.ptr - y.ptr);
      for (let j = 0; j < sorted.length; j++) {
        const reg = sorted[j]!;
        assert.ok(reg.ptr >= base && (limit === undefined || reg.ptr + reg.size <= limit), `seed ${seed} step ${step}: region outside the span`);
        if (j > 0) assert.ok(sorted[j - 1]!.ptr + sorted[j - 1]!.size <= reg.ptr, `seed ${seed} step ${step}: overlap`);
        const bytes = u8().subarray(reg.ptr, reg.ptr + reg.size);
        let intact = bytes[bytes.length - 1] === reg.tag;
        for (let k = 0; intact && k < bytes.length; k += 61) intact = bytes[k] === reg.tag;
        if (!intact) assert.unreachable(`seed ${seed} step ${step}: region ${reg.ptr} lost its bytes`);
      }
      assert.is(a.bytesInUse, live.reduce((s, x) => s + x.size, 0), `seed ${seed} step ${step}: bytesInUse`);
    };
    for (let step = 0; step < 1000; step++) {
      const op = randInt(r, 10);
      try {
        if (op < 3 && live.length > 0) {
          const [reg] = live.splice(randInt(r, live.length), 1);
          a.release(reg!);
          // A released region's bytes are fair game: scribble on them like a new owner would.
          u8().fill(0xee, reg!.ptr, reg!.ptr + reg!.size);
        } else if (op < 6 && live.length > 0) {
          const i = randInt(r, live.length);
          const old = live[i]!;
          const keep = randInt(r, old.size + 1);
          const grown = a.resize(old, old.size + randInt(r, Math.min(3 * old.size, 100000) + 1), keep);
          const reg = { ptr: grown.ptr, size: grown.size, tag: grown === old ? old.tag : nextTag++ % 255 || 1 };
          if (grown !== old) {
            const kept = u8().subarray(reg.ptr, reg.ptr + Math.min(keep, old.size));
            assert.ok(kept.every((b) => b === old.tag), `seed ${seed} step ${step}: resize lost kept bytes`);
          }
          live[i] = reg;
          fill(reg);
        } else {
          const align = [1, 8, 64, 256, 4096, 65536][randInt(r, 6)]!;
          const size = randInt(r, 4) === 0 ? randInt(r, 200000) : randInt(r, 3000);
          const got = a.alloc(size, align);
          assert.is(got.ptr % align, 0);
          assert.ok(got.size >= size);
          const reg = { ...got, tag: nextTag++ % 255 || 1 };
          live.push(reg);
          fill(reg);
        }
      } catch (e) {
        if (!(e instanceof OutOfMemoryError)) throw e;
      }
      check(step);
    }
    for (const reg of live.splice(0)) a.release(reg);
    assert.is(a.bytesInUse, 0);
  }
});

test('under pressure, kept regions are reclaimed and the allocation is retried once', () => {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
  const a = new RegionAllocator(memory, { base: 65536, limit: 65536 + (1 << 20) });
  const kept = [a.alloc(400_000), a.alloc(400_000)];
  let calls = 0;
  a.onPressure(() => {
    calls++;
    const had = kept.length > 0;
    for (const r of kept.splice(0)) a.release(r);
    return had;
  });
  // Fits without reclaiming: the hook is not called.
  const small = a.alloc(100_000);
  assert.is(calls, 0);
  // Does not fit next to the kept regions: they are freed and the call succeeds.
  const big = a.alloc(700_000);
  assert.is(calls, 1);
  assert.ok(big.size >= 700_000);
  // Nothing left to reclaim: the error stands.
  assert.throws(() => a.alloc(700_000), (e: unknown) => e instanceof OutOfMemoryError);
  assert.is(calls, 2);
  a.release(small);
  a.release(big);
  assert.is(a.bytesInUse, 0);
});

test('peakBytesInUse is the high-water mark since resetPeak (a task\'s peak execution memory)', () => {
  const a = new RegionAllocator(memory(), { base: 65536 });
  const kept = a.alloc(1000);
  a.resetPeak();
  assert.is(a.peakBytesInUse, kept.size, 'what is kept from earlier tasks counts');
  const x = a.alloc(4096);
  const y = a.alloc(8192);
  a.release(x);
  a.release(y);
  const z = a.alloc(64);
  assert.is(a.peakBytesInUse, kept.size + x.size + y.size);
  a.resetPeak();
  assert.is(a.peakBytesInUse, kept.size + z.size);
});

test.run();
