// Figures for persistence (issue 13). Each measurement runs in a child process of
// its own (this file run with `--child NAME`), so one's heap and maxRSS do not
// pollute the next:
// 1. The 430 MB Zipf corpus parsed with JS functions (textFile(f).map(l => l.split(' '))),
//    cached, then 5 actions (count twice, then three that read every cached record):
//    each later action's time as a ratio to the first's. Run at MEMORY_ONLY (decoded
//    copies in the workers' heaps, tasks on the thread holding them) and, side by
//    side, MEMORY_ONLY_SER (encoded blocks only, decoded by every read).
// 2. MEMORY_AND_DISK on a dataset about 4x larger than storageMemory: the bytes of
//    blocks in memory (both tiers) never pass storageMemory (checked after every
//    job), and the process's peak RSS next to the same jobs without persisting (the
//    engine's own footprint), each in a fresh process; at MEMORY_AND_DISK and, side
//    by side, MEMORY_AND_DISK_SER (no decoded copies).
// Run: npm run bench:cache (twice, recording `uptime` next to each run); the run writes
// its section of bench/RESULTS.md (--no-results: print only).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Kiln } from '../engine/index.js';
import { MB, zipfCorpus } from './corpus.js';
import { withCacheSection } from './compare/report.js';

const MiB = 2 ** 20;
const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

/** What a child prints (one JSON line). */
interface ChildReport {
  readonly lines: string[];
  readonly peakRssBytes: number;
}

async function cachedActions(path: string, level: 'MEMORY_ONLY' | 'MEMORY_ONLY_SER'): Promise<ChildReport> {
  // Room for every partition in both tiers (decoded copies are ~4x the encoded bytes).
  const kiln = await Kiln.start({ workers: 2, memory: '2560m', storageMemory: '2560m' });
  try {
    const ds = kiln.textFile(path).map((l) => l.split(' ')).persist(level);
    const times: number[] = [];
    // count() of a stored block reads its record count; the other actions read every record.
    const actions: [string, () => Promise<number>][] = [
      ['count()', () => ds.count()],
      ['count()', () => ds.count()],
      ['map(a => a.length).sum()', () => ds.map((a) => a.length).sum()],
      ['filter(a => a.length > 20).count()', () => ds.filter((a) => a.length > 20).count()],
      ['map(a => a[0]).distinct().count()', () => ds.map((a) => a[0]).distinct().count()],
    ];
    const lines: string[] = [];
    const tiers: string[] = [];
    for (const [name, run] of actions) {
      const t = performance.now();
      const v = await run();
      times.push(performance.now() - t);
      lines.push(`${name} = ${v}`);
      const f = kiln.lastJobMetrics!.storage!.find((x) => x.datasetId === ds.id)!;
      tiers.push(`hits ${f.hits} (decoded ${f.decodedHits}, encoded ${f.encodedHits}), misses ${f.misses}`);
    }
    const s = kiln.storage.figures(ds.id)!;
    const out = [
      `${level}, 430 MB, 2 workers, ${ds.getNumPartitions()} partitions: ${(s.memoryBytes / MB).toFixed(0)} MB in memory (decoded copies ${(s.decodedBytes / MB).toFixed(0)} MB estimated, ${s.decodedPartitions} partitions), ${(s.diskBytes / MB).toFixed(0)} MB on disk`,
      ...times.map((ms, i) => `  action ${i + 1} ${lines[i]}: ${(ms / 1000).toFixed(2)} s${i === 0 ? '' : `  (${(times[0]! / ms).toFixed(1)}x faster than action 1)`}; ${tiers[i]}`),
    ];
    return { lines: out, peakRssBytes: peakRss() };
  } finally {
    await kiln.stop();
  }
}

