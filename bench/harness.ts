// The kernel microbenchmark harness: each case times a kernel and the best plain-JS
// baseline on the same input in the same run (tinybench, median of several
// iterations) and reports throughput and the ratio. Policy: timing lives here, never
// in tests; every case checks kernel and baseline agree before it is timed.
import { Bench } from 'tinybench';

/** One kernel-versus-baseline comparison. */
export interface BenchCase {
  /** Row name, e.g. "word count (64 MB)". */
  name: string;
  /** Work per iteration, in `unit`s (bytes for MB/s, keys or records for /s). */
  work: number;
  unit: 'MB' | 'keys' | 'records';
  /** What the figure must reach (for the table), e.g. ">= 250 MB/s, >= 8x". */
  target?: string;
  kernel: () => unknown;
  baseline?: { name: string; run: () => unknown };
  /** Throws if kernel and baseline disagree. Runs once before timing. */
  check?: () => void;
  /** Iterations to time (default 5). */
  iterations?: number;
}

/** A measured row. */
export interface BenchRow {
  name: string;
  kernelPerSec: number;
  baselinePerSec: number | undefined;
  baselineName: string | undefined;
  ratio: number | undefined;
  unit: BenchCase['unit'];
  target: string | undefined;
}

function perSecond(work: number, unit: BenchCase['unit'], ms: number): number {
  return (unit === 'MB' ? work / 1e6 : work) / (ms / 1000);
}

/** Times one case: kernel and baseline alternate inside one tinybench run. */
export async function runCase(c: BenchCase): Promise<BenchRow> {
  c.check?.();
  const iterations = c.iterations ?? 5;
  const bench = new Bench({ iterations, time: 0, warmupIterations: 1, warmupTime: 0, throws: true });
  bench.add('kernel', c.kernel);
  if (c.baseline) bench.add('baseline', c.baseline.run);
  await bench.run();
  const median = (name: string): number => {
    const r = bench.getTask(name)?.result;
    if (!r || !('latency' in r)) throw new Error(`benchmark ${c.name}/${name} produced no result`);
    return r.latency.p50;
  };
  const kernelPerSec = perSecond(c.work, c.unit, median('kernel'));
  const baselinePerSec = c.baseline ? perSecond(c.work, c.unit, median('baseline')) : undefined;
  return {
    name: c.name,
    kernelPerSec,
    baselinePerSec,
    baselineName: c.baseline?.name,
    ratio: baselinePerSec ? kernelPerSec / baselinePerSec : undefined,
    unit: c.unit,
    target: c.target,
  };
}

function fmt(v: number | undefined, unit: BenchCase['unit']): string {
  if (v === undefined) return '-';
  if (unit === 'MB') return `${v.toFixed(0)} MB/s`;
  return `${(v / 1e6).toFixed(1)}M ${unit}/s`;
}

/** A markdown table of rows (printed and pasted into bench/README.md). */
export function table(rows: BenchRow[]): string {
  const lines = [
    '| kernel | kernel | baseline | baseline | ratio | target |',
    '|---|---:|---|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmt(r.kernelPerSec, r.unit)} | ${r.baselineName ?? '-'} | ${fmt(r.baselinePerSec, r.unit)} | ${r.ratio ? r.ratio.toFixed(1) + 'x' : '-'} | ${r.target ?? ''} |`,
    );
  }
  return lines.join('\n');
}
