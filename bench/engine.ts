// `npm run bench:engine`: the engine issue's end-to-end figures, as ratios in one run.
// Each run is a fresh process (bench/engine-job.ts); tools alternate; medians of N.
//  - kernel path: textFile.words({lowercase}).valueCounts().collect(), 2 workers,
//    vs plain single-threaded Node (64 KiB chunks, toLowerCase, split(/\s+/), Map);
//  - JS-function path: flatMap(split ' ') -> map([w, 1]) -> reduceByKey(+), 2 workers,
//    vs plain single-threaded Node (lines, split(' '), Map);
//  - peak memory of the kernel path on 43 MB and 430 MB.
//  - the JS-function path with 1 worker too (issue 9: >= 1.8x with 2, >= 0.9x with 1).
// Usage: node dist/bench/engine.js [runs] [bigBytes] [js]  (js: only the JS-path rows)
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { zipfCorpus } from './corpus.js';

const runs = Number(process.argv[2] ?? 5);
const bigBytes = Number(process.argv[3] ?? 430e6);
const job = fileURLToPath(new URL('./engine-job.js', import.meta.url));

interface Run {
  jobMs: number;
  wallMs: number;
  maxRssKB: number;
  distinct: number;
}

function once(task: string, file: string, workers = 2): Run {
  const out = execFileSync(process.execPath, [job, task, file, String(workers)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(label: string, file: string, a: [string, number], b: [string, number]): Promise<{ a: Run[]; b: Run[] }> {
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < runs; i++) {
    ra.push(once(a[0], file, a[1]));
    rb.push(once(b[0], file, b[1]));
    console.error(`  ${label}: run ${i + 1}/${runs}`);
  }
  if (median(ra.map((r) => r.distinct)) !== median(rb.map((r) => r.distinct))) {
    throw new Error(`${label}: distinct word counts differ (${ra[0]!.distinct} vs ${rb[0]!.distinct})`);
  }
  return { a: ra, b: rb };
}

const big = await zipfCorpus(bigBytes);
const small = await zipfCorpus(bigBytes / 10);
const mb = statSync(big).size / 1e6;
const rows: string[] = [];
const row = (name: string, runsA: Run[], runsB: Run[], target: string): void => {
  const ka = median(runsA.map((r) => r.jobMs));
  const kb = median(runsB.map((r) => r.jobMs));
  rows.push(`| ${name} | ${(mb / (ka / 1000)).toFixed(0)} MB/s (${(ka / 1000).toFixed(2)} s) | ${(mb / (kb / 1000)).toFixed(0)} MB/s (${(kb / 1000).toFixed(2)} s) | ${(kb / ka).toFixed(1)}x | ${target} |`);
};

const jsOnly = process.argv[4] === 'js';
const k = jsOnly ? undefined : await compare('kernel path', big, ['kernel', 2], ['plain-kernel', 1]);
if (k) row(`kernel path, ${mb.toFixed(0)} MB, 2 workers`, k.a, k.b, '>= 400 MB/s and >= 10x');
const k1 = jsOnly ? undefined : await compare('kernel path 1 worker', big, ['kernel', 1], ['plain-kernel', 1]);
if (k1) row(`kernel path, ${mb.toFixed(0)} MB, 1 worker`, k1.a, k1.b, '');
const j = await compare('JS path', big, ['js', 2], ['plain-js', 1]);
row(`JS-function path, ${mb.toFixed(0)} MB, 2 workers`, j.a, j.b, '>= 1.8x');
const j1 = await compare('JS path 1 worker', big, ['js', 1], ['plain-js', 1]);
row(`JS-function path, ${mb.toFixed(0)} MB, 1 worker`, j1.a, j1.b, '>= 0.9x');

const smallRuns = jsOnly ? [] : Array.from({ length: runs }, () => once('kernel', small, 2));
const memSmall = jsOnly ? 0 : median(smallRuns.map((r) => r.maxRssKB)) / 1024;
const memBig = k ? median(k.a.map((r) => r.maxRssKB)) / 1024 : 0;

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; medians of ${runs} runs, fresh process each, warm page cache\n`);
console.log('| job | kiln | plain single-threaded Node | ratio | target |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) console.log(r);
if (!jsOnly) console.log(`\nPeak RSS of the kernel-path word count (2 workers): ${memSmall.toFixed(0)} MiB on ${(statSync(small).size / 1e6).toFixed(0)} MB, ${memBig.toFixed(0)} MiB on ${mb.toFixed(0)} MB.`);
