// One end-to-end job in a fresh process, for bench/engine.ts: prints one JSON line
// with the job's wall time, the whole process's wall time and its peak RSS (which
// includes the worker threads: they share the process). A fresh process per run
// keeps page-cache warmth equal and makes peak memory per-run.
// Usage: node dist/bench/engine-job.js <kernel|js|plain-kernel|plain-js> FILE [workers]
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { Kiln } from '../engine/index.js';

const processStart = performance.now();
const [task, file, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 2);

/** The plain-JS word count of the issue: per 64 KiB chunk, toLowerCase, split(/\s+/), Map. */
function plainKernelEquivalent(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(64 * 1024);
  let carry = '';
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const text = carry + buf.toString('latin1', 0, n).toLowerCase();
    const words = text.split(/\s+/);
    carry = words.pop() ?? '';
    for (const w of words) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  if (carry) counts.set(carry, (counts.get(carry) ?? 0) + 1);
  closeSync(fd);
  return counts;
}

/** Plain single-threaded Node for the JS-function path: lines, split(' '), Map. */
async function plainJs(path: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let carry = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (carry + chunk).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  if (carry) for (const w of carry.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** CPU milliseconds (user + system, every thread of the process) since `since`. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

let distinct = 0;
let jobMs = 0;
let jobCpuMs = 0;
if (task === 'plain-kernel' || task === 'plain-js') {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const counts = task === 'plain-kernel' ? plainKernelEquivalent(file!) : await plainJs(file!);
  jobMs = performance.now() - t;
  jobCpuMs = cpuMs(cpu);
  distinct = counts.size;
} else {
  // KILN_HUGE_PAGES=0 turns the huge-page advice off, for A/B runs.
  const kiln = await Kiln.start({ workers, hugePages: process.env.KILN_HUGE_PAGES !== '0' });
  const t = performance.now();
  const cpu = process.cpuUsage();
  const counts =
    task === 'kernel'
      ? await kiln.textFile(file!).words({ lowercase: true }).valueCounts().collect()
      : await kiln.textFile(file!).flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).collect();
  jobMs = performance.now() - t;
  jobCpuMs = cpuMs(cpu);
  distinct = counts.length;
  await kiln.stop();
}
console.log(JSON.stringify({ task, workers, jobMs, jobCpuMs, wallMs: performance.now() - processStart, maxRssKB: process.resourceUsage().maxRSS, distinct }));
