// `npm run bench:sort`: kiln's sortLines (2 workers, writeTo a file descriptor) against
// `LC_ALL=C sort --parallel=2 -S 4G` on 1 GB of 100-byte lines (sortCorpus(1e9)).
// Each run is a fresh process (this file with `--child`), timed from spawn to exit, so
// kiln pays its start-up (worker threads, kernel compile, first touch of memory) as sort
// does; the tools alternate; outputs are checked byte-identical (cmp) after the first
// round; figures are medians of N runs, each with the load average (uptime) before it,
// because the 2-core machine is shared.
// Usage: node dist/bench/sort.js [runs] [bytes]
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sortCorpus } from './corpus.js';

const self = fileURLToPath(import.meta.url);

async function child(input: string, output: string, workers: number, partitions?: number): Promise<void> {
  const started = performance.now();
  const { Kiln } = await import('../engine/index.js');
  const imported = performance.now();
  const kiln = await Kiln.start({ workers, memory: '1200m', workerMemory: '512m' });
  const fd = openSync(output, 'w');
  const jobStart = performance.now();
  const summary = await kiln.textFile(input).sortLines(partitions ? { numPartitions: partitions } : {}).writeTo(fd);
  const jobMs = performance.now() - jobStart;
  closeSync(fd);
  const stages = kiln.lastJobMetrics?.stages.map((s) => ({ tasks: s.tasks, maxTaskMs: Math.round(Math.max(...s.metrics.map((m) => m.runMs))) }));
  const stopStart = performance.now();
  await kiln.stop();
  const stopMs = performance.now() - stopStart;
  console.log(JSON.stringify({ jobMs, importMs: imported - started, startMs: jobStart - imported, stopMs, inProcessMs: performance.now() - started, lines: summary.lines, stages }));
}

/** Runs a command under /usr/bin/time: wall time measured here, CPU seconds (user + sys, all threads) from time(1). */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; cpu: string; stdout: string } {
  const timeFile = join(tmpdir(), `kiln-bench-time-${process.pid}`);
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, cmd, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(timeFile, { force: true });
  return { ms, cpu: `${user!.toFixed(1)} + ${sys!.toFixed(1)}`, stdout: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), process.argv[6] ? Number(process.argv[6]) : undefined);
  const runs = Number(process.argv[2] ?? 3);
  const bytes = Number(process.argv[3] ?? 1e9);
  const input = sortCorpus(bytes);
  const outKiln = `${input}.kiln.out`;
  const outSort = `${input}.sort.out`;
  const env = { ...process.env, LC_ALL: 'C' };
  const kilnMs: number[] = [];
  const sortMs: number[] = [];
  const rows: string[] = [];
  // Warm the page cache for both (one untimed read).
  execFileSync('cat', [input], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; i < runs; i++) {
      // A fresh output file each run: truncating last run's 1 GB (and its dirty pages) is not the tool's work.
      rmSync(outKiln, { force: true });
      rmSync(outSort, { force: true });
      const loadK = load();
      const k = timed(process.execPath, [self, '--child', input, outKiln, '2'], env);
      const detail = JSON.parse(k.stdout.trim().split('\n').pop()!) as { jobMs: number; importMs: number; startMs: number; stopMs: number; stages: unknown };
      kilnMs.push(k.ms);
      rows.push(`| ${i + 1} | kiln sortLines, 2 workers | ${(k.ms / 1000).toFixed(2)} s (job ${(detail.jobMs / 1000).toFixed(2)} s) | ${k.cpu} | ${loadK} |`);
      console.error(`run ${i + 1}: kiln ${(k.ms / 1000).toFixed(2)} s, cpu ${k.cpu}, job ${(detail.jobMs / 1000).toFixed(2)} s (import ${detail.importMs.toFixed(0)} ms, start ${detail.startMs.toFixed(0)} ms, stop ${detail.stopMs.toFixed(0)} ms), stages ${JSON.stringify(detail.stages)}, load ${loadK}`);
      const loadS = load();
      const s = timed('sort', ['--parallel=2', '-S', '4G', '-o', outSort, input], env);
      sortMs.push(s.ms);
      rows.push(`| ${i + 1} | LC_ALL=C sort --parallel=2 -S 4G | ${(s.ms / 1000).toFixed(2)} s | ${s.cpu} | ${loadS} |`);
      console.error(`run ${i + 1}: sort ${(s.ms / 1000).toFixed(2)} s, cpu ${s.cpu}, load ${loadS}`);
      if (i === 0) {
        const cmp = spawnSync('cmp', [outKiln, outSort], { stdio: 'inherit' });
        if (cmp.status !== 0) throw new Error('kiln output differs from sort output');
        console.error('outputs byte-identical (cmp)');
      }
    }
  } finally {
    rmSync(outKiln, { force: true });
    rmSync(outSort, { force: true });
  }
  const mk = median(kilnMs);
  const ms = median(sortMs);
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  console.log(`Input: ${input} (${bytes} bytes), ${runs} alternating runs, outputs byte-identical (cmp)\n`);
  console.log('| run | tool | wall (spawn to exit) | CPU s (user + sys) | load avg before (1, 5, 15 min) |');
  console.log('|---|---|---:|---:|---|');
  for (const r of rows) console.log(r);
  console.log(`\nMedian: kiln ${(mk / 1000).toFixed(2)} s, sort ${(ms / 1000).toFixed(2)} s, ratio sort/kiln ${(ms / mk).toFixed(2)}x`);
}

await main();
