// Benchmark cases for the XXH64 kernel: batched hashing of 16-byte keys.
import xxhash from 'xxhash-wasm';
import { KernelRuntime, hashFixed } from '../../engine/executor/kernels/index.js';
import { seeded } from '../corpus.js';
import type { BenchCase } from '../harness.js';

/** Batched hashing of 16-byte keys: kernel vs xxhash-wasm's h64Raw (the fastest JS-callable XXH64 we know). */
export async function hashCases(): Promise<BenchCase[]> {
  const rt = KernelRuntime.create();
  const n = 4_000_000;
  const r = seeded(7);
  const bytes = new Uint8Array(16 * n);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  const data = rt.allocator.alloc(bytes.length);
  const out = rt.allocator.alloc(8 * n);
  rt.u8.set(bytes, data.ptr);
  const lib = await xxhash();
  const jsOut = new BigUint64Array(n);
  return [
    {
      name: 'xxh64 batch, 16-byte keys',
      work: n,
      unit: 'keys',
      target: '>= 50M keys/s',
      kernel: () => hashFixed(rt, data.ptr, 16, n, out.ptr),
      baseline: {
        name: 'xxhash-wasm h64Raw per key',
        run: () => {
          for (let i = 0; i < n; i++) jsOut[i] = lib.h64Raw(bytes.subarray(16 * i, 16 * i + 16), 0n);
        },
      },
      check: () => {
        hashFixed(rt, data.ptr, 16, 1000, out.ptr);
        const k = rt.u64(out.ptr, 1000);
        for (let i = 0; i < 1000; i++) if (k[i] !== lib.h64Raw(bytes.subarray(16 * i, 16 * i + 16), 0n)) throw new Error(`hash mismatch at ${i}`);
      },
    },
  ];
}
