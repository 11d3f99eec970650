// `npm run bench:kernels`: every kernel against the best plain-JS baseline, one thread.
// Usage: node dist/bench/kernels.js [filter]   (filter: substring of case names)
import { cpus, totalmem } from 'node:os';
import { runCase, table, type BenchCase, type BenchRow } from './harness.js';
import { hashCases } from './kernels/hash.js';
import { lineCases } from './kernels/lines.js';
import { tokenizeCases } from './kernels/tokenize.js';
import { combinerCases } from './kernels/combiner.js';
import { sortCases } from './kernels/sort.js';
import { grepCases } from './kernels/grep.js';

const filter = process.argv[2];
const groups: Array<() => Promise<BenchCase[]>> = [hashCases, lineCases, tokenizeCases, combinerCases, sortCases, grepCases];

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
const rows: BenchRow[] = [];
for (const group of groups) {
  for (const c of await group()) {
    if (filter && !c.name.includes(filter)) continue;
    const row = await runCase(c);
    rows.push(row);
    console.error(`  ${row.name}: done`);
  }
}
console.log(table(rows));
