// Benchmark cases for the tokenizer kernels: the 64 MB Zipf corpus fed in 1 MiB chunks
// through one reused region of kernel memory (the copy in is timed: it stands in for
// the engine's read), against the best plain-JS loop over the same bytes in a Buffer.
import { readFileSync } from 'node:fs';
import xxhash from 'xxhash-wasm';
import { KernelRuntime, Tokenizer } from '../../engine/executor/kernels/index.js';
import { zipfCorpus } from '../corpus.js';
import type { BenchCase } from '../harness.js';
import { CORPUS_BYTES, feedChunks } from './lines.js';

/** Bytes fed per kernel call. */
const CHUNK = 1 << 20;

/** Tokenize, and tokenize + XXH64, of the Zipf corpus: kernel vs plain JS. */
export async function tokenizeCases(): Promise<BenchCase[]> {
  const text = readFileSync(await zipfCorpus(CORPUS_BYTES));
  const rt = KernelRuntime.create({ initialBytes: 16 << 20 });
  const buf = rt.allocator.alloc(2 * CHUNK);
  const lib = await xxhash();
  const isSep = new Uint8Array(256);
  for (const c of [9, 10, 11, 12, 13, 32]) isSep[c] = 1;
  const cases: BenchCase[] = [];

  for (const hash of [false, true]) {
    const tokenizer = new Tokenizer(rt, { split: 'whitespace', lowercase: false, hash });
    const cap = tokenizer.capacity;
    // Checksum mode: token count, total token bytes, xor of hashes.
    const kernel = (checksum: boolean): [number, number, bigint] => {
      let n = 0;
      let bytes = 0;
      let x = 0n;
      feedChunks(rt, text, buf.ptr, CHUNK, (ptr, len, final) =>
        tokenizer.scan(ptr, len, final, (count) => {
          n += count;
          if (!checksum) return;
          const p = tokenizer.pairs;
          const h = tokenizer.hashes;
          for (let i = 0; i < count; i++) {
            bytes += p[2 * i + 1]! - p[2 * i]!;
            if (hash) x ^= h[i]!;
          }
        }),
      );
      return [n, bytes, x];
    };
    // The JS side writes the same outputs into reused arrays, drained every `cap` tokens.
    const pairs = new Uint32Array(2 * cap);
    const hashes = new BigUint64Array(cap);
    const baseline = (checksum: boolean): [number, number, bigint] => {
      let total = 0;
      let bytes = 0;
      let x = 0n;
      let n = 0;
      const drain = (): void => {
        if (checksum) {
          for (let i = 0; i < n; i++) {
            bytes += pairs[2 * i + 1]! - pairs[2 * i]!;
            if (hash) x ^= hashes[i]!;
          }
        }
        total += n;
        n = 0;
      };
      let start = -1;
      const len = text.length;
      for (let i = 0; i <= len; i++) {
        const sep = i === len || isSep[text[i]!] === 1;
        if (!sep) {
          if (start < 0) start = i;
        } else if (start >= 0) {
          pairs[2 * n] = start;
          pairs[2 * n + 1] = i;
          if (hash) hashes[n] = lib.h64Raw(text.subarray(start, i), 0n);
          if (++n === cap) drain();
          start = -1;
        }
      }
      drain();
      return [total, bytes, x];
    };
    cases.push({
      name: hash ? 'tokenize + xxh64, 64 MB Zipf, 1 MiB chunks' : 'tokenize, 64 MB Zipf, 1 MiB chunks',
      work: text.length,
      unit: 'MB',
      target: hash ? '>= 600 MB/s' : '',
      kernel: () => kernel(false),
      baseline: {
        name: hash ? 'JS byte loop + xxhash-wasm h64Raw per token' : 'JS byte loop, class table',
        run: () => baseline(false),
      },
      check: () => {
        const [k, b] = [kernel(true), baseline(true)];
        if (k[0] !== b[0] || k[1] !== b[1] || k[2] !== b[2]) throw new Error(`tokens disagree: kernel ${k}, baseline ${b}`);
      },
    });
  }
  return cases;
}
