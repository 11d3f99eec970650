// Issue 9's question: on the candidate lines the grep kernel's prefilter leaves, does
// a maintained regex engine compiled to WASM (Google's RE2, the re2-wasm package)
// test lines faster than V8's RegExp (Irregexp, which compiles patterns to native
// code)? Each engine tests the same JS strings (the engine's candidate lines are
// strings: grep-source.ts decodes them), patterns from bench/README.md's grep cases.
// Runs alternate engines, 5 each, and report the median; answers are checked equal.
// Run: npm run build --silent && node dist/bench/regex-engines.js
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { RE2 } from 're2-wasm';
import { zipfCorpus } from './corpus.js';

const text = readFileSync(await zipfCorpus(64e6)).toString('latin1');
const lines = text.split('\n');
lines.pop();

/** One case: the pattern, and the literal the kernel prefilters lines with ('' = every line). */
const CASES: readonly { pattern: string; literal: string }[] = [
  { pattern: 'th[a-z]+e', literal: 'th' },
  { pattern: '(and|the) [a-z]+ing', literal: '' },
  { pattern: '[0-9]{5}', literal: '' },
  { pattern: 'q[a-z]*z', literal: 'q' },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${lines.length} lines, 64 MB Zipf corpus`);
console.log('| pattern | candidate lines | V8 RegExp | RE2 (re2-wasm) | RE2 / V8 time |');
console.log('|---|---:|---:|---:|---:|');
for (const c of CASES) {
  const candidates = c.literal ? lines.filter((l) => l.includes(c.literal)) : lines;
  const v8 = new RegExp(c.pattern);
  const re2 = new RE2(c.pattern, 'u');
  const engines: [string, (l: string) => boolean][] = [
    ['v8', (l) => v8.test(l)],
    ['re2', (l) => re2.test(l)],
  ];
  const counts = engines.map(([, t]) => candidates.reduce((n, l) => (t(l) ? n + 1 : n), 0));
  if (counts[0] !== counts[1]) throw new Error(`${c.pattern}: V8 counted ${counts[0]}, RE2 ${counts[1]}`);
  const times: number[][] = engines.map(() => []);
  for (let run = 0; run < 5; run++) {
    engines.forEach(([, t], i) => {
      const t0 = performance.now();
      let n = 0;
      for (const l of candidates) if (t(l)) n++;
      times[i]!.push(performance.now() - t0);
      if (n !== counts[0]) throw new Error('count changed');
    });
  }
  const [a, b] = times.map(median) as [number, number];
  console.log(`| \`${c.pattern}\` | ${candidates.length} (${counts[0]} match) | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(b / a).toFixed(1)}x |`);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
