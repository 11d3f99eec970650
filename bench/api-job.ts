// One run of an issue-12 figure in a fresh process, for bench/api.ts: prints one JSON
// line with the job's wall time and its answer (checked equal across tools by the
// driver), and its CPU time (every thread of the process), which a loaded shared
// machine disturbs less than wall time. Usage: node dist/bench/api-job.js TASK FILE [workers]
//   stats        kiln.textFile(f).map(Number).stats()
//   plain-stats  single-threaded Node: 1 MiB chunks, lines by indexOf, Number, Welford
//   hll          kiln.textFile(f).words().countApproxDistinct(0.01)
//   distinct     kiln.textFile(f).words().distinct().count()
import { closeSync, openSync, readSync } from 'node:fs';
import { Kiln } from '../engine/index.js';

const [task, file, workersArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 2);

/** The five figures (count, mean, stdev, max, min) in one pass over the lines, as plainly as Node allows. */
function plainStats(path: string): number[] {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let carry = '';
  let n = 0;
  let mu = 0;
  let m2 = 0;
  let max = -Infinity;
  let min = Infinity;
  const add = (x: number): void => {
    const d = x - mu;
    n++;
    mu += d / n;
    m2 += d * (x - mu);
    if (x > max) max = x;
    if (x < min) min = x;
  };
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    const text = carry + buf.toString('latin1', 0, got);
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
      add(Number(text.slice(from, nl)));
      from = nl + 1;
    }
    carry = text.slice(from);
  }
  if (carry) add(Number(carry));
  closeSync(fd);
  return [n, mu, Math.sqrt(m2 / n), max, min];
}

/** CPU milliseconds (user + system, every thread of the process) since `since`. */
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

const t = performance.now();
const cpu0 = process.cpuUsage();
let answer: unknown;
if (task === 'plain-stats') {
  answer = plainStats(file!);
} else {
  const kiln = await Kiln.start({ workers });
  const started = performance.now();
  const cpu = process.cpuUsage();
  if (task === 'stats') {
    const s = await kiln.textFile(file!).map(Number).stats();
    answer = [s.count, s.mean, s.stdev, s.max, s.min];
  } else if (task === 'hll') {
    answer = await kiln.textFile(file!).words().countApproxDistinct(0.01);
  } else if (task === 'distinct') {
    answer = await kiln.textFile(file!).words().distinct().count();
  } else throw new Error(`unknown task ${task}`);
  const jobMs = performance.now() - started;
  const jobCpuMs = cpuMs(cpu);
  await kiln.stop();
  console.log(JSON.stringify({ task, workers, jobMs, jobCpuMs, answer }));
  process.exit(0);
}
console.log(JSON.stringify({ task, workers: 1, jobMs: performance.now() - t, jobCpuMs: cpuMs(cpu0), answer }));
