// `npm run wordcount:kernel`: kiln's current main job, a one-thread word count of the
// 64 MB Zipf corpus with the fused wordCount kernel. Policy: the file is read with
// fs.readSync in 1 MiB chunks straight into kernel memory (no JS-side copy); a word cut
// by a chunk end is carried to the front of the buffer and finished by the next chunk.
// Usage: node dist/bench/wordcount-kernel.js [file] [--rounds N]
// Prints the top 20 `word count` lines and one summary line (bytes, distinct words,
// wall time, MB/s). With --rounds N > 1 it repeats the count and reports each round
// (the first round includes V8 compiling the kernels).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CombinerTable, KernelRuntime } from '../engine/executor/kernels/index.js';
import type { Region } from '../engine/executor/memory/region.js';
import { MB, zipfCorpus } from './corpus.js';

const CHUNK = 1 << 20;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '1' } } });
const path = positionals[0] ?? (await zipfCorpus(64e6));
const rounds = Math.max(1, Number(values.rounds));

const rt = KernelRuntime.create();
const table = new CombinerTable(rt, { expectedKeys: 1 << 17 });
let buffer: Region = rt.allocator.alloc(2 * CHUNK);

/** Counts the words of the file at `path` into `table`; returns the bytes read. */
function countFile(): number {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let position = 0;
    let carry = 0; // bytes of an unfinished word at the front of the buffer
    for (;;) {
      if (carry + CHUNK > buffer.size) buffer = rt.allocator.resize(buffer, 2 * (carry + CHUNK), carry);
      const read = readSync(fd, rt.u8, buffer.ptr + carry, CHUNK, position);
      position += read;
      const final = read === 0 || position >= size;
      const len = carry + read;
      const used = table.countWords(buffer.ptr, len, { lowercase: true, final });
      if (final) return position;
      carry = len - used;
      if (carry > 0) rt.u8.copyWithin(buffer.ptr, buffer.ptr + used, buffer.ptr + len);
    }
  } finally {
    closeSync(fd);
  }
}

let bytes = 0;
const times: number[] = [];
for (let round = 0; round < rounds; round++) {
  table.clear();
  const t0 = performance.now();
  bytes = countFile();
  times.push(performance.now() - t0);
}

const top = [...table.entries('utf8')].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, 20);
for (const e of top) console.log(`${e.key} ${e.count}`);
const ms = times[times.length - 1]!;
const rate = (t: number): string => (bytes / MB / (t / 1000)).toFixed(0);
console.log(
  `wordcount-kernel: ${bytes} bytes, ${table.size} distinct words, ${ms.toFixed(0)} ms, ${rate(ms)} MB/s` +
    (rounds > 1 ? ` (rounds: ${times.map((t) => `${rate(t)}`).join(', ')} MB/s)` : ''),
);
