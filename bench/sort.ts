// `npm run bench:sort`: kiln's sortLines (2 workers, writeTo a file descriptor) against
// `LC_ALL=C sort --parallel=2 -S 4G` on 1 GB of 100-byte lines (sortCorpus(1e9)).
// Each run is a fresh process (this file with `--child`), timed from spawn to exit, so
// kiln pays its start-up (worker threads, kernel compile, first touch of memory) as sort
// does; the tools alternate; outputs are checked byte-identical (cmp) after the first
// round; figures are medians of N runs, each with the load average (uptime) before it,
// because the 2-core machine is shared.
// Usage: node dist/bench/sort.js [runs] [bytes]
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sortCorpus } from './corpus.js';

const self = fileURLToPath(import.meta.url);

async function child(input: string, output: string, workers: number): Promise<void> {
  const started = performance.now();
  const { Kiln } = await import('../engine/index.js');
  const kiln = await Kiln.start({ workers, memory: '1200m', workerMemory: '512m' });
  const fd = openSync(output, 'w');
  const jobStart = performance.now();
  const summary = await kiln.textFile(input).sortLines().writeTo(fd);
  const jobMs = performance.now() - jobStart;
  closeSync(fd);
  const stages = kiln.lastJobMetrics?.stages.map((s) => ({ tasks: s.tasks, maxTaskMs: Math.round(Math.max(...s.metrics.map((m) => m.runMs))) }));
  await kiln.stop();
  console.log(JSON.stringify({ jobMs, inProcessMs: performance.now() - started, lines: summary.lines, stages }));
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  return { ms, stdout: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
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
      const loadK = load();
      const k = timed(process.execPath, [self, '--child', input, outKiln, '2'], env);
      const detail = JSON.parse(k.stdout.trim().split('\n').pop()!) as { jobMs: number; stages: unknown };
      kilnMs.push(k.ms);
      rows.push(`| ${i + 1} | kiln sortLines, 2 workers | ${(k.ms / 1000).toFixed(2)} s (job ${(detail.jobMs / 1000).toFixed(2)} s) | ${loadK} |`);
      console.error(`run ${i + 1}: kiln ${(k.ms / 1000).toFixed(2)} s, job ${(detail.jobMs / 1000).toFixed(2)} s, stages ${JSON.stringify(detail.stages)}, load ${loadK}`);
      const loadS = load();
      const s = timed('sort', ['--parallel=2', '-S', '4G', '-o', outSort, input], env);
      sortMs.push(s.ms);
      rows.push(`| ${i + 1} | LC_ALL=C sort --parallel=2 -S 4G | ${(s.ms / 1000).toFixed(2)} s | ${loadS} |`);
      console.error(`run ${i + 1}: sort ${(s.ms / 1000).toFixed(2)} s, load ${loadS}`);
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
  console.log('| run | tool | wall (spawn to exit) | load avg before |');
  console.log('|---|---|---:|---|');
  for (const r of rows) console.log(r);
  console.log(`\nMedian: kiln ${(mk / 1000).toFixed(2)} s, sort ${(ms / 1000).toFixed(2)} s, ratio sort/kiln ${(ms / mk).toFixed(2)}x`);
}

await main();
