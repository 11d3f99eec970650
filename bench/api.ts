// `npm run bench:api`: issue 12's two figures, as ratios in one run. Each run is a
// fresh process (bench/api-job.ts); the tools alternate; medians of N runs; answers
// are checked before any time counts.
//  - kiln.textFile(f).map(Number).stats() with 2 workers, on a 50M-line file of
//    numbers, vs a plain single-threaded Node script computing the same five figures;
//  - countApproxDistinct(0.01) on the 430 MB Zipf corpus's words vs
//    distinct().count(), and its error against the exact count.
// Usage: node dist/bench/api.js [runs] [lines] [corpusBytes]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, renameSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, seeded, zipfCorpus } from './corpus.js';

const runs = Number(process.argv[2] ?? 3);
const lines = Number(process.argv[3] ?? 50e6);
const corpusBytes = Number(process.argv[4] ?? 430e6);
const job = fileURLToPath(new URL('./api-job.js', import.meta.url));

/** A file of `n` lines of numbers (integers and decimals, some negative), seeded. */
function numbersFile(n: number): string {
  const path = join(DATA_DIR, `numbers-${n}.txt`);
  if (existsSync(path)) return path;
  mkdirSync(DATA_DIR, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const r = seeded(50);
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const x = r();
    chunk += (i % 3 === 0 ? Math.floor(x * 100000) - 20000 : (x * 1000 - 100).toFixed(3)) + '\n';
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

interface Run {
  jobMs: number;
  jobCpuMs: number;
  answer: unknown;
}
const once = (task: string, file: string, workers = 2): Run =>
  JSON.parse(execFileSync(process.execPath, [job, task, file, String(workers)], { encoding: 'utf8', maxBuffer: 1 << 20 }).trim().split('\n').pop()!) as Run;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ');
const loadStart = load();
const nums = numbersFile(lines);
const corpus = await zipfCorpus(corpusBytes);

const stats: Run[] = [];
const plain: Run[] = [];
const hll: Run[] = [];
const exact: Run[] = [];
for (let i = 0; i < runs; i++) {
  stats.push(once('stats', nums));
  plain.push(once('plain-stats', nums));
  hll.push(once('hll', corpus));
  exact.push(once('distinct', corpus));
  console.error(`  run ${i + 1}/${runs}`);
}
const [a, b] = [stats[0]!.answer as number[], plain[0]!.answer as number[]];
a.forEach((x, i) => {
  if (Math.abs(x - b[i]!) > 1e-9 * Math.max(1, Math.abs(b[i]!))) throw new Error(`stats differ from the plain script: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});
const est = hll[0]!.answer as number;
const truth = exact[0]!.answer as number;
const s = median(stats.map((r) => r.jobMs));
const p = median(plain.map((r) => r.jobMs));
const h = median(hll.map((r) => r.jobMs));
const d = median(exact.map((r) => r.jobMs));
const cpu = (runs: Run[]): number => median(runs.map((r) => r.jobCpuMs)) / 1000;
const all = (runs: Run[]): string => runs.map((r) => (r.jobMs / 1000).toFixed(2)).join(', ');
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; medians of ${runs} runs, fresh process each; load average ${loadStart} at the start, ${load()} at the end\n`);
console.log('| figure | kiln | baseline | ratio | target |');
console.log('|---|---:|---:|---:|---|');
console.log(`| stats(), ${lines / 1e6}M lines (${(statSync(nums).size / 1e6).toFixed(0)} MB), 2 workers, vs plain Node | ${(s / 1000).toFixed(2)} s | ${(p / 1000).toFixed(2)} s | ${(p / s).toFixed(2)}x | >= 1.8x |`);
console.log(`| countApproxDistinct(0.01) vs distinct().count(), ${(statSync(corpus).size / 1e6).toFixed(0)} MB words, 2 workers | ${(h / 1000).toFixed(2)} s | ${(d / 1000).toFixed(2)} s | ${(d / h).toFixed(1)}x | >= 5x |`);
console.log(`\nEvery run's wall time (s): stats ${all(stats)}; plain ${all(plain)}; countApproxDistinct ${all(hll)}; distinct().count() ${all(exact)}.`);
console.log(`CPU time, medians (s, all threads): stats ${cpu(stats).toFixed(2)} vs plain ${cpu(plain).toFixed(2)} (${(cpu(plain) / cpu(stats)).toFixed(2)}x less); countApproxDistinct ${cpu(hll).toFixed(2)} vs distinct().count() ${cpu(exact).toFixed(2)} (${(cpu(exact) / cpu(hll)).toFixed(1)}x less).`);
console.log(`\ncountApproxDistinct: ${est} against the exact ${truth}: ${((100 * (est - truth)) / truth).toFixed(2)}% (target within 2%).`);
