// The region allocator: reuse, alignment, coalescing, growth and clear failures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RegionAllocator, OutOfMemoryError } from '../engine/memory/allocator.js';
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

test.run();
