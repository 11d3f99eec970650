// Figures for persistence (issue 13), measured side by side in one process:
// 1. The 430 MB Zipf corpus parsed with JS functions (textFile(f).map(l => l.split(' '))),
//    cached, then 5 actions (count twice, then three that decode every cached record):
//    each later action's time as a ratio to the first's.
// 2. MEMORY_AND_DISK on a dataset about 4x larger than storageMemory: the bytes of
//    blocks in memory never pass storageMemory (checked after every job), and the
//    process's peak RSS next to an uncached run of the same job in the same process.
// Run: npm run bench:cache (twice, recording `uptime` next to each run).
import { performance } from 'node:perf_hooks';
import { Kiln } from '../engine/index.js';
import { MB, zipfCorpus } from './corpus.js';

const rss = (): number => process.resourceUsage().maxRSS * 1024;

async function cachedActions(path: string): Promise<void> {
  const kiln = await Kiln.start({ workers: 2, memory: '1536m', storageMemory: '1280m' });
  try {
    const ds = kiln.textFile(path).map((l) => l.split(' ')).cache();
    const times: number[] = [];
    let n = 0;
    // count() of a stored block reads its record count; the other actions decode every record.
    const actions: [string, () => Promise<number>][] = [
      ['count', () => ds.count()],
      ['count', () => ds.count()],
      ['map(a => a.length).sum()', () => ds.map((a) => a.length).sum()],
      ['filter(a => a.length > 20).count()', () => ds.filter((a) => a.length > 20).count()],
      ['map(a => a[0]).distinct().count()', () => ds.map((a) => a[0]).distinct().count()],
    ];
    const names: string[] = [];
    for (const [name, run] of actions) {
      const t = performance.now();
      const v = await run();
      if (name === 'count') n = v;
      times.push(performance.now() - t);
      names.push(`${name} = ${v}`);
    }
    const s = kiln.storage.figures(ds.id)!;
    console.log(`cached JS parse, 430 MB, 2 workers: ${n} lines; cached ${(s.memoryBytes / MB).toFixed(0)} MB in memory, ${(s.diskBytes / MB).toFixed(0)} MB on disk`);
    times.forEach((ms, i) => console.log(`  action ${i + 1} ${names[i]}: ${(ms / 1000).toFixed(2)} s${i === 0 ? '' : `  (${(times[0]! / ms).toFixed(1)}x faster than action 1)`}`));
  } finally {
    await kiln.stop();
  }
}

async function memoryAndDisk(path: string): Promise<void> {
  const storageMemory = 128 * 2 ** 20;
  const kiln = await Kiln.start({ workers: 2, memory: '512m', storageMemory });
  try {
    const before = rss();
    const ds = kiln.textFile(path).map((l) => l.split(' ')).persist('MEMORY_AND_DISK');
    let peakHeld = 0;
    for (let i = 0; i < 3; i++) {
      await ds.count();
      peakHeld = Math.max(peakHeld, kiln.storage.memoryBytes);
    }
    const s = kiln.lastJobMetrics!.storage![0]!;
    const total = s.memoryBytes + s.diskBytes;
    console.log(`MEMORY_AND_DISK, storageMemory ${storageMemory / 2 ** 20} MiB, dataset ${(total / MB).toFixed(0)} MB encoded (${(total / storageMemory).toFixed(1)}x storageMemory):`);
    console.log(`  blocks in memory at most ${(peakHeld / 2 ** 20).toFixed(1)} MiB (after each job); ${(s.diskBytes / MB).toFixed(0)} MB on disk; evictions ${s.evictions} in the last job`);
    console.log(`  peak RSS ${(rss() / 2 ** 20).toFixed(0)} MiB (${(before / 2 ** 20).toFixed(0)} MiB before the jobs)`);
  } finally {
    await kiln.stop();
  }
}

const path = await zipfCorpus(430e6);
await cachedActions(path);
await memoryAndDisk(path);
