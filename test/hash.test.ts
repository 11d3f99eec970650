// The XXH64 kernel against published values, the xxhash-wasm package and a plain-TS reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import xxhash from 'xxhash-wasm';
import { KernelRuntime, hashBatch, hashBytes, hashFixed } from '../engine/executor/kernels/index.js';
import { xxh64Reference } from './reference/xxh64.js';
import { ascii, randBytes, randInt, rng } from './support/random.js';

const rt = KernelRuntime.create();
const lib = await xxhash();

test('published XXH64 values (xxhash_spec / reference implementation)', () => {
  // Values from the xxHash project's sanity tests and its README.
  assert.is(hashBytes(rt, new Uint8Array(0)), 0xef46db3751d8e999n);
  assert.is(hashBytes(rt, ascii('abc')), 0x44bc2cf5ad770999n);
  assert.is(xxh64Reference(new Uint8Array(0)), 0xef46db3751d8e999n);
  assert.is(xxh64Reference(ascii('abc')), 0x44bc2cf5ad770999n);
});

test('every length 0..300 and random seeds match xxhash-wasm and the reference', () => {
  const r = rng(1);
  for (let len = 0; len <= 300; len++) {
    const bytes = randBytes(r, len);
    const seed = BigInt(randInt(r, 2 ** 32));
    const expected = lib.h64Raw(bytes, seed);
    assert.is(hashBytes(rt, bytes, seed), expected, `len ${len}`);
    if (len % 7 === 0) assert.is(xxh64Reference(bytes, seed), expected, `reference len ${len}`);
  }
});

test('all 256 byte values and a 1 MB key', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.is(hashBytes(rt, all), lib.h64Raw(all, 0n));
  const big = randBytes(rng(2), 1 << 20);
  assert.is(hashBytes(rt, big), lib.h64Raw(big, 0n));
});

test('batch hashing of variable-length keys, including empty ones', () => {
  const r = rng(3);
  const keys = Array.from({ length: 2000 }, () => randBytes(r, randInt(r, 4) === 0 ? 0 : randInt(r, 70)));
  const total = keys.reduce((n, k) => n + k.length, 0);
  const data = rt.allocator.alloc(total);
  const offsets = rt.allocator.alloc(4 * (keys.length + 1));
  const out = rt.allocator.alloc(8 * keys.length);
  const offs = rt.u32(offsets.ptr, keys.length + 1);
  let at = 0;
  keys.forEach((k, i) => {
    offs[i] = at;
    rt.u8.set(k, data.ptr + at);
    at += k.length;
  });
  offs[keys.length] = at;
  hashBatch(rt, data.ptr, offsets.ptr, keys.length, out.ptr, 7);
  const hashes = rt.u64(out.ptr, keys.length);
  keys.forEach((k, i) => assert.is(hashes[i], lib.h64Raw(k, 7n), `key ${i}`));
  [data, offsets, out].forEach((reg) => rt.allocator.release(reg));
});

test('fixed-width batch hashing of 16-byte keys', () => {
  const n = 1000;
  const bytes = randBytes(rng(4), 16 * n);
  const data = rt.allocator.alloc(bytes.length);
  const out = rt.allocator.alloc(8 * n);
  rt.u8.set(bytes, data.ptr);
  hashFixed(rt, data.ptr, 16, n, out.ptr);
  const hashes = rt.u64(out.ptr, n);
  for (let i = 0; i < n; i++) assert.is(hashes[i], lib.h64Raw(bytes.subarray(16 * i, 16 * i + 16), 0n));
  [data, out].forEach((reg) => rt.allocator.release(reg));
});

test.run();