async function memoryAndDisk(path: string, level: 'MEMORY_AND_DISK' | 'MEMORY_AND_DISK_SER' | undefined): Promise<ChildReport> {
  const persist = level !== undefined;
  const storageMemory = 112 * MiB;
  // 16 MiB splits: blocks (~18 MB encoded, ~75 MB decoded) smaller than storageMemory, so memory holds some.
  const kiln = await Kiln.start({ workers: 2, memory: '512m', storageMemory, maxPartitionBytes: '16m' });
  try {
    const parsed = kiln.textFile(path).map((l) => l.split(' '));
    const ds = level ? parsed.persist(level) : parsed;
    let peakHeld = 0;
    let count = 0;
    for (let i = 0; i < 3; i++) {
      // filter().count() reads every record (count() of a stored block would not).
      count = await ds.filter((a) => a.length > 0).count();
      peakHeld = Math.max(peakHeld, kiln.storage.memoryBytes);
    }
    const lines = [`${level ?? 'not persisted'}, storageMemory ${storageMemory / MiB} MiB, memory 512 MiB, ${ds.getNumPartitions()} partitions, 3 jobs of filter(a => a.length > 0).count() = ${count}:`];
    if (persist) {
      const s = kiln.storage.figures(ds.id)!;
      const encoded = s.memoryBytes - s.decodedBytes + s.diskBytes;
      const job = kiln.lastJobMetrics!.storage!.find((f) => f.datasetId === ds.id)!;
      lines.push(`  dataset ${(encoded / MB).toFixed(0)} MB encoded (${(encoded / storageMemory).toFixed(1)}x storageMemory); blocks in memory at most ${(peakHeld / MiB).toFixed(1)} MiB after a job (now ${(s.memoryBytes / MiB).toFixed(1)} MiB: decoded ${(s.decodedBytes / MiB).toFixed(1)} MiB in ${s.decodedPartitions} partitions); ${(s.diskBytes / MB).toFixed(0)} MB on disk`);
      lines.push(`  last job: hits ${job.hits} (decoded ${job.decodedHits}, encoded ${job.encodedHits}), misses ${job.misses}, evictions ${job.evictions}, decoded evictions ${job.decodedEvictions}`);
    }
    return { lines, peakRssBytes: peakRss() };
  } finally {
    await kiln.stop();
  }
}

/** Runs one measurement in a fresh process and returns its report. */
function child(name: string): ChildReport {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildReport;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
const path = await zipfCorpus(430e6);
const at = process.argv.indexOf('--child');
if (at >= 0) {
  const name = process.argv[at + 1];
  const report =
    name === 'MEMORY_ONLY' || name === 'MEMORY_ONLY_SER' ? await cachedActions(path, name) : name === 'MEMORY_AND_DISK' || name === 'MEMORY_AND_DISK_SER' ? await memoryAndDisk(path, name) : await memoryAndDisk(path, undefined);
  console.log(JSON.stringify(report));
} else {
  const out: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    out.push(line);
  };
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const before = load();
  say(`load average before: ${before}`);
  for (const name of ['MEMORY_ONLY', 'MEMORY_ONLY_SER']) {
    const r = child(name);
    r.lines.forEach(say);
    say(`  peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB; load average ${load()}`);
  }
  const base = child('none');
  base.lines.forEach(say);
  say(`  peak RSS ${(base.peakRssBytes / MiB).toFixed(0)} MiB (the engine's own, the baseline)`);
  for (const name of ['MEMORY_AND_DISK', 'MEMORY_AND_DISK_SER']) {
    const r = child(name);
    r.lines.forEach(say);
    say(`  peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB: ${((r.peakRssBytes - base.peakRssBytes) / MiB).toFixed(0)} MiB above the baseline (storageMemory 112 MiB); load average ${load()}`);
  }
  // This run's part of bench/RESULTS.md (the peer comparison keeps it when it rewrites the rest).
  if (!process.argv.includes('--no-results')) {
    const results = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'RESULTS.md');
    const section = `## Persistence (issue 13)\n\nGenerated by \`npm run bench:cache\` (bench/cache.ts) on ${started} UTC, each measurement in a child process of its own; 2 workers, the 430 MB Zipf corpus; load average (1, 5, 15 min) before ${before}, after ${load()} (a shared machine: noisy). bench/README.md, "Persistence (issue 13)", reads these figures.\n\n\`\`\`\n${out.join('\n')}\n\`\`\``;
    writeFileSync(results, withCacheSection(results, existsSync(results) ? readFileSync(results, 'utf8') : '', section));
    console.log(`wrote ${results}`);
  }
}
