// `npm run bench:io`: the split reader's backends on the 430 MB Zipf corpus, one thread.
// Policy: the work is what a map task does before its kernels run: every split of the
// corpus (planned with the default 128 MiB splits) read into kernel memory in 4 MiB
// chunks. One byte per chunk is summed so nothing can be optimized away, and both
// backends must produce the same bytes and sum. Warm page cache (one untimed pass per
// backend first); 5 timed runs per backend, alternating, median reported. Each run
// opens (and for mmap, maps) every split afresh, as tasks do.
import { cpus, totalmem } from 'node:os';
import { listInputFiles } from '../engine/common/io/files.js';
import { planSplits } from '../engine/common/io/splits.js';
import { mmapAvailable, SplitReader, type IoBackend } from '../engine/executor/io/split-reader.js';
import { KernelRuntime } from '../engine/executor/kernels/runtime.js';
import { MB, zipfCorpus } from './corpus.js';

const RUNS = 5;
const CHUNK_BYTES = 4 * 1024 * 1024;

interface Pass {
  ms: number;
  bytes: number;
  sum: number;
  chunks: number;
}

const path = await zipfCorpus(430e6);
const files = await listInputFiles(path);
const partitions = planSplits(files);
const splits = partitions.flatMap((p) => p.splits);
const totalBytes = files.reduce((n, f) => n + f.size, 0);

const rt = KernelRuntime.create();
const mmap = mmapAvailable();
const backends: IoBackend[] = mmap.ok ? ['read', 'mmap'] : ['read'];
if (!mmap.ok) console.log(`mmap backend unavailable, measuring 'read' only: ${mmap.reason}`);
const readers = new Map(backends.map((b) => [b, new SplitReader(rt, { backend: b, chunkBytes: CHUNK_BYTES })] as const));

function pass(reader: SplitReader): Pass {
  let sum = 0;
  let chunks = 0;
  let bytes = 0;
  const u8 = rt.u8; // the chunk region never grows on this corpus (lines < 4 MiB)
  const t0 = performance.now();
  for (const split of splits) {
    bytes += reader.read(split, (ptr, len) => {
      sum = (sum + u8[ptr + (len >>> 1)]!) | 0;
      chunks++;
    }).bytesRead;
  }
  return { ms: performance.now() - t0, bytes, sum, chunks };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`input: ${path} (${(totalBytes / MB).toFixed(0)} MB), ${splits.length} splits in ${partitions.length} partitions, ${CHUNK_BYTES / 2 ** 20} MiB chunks`);

// Warm-up: fills the page cache and checks both backends agree before anything is timed.
let reference: Pass | undefined;
for (const [backend, reader] of readers) {
  const p = pass(reader);
  if (p.bytes !== totalBytes) throw new Error(`${backend}: read ${p.bytes} bytes of ${totalBytes}`);
  if (reference && (p.sum !== reference.sum || p.chunks !== reference.chunks)) throw new Error(`${backend} disagrees with ${backends[0]}`);
  reference ??= p;
}

const times = new Map<IoBackend, number[]>(backends.map((b) => [b, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [backend, reader] of readers) times.get(backend)!.push(pass(reader).ms);
}

const rows = ['| backend | median | min-max of 5 runs |', '|---|---:|---|'];
for (const backend of backends) {
  const rates = times.get(backend)!.map((ms) => totalBytes / MB / (ms / 1000));
  rows.push(`| ${backend} | ${median(rates).toFixed(0)} MB/s | ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} MB/s |`);
  const note = readers.get(backend)!.note;
  if (note) console.log(`${backend}: ${note}`);
}
console.log(rows.join('\n'));
for (const reader of readers.values()) reader.close();
