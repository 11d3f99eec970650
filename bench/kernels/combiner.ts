// Benchmark cases for the combiner kernels: the fused word count on the 64 MB Zipf
// corpus against a plain-JS word count, and table inserts of pre-tokenized keys against
// a Map. Both sides start from the same bytes; results are checked equal before timing.
import { readFileSync } from 'node:fs';
import { CombinerTable, KernelRuntime, hashBatch } from '../../engine/executor/kernels/index.js';
import { zipfCorpus } from '../corpus.js';
import type { BenchCase } from '../harness.js';

const JS_CHUNK = 64 << 10;

/**
 * The plain-JS word count kiln must beat: per 64 KiB chunk, decode, `toLowerCase`,
 * `split(/\s+/)` and count in a Map, carrying the partial last word to the next chunk.
 */
function jsWordCount(bytes: Uint8Array): Map<string, number> {
  const decoder = new TextDecoder();
  const counts = new Map<string, number>();
  let carry = '';
  for (let at = 0; at < bytes.length; at += JS_CHUNK) {
    const last = at + JS_CHUNK >= bytes.length;
    const words = (carry + decoder.decode(bytes.subarray(at, at + JS_CHUNK), { stream: !last })).toLowerCase().split(/\s+/);
    carry = last ? '' : words.pop()!;
    for (const w of words) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** Cases for kernels/combiner.ts. */
export async function combinerCases(): Promise<BenchCase[]> {
  const bytes = new Uint8Array(readFileSync(await zipfCorpus(64e6)));
  const rt = KernelRuntime.create({ initialBytes: 512 << 20 });
  const corpus = rt.allocator.alloc(bytes.length);
  rt.u8.set(bytes, corpus.ptr);
  const table = new CombinerTable(rt, { expectedKeys: 1 << 17 });
  const countKernel = (): void => {
    table.clear();
    table.countWords(corpus.ptr, bytes.length, { lowercase: true, final: true });
  };

  // Pre-tokenized keys: the corpus's first 4 M words, lowercased, back to back.
  const words = new TextDecoder().decode(bytes.subarray(0, 32e6)).toLowerCase().split(/\s+/).filter(Boolean).slice(0, 4_000_000);
  const encoder = new TextEncoder();
  const keyBytes = encoder.encode(words.join(''));
  const n = words.length;
  const data = rt.allocator.alloc(keyBytes.length);
  const offsets = rt.allocator.alloc(4 * (n + 1));
  const hashes = rt.allocator.alloc(8 * n, 8);
  rt.u8.set(keyBytes, data.ptr);
  const offs = rt.u32(offsets.ptr, n + 1);
  let at = 0;
  words.forEach((w, i) => {
    offs[i] = at;
    at += w.length;
  });
  offs[n] = at;
  hashBatch(rt, data.ptr, offsets.ptr, n, hashes.ptr);
  const insertTable = new CombinerTable(rt, { expectedKeys: 1 << 17 });
  const insertKernel = (): void => {
    insertTable.clear();
    insertTable.insert({ data: data.ptr, offsets: offsets.ptr, n, hashes: hashes.ptr });
  };
  const insertJs = (): Map<string, number> => {
    const m = new Map<string, number>();
    for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };

  const sameCounts = (name: string, kernel: CombinerTable, js: Map<string, number>): void => {
    if (kernel.size !== js.size) throw new Error(`${name}: ${kernel.size} distinct words vs ${js.size} in JS`);
    for (const e of kernel.entries('utf8')) {
      if (js.get(e.key) !== e.count) throw new Error(`${name}: ${JSON.stringify(e.key)} counted ${e.count} vs ${js.get(e.key)} in JS`);
    }
  };

  return [
    {
      name: 'word count (64 MB Zipf, lowercase)',
      work: bytes.length,
      unit: 'MB',
      target: '>= 250 MB/s, >= 8x',
      kernel: countKernel,
      baseline: { name: 'JS toLowerCase+split+Map, 64 KiB chunks', run: () => jsWordCount(bytes) },
      check: () => {
        countKernel();
        sameCounts('word count', table, jsWordCount(bytes));
      },
    },
    {
      name: 'table insert, 4M pre-hashed words',
      work: n,
      unit: 'keys',
      kernel: insertKernel,
      baseline: { name: 'JS Map<string, number> of the same words', run: insertJs },
      check: () => {
        insertKernel();
        sameCounts('table insert', insertTable, insertJs());
      },
    },
  ];
}
