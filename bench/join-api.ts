// `npm run bench:join`: the join issue's embedded-API figures, as ratios in one run.
// Each run is a fresh child process; the two tools alternate; medians of N.
//  - kiln, auto strategy (it broadcasts the dimension side), 2 workers:
//      textFile(fact).map(line -> [key, rest]).join(textFile(dim).map(...))
//        .map(([k, [v, w]]) => `${k},${v},${w}`) and the rows' count and total length;
//  - a plain single-threaded Node Map-join a user would write: the dimension file
//    into a Map, then the fact file in 64 KiB chunks, one lookup per line, the same
//    row string made, counted and measured.
// Both print {rows, chars}; the figures are checked equal before they count.
// Usage: node dist/bench/join-api.js [runs] [factBytes]
//        node dist/bench/join-api.js --run kiln|node FACT
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { joinCorpus, joinDimensionPath } from './corpus.js';

interface Result {
  rows: number;
  chars: number;
  wallMs: number;
  strategy?: string;
}

async function runKiln(fact: string): Promise<Result> {
  const started = performance.now();
  const { Kiln } = await import('../engine/index.js');
  const kiln = await Kiln.start({ workers: 2 });
  try {
    const split = (line: string): [string, string] => {
      const c = line.indexOf(',');
      return [line.slice(0, c), line.slice(c + 1)];
    };
    const rows = kiln
      .textFile(fact)
      .map(split)
      .join(kiln.textFile(joinDimensionPath(fact)).map(split))
      .map(([k, [v, w]]) => `${k},${v},${w}`);
    const [n, chars] = await rows.map((r) => [1, r.length] as [number, number]).fold([0, 0], (a, b) => [a[0] + b[0], a[1] + b[1]]);
    const strategy = kiln.lastJobMetrics?.joins[0]?.decision.strategy;
    return { rows: n, chars, wallMs: performance.now() - started, ...(strategy ? { strategy } : {}) };
  } finally {
    await kiln.stop();
  }
}

function runNode(fact: string): Result {
  const started = performance.now();
  const dim = new Map<string, string>();
  for (const line of readFileSync(joinDimensionPath(fact), 'utf8').split('\n')) {
    if (line === '') continue;
    const c = line.indexOf(',');
    dim.set(line.slice(0, c), line.slice(c + 1));
  }
  let rows = 0;
  let chars = 0;
  const fd = openSync(fact, 'r');
  const buf = Buffer.alloc(64 * 1024);
  let carry = '';
  const line = (l: string): void => {
    const c = l.indexOf(',');
    const k = l.slice(0, c);
    const w = dim.get(k);
    if (w === undefined) return;
    const row = `${k},${l.slice(c + 1)},${w}`;
    rows++;
    chars += row.length;
  };
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    const lines = (carry + buf.toString('latin1', 0, n)).split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) line(l);
  }
  if (carry) line(carry);
  closeSync(fd);
  return { rows, chars, wallMs: performance.now() - started };
}

const args = process.argv.slice(2);
if (args[0] === '--run') {
  const r = args[1] === 'kiln' ? await runKiln(args[2]!) : runNode(args[2]!);
  console.log(JSON.stringify(r));
} else {
  const runs = Number(args[0] ?? 3);
  const fact = joinCorpus(Number(args[1] ?? 250e6));
  const self = fileURLToPath(import.meta.url);
  const once = (tool: string): Result & { processMs: number } => {
    const t = performance.now();
    const out = execFileSync(process.execPath, [self, '--run', tool, fact], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return { ...(JSON.parse(out.trim().split('\n').pop()!) as Result), processMs: performance.now() - t };
  };
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  const times: Record<string, number[]> = { kiln: [], node: [] };
  let check: Result | undefined;
  let strategy = '';
  for (let i = 0; i < runs; i++) {
    for (const tool of i % 2 === 0 ? ['kiln', 'node'] : ['node', 'kiln']) {
      const r = once(tool);
      if (check && (check.rows !== r.rows || check.chars !== r.chars)) throw new Error(`${tool} produced ${r.rows} rows / ${r.chars} chars, expected ${check.rows} / ${check.chars}`);
      check = r;
      if (r.strategy) strategy = r.strategy;
      times[tool]!.push(r.processMs);
      console.error(`[join-api] ${tool} run ${i + 1}: ${(r.processMs / 1000).toFixed(2)} s (${r.rows} rows)`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const k = median(times.kiln!);
  const n = median(times.node!);
  console.log(`fact ${fact} (${check!.rows} joined rows), load before ${load}, after ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);
  console.log(`kiln (auto: ${strategy}), 2 workers: median ${(k / 1000).toFixed(2)} s of [${times.kiln!.map((x) => (x / 1000).toFixed(2)).join(', ')}]`);
  console.log(`plain Node Map-join, 1 thread: median ${(n / 1000).toFixed(2)} s of [${times.node!.map((x) => (x / 1000).toFixed(2)).join(', ')}]`);
  console.log(`plain Node / kiln: ${(n / k).toFixed(2)}x`);
}
