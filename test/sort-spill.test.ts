// Out-of-core sorts (issue 11): every sort path and `kiln distinct` under memory
// budgets of 16 MiB, 64 MiB and the default, x workers 1 and 2, against one expected
// answer each (DuckDB's out-of-core test shape): `LC_ALL=C sort` (and `| uniq -c`)
// for the line sorts, byte for byte, and plain-JS stable sorts for keyBytes and the
// keyed sorts. The inputs are skewed — thousands of identical lines, one hot key — so
// a key range is larger than a run under every budget and the sorts really spill
// sorted runs: the result stage's spill bytes are asserted above 0 (map blocks spill
// in the map stage, which does not count here). Worker spans are 64 MiB in every case
// (the runs are cut from the budget and the span: engine/executor/sort/memory-plan.ts), so the
// default budget spills on a 10 MB input too. Then a full disk while spilling runs: a
// clear error naming the directory and the bytes, and nothing left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareKeys, Kiln } from '../engine/index.js';
import type { SortLinesOptions } from '../engine/driver/api/sorted-lines.js';
import { KILN } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-sortspill-'));
const BUDGETS = ['16m', '64m', undefined] as const;
const WORKERS = [1, 2] as const;
const SPAN = '64m';
const SPLIT = 2 << 20;

/**
 * ~10 MB: 60 000 identical 100-byte lines, 40 000 lines with the key "HOTKEY" and
 * distinct tails (key-mode stability), and 100 000 random lines (NUL, '\r', high
 * bytes, empty lines, repeats), shuffled together.
 */
function makeInput(): string {
  const r = rng(1111);
  const lines: Buffer[] = [];
  const same = Buffer.from('SAME'.padEnd(99, '=') + '\n');
  for (let i = 0; i < 60_000; i++) lines.push(same);
  for (let i = 0; i < 40_000; i++) lines.push(Buffer.from(`HOTKEY ${randInt(r, 1e9)} ${i}\n`));
  const pool: Buffer[] = [];
  for (let i = 0; i < 100_000; i++) {
    const kind = randInt(r, 10);
    let line: Buffer;
    if (kind === 0) line = Buffer.alloc(0);
    else if (kind === 1 && pool.length > 0) line = pool[randInt(r, pool.length)]!;
    else {
      line = Buffer.alloc(1 + randInt(r, 20));
      for (let k = 0; k < line.length; k++) {
        const c = randInt(r, 40);
        line[k] = c === 0 ? 0 : c === 1 ? 0x0d : c === 2 ? 0x80 + randInt(r, 128) : 0x21 + randInt(r, 90);
      }
      pool.push(line);
    }
    lines.push(Buffer.concat([line, Buffer.from('\n')]));
  }
  for (let i = lines.length - 1; i > 0; i--) {
    const j = randInt(r, i + 1);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  const path = join(dir, 'input.txt');
  writeFileSync(path, Buffer.concat(lines));
  return path;
}

const input = makeInput();
const cSort = (args: string[]): Buffer => execFileSync('sort', [...args, input], { env: { LC_ALL: 'C' }, maxBuffer: 1 << 28 });
/** Lines of the input without '\n', as buffers. */
const inputLines = ((): Buffer[] => {
  const bytes = readFileSync(input);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const nl = bytes.indexOf(0x0a, at);
    out.push(bytes.subarray(at, nl));
    at = nl + 1;
  }
  return out;
})();
/** Stable sort on the first `n` bytes (`sort -s -k1.1,1.n` in bytes); reverse: descending keys, equal keys in input order. */
function keySorted(n: number, reverse: boolean): Buffer {
  const idx = inputLines.map((_, i) => i);
  idx.sort((a, b) => {
    const d = Buffer.compare(inputLines[a]!.subarray(0, n), inputLines[b]!.subarray(0, n));
    return (reverse ? -d : d) || a - b;
  });
  return Buffer.concat(idx.flatMap((i) => [inputLines[i]!, Buffer.from('\n')]));
}

const expected: { name: string; options: SortLinesOptions; bytes: Buffer }[] = [
  { name: 'sort', options: {}, bytes: cSort([]) },
  { name: 'sort -r', options: { reverse: true }, bytes: cSort(['-r']) },
  { name: 'sort -u', options: { unique: true }, bytes: cSort(['-u']) },
  { name: 'sort | uniq -c', options: { count: true }, bytes: execFileSync('sh', ['-c', 'sort "$1" | uniq -c', 'sh', input], { env: { LC_ALL: 'C' }, maxBuffer: 1 << 28 }) },
  { name: 'keyBytes 6', options: { keyBytes: 6 }, bytes: keySorted(6, false) },
  { name: 'keyBytes 6, reverse', options: { keyBytes: 6, reverse: true }, bytes: keySorted(6, true) },
];

