// A/B of the word-count kernel between two kiln builds, for kernel work: both builds'
// kernels count the same corpus in one process, alternating rounds, and each round
// is timed in CPU time (process.cpuUsage), which a busy neighbour disturbs far less
// than wall time on these shared 2-vCPU machines. Input is handed over as the engine's
// split reader does: 4 MiB chunks of whole lines (CHUNK to change), fresh input bytes
// each round (the kernel lowercases in place).
// Usage: node dist/bench/kernel-ab.js DIR_A [DIR_B ...] [--file F] [--rounds N]
//   DIR: a kiln checkout with dist/ built (e.g. a `git worktree` of an older commit).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { preferOptimizedWasm } from '../engine/executor/kernels/module.js';
import { zipfCorpus } from './corpus.js';

interface Kernels {
  KernelRuntime: typeof import('../engine/executor/kernels/index.js').KernelRuntime;
  CombinerTable: typeof import('../engine/executor/kernels/index.js').CombinerTable;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { file: { type: 'string' }, rounds: { type: 'string', default: '9' }, chunk: { type: 'string', default: String(4 << 20) } },
});
if (positionals.length === 0) throw new Error('usage: kernel-ab DIR_A [DIR_B ...] [--file F] [--rounds N] [--chunk BYTES]');
preferOptimizedWasm();
const bytes = readFileSync(values.file ?? (await zipfCorpus(64e6)));
const rounds = Number(values.rounds);
const chunk = Number(values.chunk);

const variants = await Promise.all(
  positionals.map(async (dir) => {
    const root = resolve(dir);
    const k = (await import(pathToFileURL(`${root}/dist/engine/executor/kernels/index.js`).href)) as Kernels;
    const module = new WebAssembly.Module(readFileSync(`${root}/dist/kernels/kiln.wasm`));
    const rt = k.KernelRuntime.create({ module, initialBytes: 512 << 20 });
    const input = rt.allocator.alloc(bytes.length + 64);
    return { dir, rt, input, table: new k.CombinerTable(rt, { expectedKeys: 1 << 14 }), cpuMs: [] as number[] };
  }),
);

for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    v.rt.u8.set(bytes, v.input.ptr);
    v.table.clear();
    const start = process.cpuUsage();
    for (let at = 0; at < bytes.length; ) {
      let end = Math.min(bytes.length, at + chunk);
      if (end < bytes.length) end = bytes.lastIndexOf(10, end - 1) + 1;
      v.table.countWords(v.input.ptr + at, end - at, { lowercase: true, final: true });
      at = end;
    }
    const used = process.cpuUsage(start);
    v.cpuMs.push((used.user + used.system) / 1000);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mbps = (ms: number): string => (bytes.length / 1e3 / ms).toFixed(0);
for (const v of variants) {
  let words = 0;
  for (const e of v.table.entries()) words += e.count;
  console.log(`${v.dir}: median ${mbps(median(v.cpuMs))} MB/s of CPU time [${v.cpuMs.map(mbps).join(' ')}], ${v.table.size} distinct, ${words} words`);
}
