// Issue 11's codec question: should spill and shuffle files be compressed (Spark's
// spark.shuffle.compress, lz4 by default)? Each block shape kiln spills is written and
// read back raw, through LZ4 (lz4-napi: lz4_flex in Rust, the fastest maintained LZ4
// for Node) and through deflate level 1 (node:zlib; Node 20 has no zstd compressor),
// via the page cache as spills usually go; then 256 MiB written to the disk with fsync,
// raw against LZ4, for the case where spills outgrow the page cache. Medians of 3
// alternating rounds; every round trip is checked.
// Run: npm run build --silent && node dist/bench/spill-codec.js
import { closeSync, fsyncSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { compressSync, uncompressSync } from 'lz4-napi';
import { writeSortRecords, zipfCorpus } from './corpus.js';

/** The first `n` bytes of a file. */
function head(path: string, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  const fd = openSync(path, 'r');
  try {
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** Combiner-table block records (kernels/combiner.ts): key length, key, 40 bytes of hash and aggregates; distinct keys. */
function tableRecords(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let at = 0;
  let h = 0x9e3779b97f4a7c15n;
  for (let i = 0; ; i++) {
    const key = `w${(i * 2654435761) % 1e9}x${i}`;
    if (at + 44 + key.length > bytes) break;
    b.writeUInt32LE(key.length, at);
    b.write(key, at + 4, 'latin1');
    at += 4 + key.length;
    h = (h * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    b.writeBigUInt64LE(h, at);
    b.writeBigInt64LE(1n, at + 8);
    at += 40;
  }
  return b.subarray(0, at);
}

const BLOCK = 64 << 20;
const sortFile = join(tmpdir(), `kiln-codec-sort-${process.pid}.txt`);
writeSortRecords(sortFile, BLOCK);
const blocks: [string, Buffer][] = [
  ['sort runs (100-byte lines, sortCorpus)', head(sortFile, BLOCK)],
  ['text lines (the Zipf corpus)', head(await zipfCorpus(430e6), BLOCK)],
  ['combiner-table records (distinct keys)', tableRecords(BLOCK)],
];
unlinkSync(sortFile);
const codecs: [string, (b: Buffer) => Buffer, (b: Buffer) => Buffer][] = [
  ['none', (b) => b, (b) => b],
  ['lz4', (b) => compressSync(b), (b) => uncompressSync(b)],
  ['deflate level 1', (b) => deflateRawSync(b, { level: 1 }), (b) => inflateRawSync(b)],
];
const probe = join(tmpdir(), `kiln-codec-${process.pid}.bin`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('| block (64 MiB) | codec | size ratio | compress + write | read + decompress | MB/s through |');
console.log('|---|---|---:|---:|---:|---:|');
for (const [name, block] of blocks) {
  const times = codecs.map(() => ({ w: [] as number[], r: [] as number[], size: 0 }));
  for (let round = 0; round < 3; round++) {
    codecs.forEach(([, compress, decompress], i) => {
      const t0 = performance.now();
      const out = compress(block);
      const fd = openSync(probe, 'w');
      writeSync(fd, out);
      closeSync(fd);
      const t1 = performance.now();
      const back = Buffer.allocUnsafe(out.length);
      const rd = openSync(probe, 'r');
      readSync(rd, back, 0, out.length, 0);
      closeSync(rd);
      const plain = decompress(back);
      const t2 = performance.now();
      unlinkSync(probe);
      if (!plain.equals(block)) throw new Error(`${codecs[i]![0]}: round trip changed the bytes`);
      times[i]!.w.push(t1 - t0);
      times[i]!.r.push(t2 - t1);
      times[i]!.size = out.length;
    });
  }
  codecs.forEach(([codec], i) => {
    const w = median(times[i]!.w);
    const r = median(times[i]!.r);
    console.log(`| ${name} | ${codec} | ${(block.length / times[i]!.size).toFixed(2)} | ${w.toFixed(0)} ms | ${r.toFixed(0)} ms | ${(block.length / 1e6 / ((w + r) / 1000)).toFixed(0)} |`);
  });
}
// To the disk itself: 256 MiB of text, written and fsynced.
const text = head(await zipfCorpus(430e6), 256 << 20);
for (let round = 0; round < 2; round++) {
  for (const [codec, compress] of codecs.slice(0, 2)) {
    const t = performance.now();
    const out = compress(text);
    const fd = openSync(probe, 'w');
    writeSync(fd, out);
    fsyncSync(fd);
    closeSync(fd);
    unlinkSync(probe);
    console.log(`to disk with fsync, 256 MiB of text, ${codec}: ${(performance.now() - t).toFixed(0)} ms (${(out.length / 2 ** 20).toFixed(0)} MiB written)`);
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
