// Side-by-side figures for the paths issue 16 changed, each against the Unix tool it
// stands in for, in one run: `kiln distinct --count` against `LC_ALL=C sort | uniq -c`
// (the byte-level line sort replaced a combiner + sortByKey path), and `kiln
// wordcount` of a directory of 20 000 tiny files against mawk (small files are packed
// into splits). Policy: outputs are checked byte-equal (word counts as sorted lines)
// before anything is timed; tools alternate run by run; medians, with peak RSS.
// Usage: node dist/bench/correctness-paths.js [RUNS] [--size 1g]
import { mkdirSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_DIR, zipfCorpus } from './corpus.js';
import { KILN_CLI } from './compare/tools.js';
import { runTimed, type Command } from './compare/runner.js';
import { parseBytes } from './compare/tasks.js';

interface Pair {
  name: string;
  kiln: Command;
  peer: Command;
  peerLabel: string;
  /** Bytes of output to compare: identical, or sorted lines (word counts are unordered in mawk). */
  compare: 'bytes' | 'sorted-lines';
}

const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const sizeAt = args.indexOf('--size');
const size = sizeAt >= 0 ? parseBytes(args[sizeAt + 1]!) : 1e9;

/** A directory of `n` tiny files (two short lines each), made once under bench/data. */
function smallFiles(n: number): string {
  const dir = join(DATA_DIR, `small-files-${n}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${String(i).padStart(6, '0')}.txt`), `hello world ${i}\nline two ${i % 100} of ${i % 7}\n`);
  writeFileSync(join(dir, '.complete'), '');
  return dir;
}

const kilnCmd = (...a: string[]): Command => ({ argv: [process.execPath, KILN_CLI, ...a, '--quiet', '--progress', 'never'] });
const sh = (script: string, ...a: string[]): Command => ({ argv: ['sh', '-c', script, 'sh', ...a], env: { LC_ALL: 'C' } });

const corpus = await zipfCorpus(size);
const small = smallFiles(20_000);
const pairs: Pair[] = [
  { name: `distinct --count, ${(size / 1e9).toFixed(2)} GB zipf`, kiln: kilnCmd('distinct', '--count', corpus), peer: sh('sort "$1" | uniq -c', corpus), peerLabel: 'LC_ALL=C sort | uniq -c', compare: 'bytes' },
  {
    name: 'wordcount, 20 000 tiny files',
    kiln: kilnCmd('wordcount', '--no-lowercase', small),
    peer: sh(`mawk '{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) print w, c[w] }' "$1"/*`, small),
    peerLabel: 'mawk',
    compare: 'sorted-lines',
  },
];

const work = join(tmpdir(), `kiln-bench-paths-${process.pid}`);
mkdirSync(work, { recursive: true });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const normalized = (path: string, how: Pair['compare']): Buffer =>
  how === 'bytes' ? readFileSync(path) : Buffer.from(readFileSync(path).toString('latin1').split('\n').filter(Boolean).sort().join('\n'), 'latin1');

console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(', ')}; ${runs} alternating runs each\n`);
console.log('| case | tool | wall, median (min-max) | peak RSS | time / kiln |');
console.log('|---|---|---:|---:|---:|');
try {
  for (const p of pairs) {
    const k = join(work, 'kiln.out');
    const g = join(work, 'peer.out');
    const first = [await runTimed(p.kiln, k, join(work, 'm1')), await runTimed(p.peer, g, join(work, 'm2'))];
    if (first.some((r) => r.code !== 0)) throw new Error(`${p.name}: a tool failed: ${first.map((r) => r.stderr).join(' | ')}`);
    if (!normalized(k, p.compare).equals(normalized(g, p.compare))) throw new Error(`${p.name}: outputs differ (${k} vs ${g})`);
    const times: Record<'kiln' | 'peer', number[]> = { kiln: [], peer: [] };
    const rss: Record<'kiln' | 'peer', number[]> = { kiln: [], peer: [] };
    for (let i = 0; i < runs; i++) {
      for (const who of i % 2 === 0 ? (['kiln', 'peer'] as const) : (['peer', 'kiln'] as const)) {
        const r = await runTimed(who === 'kiln' ? p.kiln : p.peer, join(work, `${who}.run`), join(work, `${who}.mem`));
        times[who].push(r.wallMs / 1000);
        if (r.peakKiB) rss[who].push(r.peakKiB / 1024);
      }
    }
    const row = (who: 'kiln' | 'peer', label: string): string =>
      `| ${p.name} | ${label} | ${median(times[who]).toFixed(2)} s (${Math.min(...times[who]).toFixed(2)}-${Math.max(...times[who]).toFixed(2)}) | ${rss[who].length ? `${Math.round(Math.max(...rss[who]))} MiB` : '?'} | ${(median(times[who]) / median(times.kiln)).toFixed(2)}x |`;
    console.log(row('kiln', 'kiln (CLI default workers)'));
    console.log(row('peer', p.peerLabel));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\nload average at end: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);