/** Spill bytes of the last job's result (reduce) stage: the sort's runs and spilled outputs. */
function reduceSpill(kiln: Kiln): number {
  const stages = kiln.lastJobMetrics!.stages.filter((s) => s.kind === 'result');
  return stages.reduce((sum, s) => sum + s.metrics.reduce((t, m) => t + m.spillBytes, 0), 0);
}

for (const memory of BUDGETS) {
  for (const workers of WORKERS) {
    const label = `memory ${memory ?? 'default'}, ${workers} worker${workers > 1 ? 's' : ''}`;
    test(`sortLines spills and matches LC_ALL=C sort: ${label}`, async () => {
      const spillDir = join(dir, `spill-${memory}-${workers}`);
      const kiln = await Kiln.start({ workers, workerMemory: SPAN, maxPartitionBytes: SPLIT, spillDir, ...(memory ? { memory } : {}) });
      try {
        for (const e of expected) {
          const out = join(dir, `out-${memory}-${workers}`);
          const fd = openSync(out, 'w');
          try {
            await kiln.textFile(input, { encoding: 'latin1' }).sortLines(e.options).writeTo(fd);
          } finally {
            closeSync(fd);
          }
          const got = readFileSync(out);
          assert.ok(got.equals(e.bytes), `${e.name}, ${label}: ${got.length} bytes, expected ${e.bytes.length}`);
          assert.ok(reduceSpill(kiln) > 0, `${e.name}, ${label}: the reduce side spilled`);
        }
        // The generic path (strings) and a part-file output, through the same runs.
        const lines = await kiln.textFile(input, { encoding: 'latin1' }).sortLines({ unique: true }).collect();
        assert.ok(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1').equals(expected[2]!.bytes), `collect, ${label}`);
        assert.ok(reduceSpill(kiln) > 0, `collect, ${label}: spilled`);
        const saved = join(dir, `saved-${memory}-${workers}`);
        await kiln.textFile(input, { encoding: 'latin1' }).sortLines({ reverse: true }).saveAsTextFile(saved);
        const parts = readdirSync(saved).filter((f) => f.startsWith('part-')).sort();
        assert.ok(Buffer.concat(parts.map((p) => readFileSync(join(saved, p)))).equals(expected[1]!.bytes), `saveAsTextFile, ${label}`);
        rmSync(saved, { recursive: true });
      } finally {
        await kiln.stop();
      }
      assert.not.ok(existsSync(spillDir) && readdirSync(spillDir).length > 0, `${label}: no spill files left`);
    });

    test(`sortByKey, sortBy and repartitionAndSortWithinPartitions spill and match a stable JS sort: ${label}`, async () => {
      const kiln = await Kiln.start({ workers, workerMemory: SPAN, spillDir: join(dir, `kspill-${memory}-${workers}`), ...(memory ? { memory } : {}) });
      try {
        const r = rng(77);
        const pad = 'v'.repeat(250);
        // A hot key (one partition larger than any run) and mostly distinct keys of mixed types.
        const records: [unknown, string][] = [];
        for (let i = 0; i < 60_000; i++) {
          const k = randInt(r, 3) === 0 ? 'hot' : randInt(r, 2) === 0 ? randInt(r, 1e6) : `k${randInt(r, 1e6)}`;
          records.push([k, `${pad}${i}`]);
        }
        const stable = (asc: boolean): [unknown, string][] =>
          records.map((x, i) => [x, i] as const).sort((a, b) => (asc ? compareKeys(a[0][0], b[0][0]) : compareKeys(b[0][0], a[0][0])) || (asc ? a[1] - b[1] : b[1] - a[1])).map((x) => x[0]);
        const ds = kiln.parallelize(records, 4);
        assert.equal(await ds.sortByKey(true, 2).collect(), stable(true), `sortByKey ascending, ${label}`);
        assert.ok(reduceSpill(kiln) > 0, `sortByKey, ${label}: spilled runs`);
        assert.equal(await ds.sortByKey(false, 2).collect(), stable(false), `sortByKey descending, ${label}`);
        assert.ok(reduceSpill(kiln) > 0, `sortByKey descending, ${label}: spilled runs`);
        assert.equal(await ds.sortBy((x) => x[0], true, 2).collect(), stable(true), `sortBy, ${label}`);
        assert.ok(reduceSpill(kiln) > 0, `sortBy, ${label}: spilled runs`);
        const parts = await ds.repartitionAndSortWithinPartitions(2).glom().collect();
        assert.ok(reduceSpill(kiln) > 0, `repartitionAndSortWithinPartitions, ${label}: spilled runs`);
        for (const part of parts) {
          for (let i = 1; i < part.length; i++) assert.ok(compareKeys(part[i - 1]![0], part[i]![0]) <= 0, `partition sorted, ${label}`);
        }
        const flat = parts.flat().map((x) => JSON.stringify(x)).sort();
        assert.equal(flat, records.map((x) => JSON.stringify(x)).sort(), `repartitionAndSortWithinPartitions keeps every record, ${label}`);
      } finally {
        await kiln.stop();
      }
    });
  }
}

test('kiln sort and kiln distinct spill and are byte-identical to LC_ALL=C sort, under each budget', () => {
  const cases: [string[], Buffer][] = [
    [['sort'], expected[0]!.bytes],
    [['sort', '-r'], expected[1]!.bytes],
    [['distinct'], expected[2]!.bytes],
    [['distinct', '--count'], expected[3]!.bytes],
  ];
  for (const memory of BUDGETS) {
    for (const workers of WORKERS) {
      for (const [args, want] of cases) {
        const metrics = join(dir, 'metrics.json');
        const flags = ['--workers', String(workers), '--worker-memory', SPAN, '--split-size', String(SPLIT), '--quiet', '--metrics', metrics, ...(memory ? ['--memory', memory] : [])];
        const r = spawnSync(process.execPath, [KILN, ...args, ...flags, input], { maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
        const what = `kiln ${args.join(' ')}, memory ${memory ?? 'default'}, ${workers} workers`;
        assert.is(r.status, 0, `${what}: ${r.stderr}`);
        assert.ok(r.stdout.equals(want), `${what}: ${r.stdout.length} bytes, expected ${want.length}`);
        const job = JSON.parse(readFileSync(metrics, 'utf8')) as { jobs?: { stages: { kind: string; metrics: { spillBytes: number }[] }[] }[]; stages?: { kind: string; metrics: { spillBytes: number }[] }[] };
        const stages = job.stages ?? job.jobs!.flatMap((j) => j.stages);
        const spill = stages.filter((s) => s.kind === 'result').reduce((t, s) => t + s.metrics.reduce((u, m) => u + m.spillBytes, 0), 0);
        assert.ok(spill > 0, `${what}: the reduce side spilled`);
      }
    }
  }
});

test('a full disk while spilling sort runs: one clear line naming the directory and the bytes, nothing left', () => {
  const mountPoint = join(dir, 'disk');
  mkdirSync(mountPoint);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]).status !== 0) {
    console.log('  (sort-spill: cannot mount a tmpfs here — not root? — so the full-disk case is skipped)');
    return;
  }
  try {
    // The spill directory goes in $TMPDIR: the 1 MiB disk. The default budget keeps the
    // map blocks in memory, so what fills the disk is the reduce side's runs.
    for (const args of [['sort'], ['distinct', '--count']]) {
      const r = spawnSync(process.execPath, [KILN, ...args, '--workers', '2', '--worker-memory', SPAN, '--split-size', String(SPLIT), '--quiet', input], {
        maxBuffer: 1 << 28,
        env: { ...process.env, NO_COLOR: '1', TMPDIR: mountPoint },
      });
      const what = `kiln ${args.join(' ')}`;
      assert.is(r.status, 1, `${what}: exit code (stderr: ${r.stderr})`);
      const err = r.stderr.toString();
      assert.match(err, /^kiln: error: .*no space left on device spilling a sort run to /, `${what}: message: ${err}`);
      assert.ok(err.includes(mountPoint), `${what}: names the directory: ${err}`);
      assert.match(err, /\d+ more bytes of the run could not be written/, `${what}: names the bytes: ${err}`);
      assert.is(err.trimEnd().split('\n').length, 1, `${what}: one line: ${err}`);
      assert.equal(readdirSync(mountPoint), [], `${what}: nothing left on the disk`);
    }
  } finally {
    spawnSync('umount', ['-l', mountPoint]);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
