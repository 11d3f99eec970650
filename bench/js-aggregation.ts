// `npm run bench:js-agg`: the JS-combiner figure of issue 11 — reduceByKey((a, b) => a + b)
// through the JS path (a shipped function, not a built-in) over a file of distinct
// keys, one per line, with Kiln.start({ memory, workers: 2 }); and the same count by
// a plain single-threaded Node Map, as a user would write it. Each run is one process
// (run it under /usr/bin/time -v for peak RSS); it prints keys, the sum of counts, wall
// time and the spill metrics.
// Usage: node dist/bench/js-aggregation.js kiln FILE [memory] [workers]
//        node dist/bench/js-aggregation.js node FILE
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';

async function runKiln(file: string, memory: string, workers: number): Promise<void> {
  const started = performance.now();
  const { Kiln } = await import('../engine/index.js');
  const kiln = await Kiln.start({ memory, workers });
  try {
    const [keys, total] = await kiln
      .textFile(file)
      .map((l: string) => [l, 1] as [string, number])
      .reduceByKey((a: number, b: number) => a + b)
      .map(([, n]) => [1, n] as [number, number])
      .fold([0, 0], (a, b) => [a[0] + b[0], a[1] + b[1]]);
    const stages = kiln.lastJobMetrics?.stages ?? [];
    const all = stages.flatMap((s) => s.metrics);
    const spillBytes = all.reduce((s, m) => s + m.spillBytes, 0);
    const spills = all.reduce((s, m) => s + (m.aggregationSpills ?? 0), 0);
    console.log(JSON.stringify({ tool: 'kiln', memory, workers, keys, total, wallMs: Math.round(performance.now() - started), spills, spillBytes, load: loadavg()[0] }));
  } finally {
    await kiln.stop();
  }
}

async function runNode(file: string): Promise<void> {
  const started = performance.now();
  const counts = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  let total = 0;
  for (const n of counts.values()) total += n;
  console.log(JSON.stringify({ tool: 'node Map', keys: counts.size, total, wallMs: Math.round(performance.now() - started), load: loadavg()[0] }));
}

const [tool, file, memory = '256m', workers = '2'] = process.argv.slice(2);
if (!file) throw new Error('usage: js-aggregation.js kiln|node FILE [memory] [workers]');
await (tool === 'node' ? runNode(file) : runKiln(file, memory, Number(workers)));
