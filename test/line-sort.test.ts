// sortLines against the real `LC_ALL=C sort` (and -r, -u) on random byte files, and
// against a plain-JS stable sort for keyBytes; 1 and 2 workers, tiny splits (lines
// cross split edges), several partition counts, and a tiny shuffle budget (spill).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln } from '../engine/index.js';
import type { SortLinesOptions } from '../engine/driver/api/sorted-lines.js';
import type { TaskContext } from '../engine/executor/runtime/task-context.js';
import { announceTurn, orderedOutputWords, outputComplete, writeInTurn } from '../engine/executor/shuffle/ordered-output.js';
import { KilnError } from '../engine/common/errors.js';
import { randInt, rng } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-linesort-'));
const contexts: { name: string; kiln: Kiln }[] = [
  { name: '1 worker', kiln: await Kiln.start({ workers: 1, memory: '16m', workerMemory: '32m', maxPartitionBytes: 700 }) },
  { name: '2 workers', kiln: await Kiln.start({ workers: 2, memory: '16m', workerMemory: '32m', maxPartitionBytes: 333 }) },
  // 4 KiB of shuffle memory: most map blocks spill to disk.
  { name: '2 workers, spill', kiln: await Kiln.start({ workers: 2, memory: '4k', workerMemory: '32m', maxPartitionBytes: 1000, spillDir: join(dir, 'spill') }) },
];

let fileSeq = 0;

/** Random lines: printable, high and control bytes, '\r', NUL, empty lines and duplicates. */
function randomFile(seed: number, lines: number, finalNewline: boolean): string {
  const r = rng(seed);
  const pool: Buffer[] = [];
  const out: Buffer[] = [];
  for (let i = 0; i < lines; i++) {
    let line: Buffer;
    const kind = randInt(r, 10);
    if (kind === 0) line = Buffer.alloc(0);
    else if (kind <= 2 && pool.length > 0) line = pool[randInt(r, pool.length)]!;
    else {
      const len = randInt(r, kind === 3 ? 40 : 12);
      line = Buffer.alloc(len);
      for (let k = 0; k < len; k++) {
        const c = randInt(r, 8);
        // Mostly a small alphabet, so lines share prefixes and tie often.
        line[k] = c < 4 ? 0x61 + randInt(r, 3) : c === 4 ? 0x80 + randInt(r, 128) : c === 5 ? [0, 9, 13, 1][randInt(r, 4)]! : 0x20 + randInt(r, 95);
      }
      if (randInt(r, 3) === 0) pool.push(line);
    }
    out.push(line);
  }
  const path = join(dir, `in-${String(fileSeq++).padStart(5, "0")}.txt`);
  const body = out.map((l, i) => (i < out.length - 1 || finalNewline ? Buffer.concat([l, Buffer.from('\n')]) : l));
  writeFileSync(path, Buffer.concat(body));
  return path;
}

function gnuSort(files: string[], flags: string[]): Buffer {
  return execFileSync('sort', [...flags, ...files], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 28 });
}

async function kilnSort(kiln: Kiln, files: string[], options: SortLinesOptions): Promise<Buffer> {
  const out = join(dir, `out-${fileSeq++}`);
  const fd = openSync(out, 'w');
  try {
    await kiln.textFile(files).sortLines(options).writeTo(fd);
  } finally {
    closeSync(fd);
  }
  const bytes = readFileSync(out);
  rmSync(out);
  return bytes;
}

/** Lines of the concatenated files (each file's last line complete), as buffers. */
function inputLines(files: string[]): Buffer[] {
  const lines: Buffer[] = [];
  for (const f of files) {
    const b = readFileSync(f);
    let start = 0;
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 10) {
        lines.push(b.subarray(start, i));
        start = i + 1;
      }
    }
    if (start < b.length) lines.push(b.subarray(start));
  }
  return lines;
}

/** Plain-JS reference of keyBytes mode: stable sort by the first n bytes (Array.sort is stable). */
function keySortReference(files: string[], n: number, reverse: boolean, unique: boolean): Buffer {
  const key = (l: Buffer): Buffer => l.subarray(0, n);
  const lines = inputLines(files).sort((a, b) => (reverse ? Buffer.compare(key(b), key(a)) : Buffer.compare(key(a), key(b))));
  const kept = unique ? lines.filter((l, i) => i === 0 || Buffer.compare(key(lines[i - 1]!), key(l)) !== 0) : lines;
  return Buffer.concat(kept.flatMap((l) => [l, Buffer.from('\n')]));
}

function diffAt(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length} vs ${b.length}, first difference at byte ${i}: ${JSON.stringify(a.subarray(Math.max(0, i - 20), i + 20).toString('latin1'))} vs ${JSON.stringify(b.subarray(Math.max(0, i - 20), i + 20).toString('latin1'))}`;
}

function assertBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (!actual.equals(expected)) assert.unreachable(`${what}: ${diffAt(actual, expected)}`);
}

const flagSets: { flags: string[]; options: SortLinesOptions }[] = [
  { flags: [], options: {} },
  { flags: ['-r'], options: { reverse: true } },
  { flags: ['-u'], options: { unique: true } },
  { flags: ['-r', '-u'], options: { reverse: true, unique: true } },
];

test('the 0x00 terminator orders prefixes and NUL bytes like memcmp', async () => {
  const path = join(dir, 'nul.txt');
  writeFileSync(path, Buffer.from('a\0b\na\n\na\0\na\t\n\0\na\0\0\nab\na\r\n\0\0\n\ta\na', 'latin1'));
  for (const { name, kiln } of contexts) {
    for (const { flags, options } of flagSets) {
      assertBytes(await kilnSort(kiln, [path], options), gnuSort([path], flags), `${name} sort ${flags.join(' ')}`);
    }
  }
});

test('random files: byte-identical to LC_ALL=C sort, -r, -u, -r -u', async () => {
  let seed = 1;
  for (const { name, kiln } of contexts) {
    for (const partitions of [1, 3, 7]) {
      const files = [randomFile(seed++, 300, true), randomFile(seed++, 1 + (seed % 50), false), randomFile(seed++, 120, seed % 2 === 0)];
      for (const { flags, options } of flagSets) {
        // rangeBytes 200: each reduce partition sorts several key ranges.
        const actual = await kilnSort(kiln, files, { ...options, numPartitions: partitions, ...(partitions === 3 ? { rangeBytes: 200 } : {}) });
        assertBytes(actual, gnuSort(files, flags), `${name}, ${partitions} partitions, sort ${flags.join(' ')}`);
      }
    }
  }
});

test('keyBytes: stable, also under reverse; unique keeps the first line of each key', async () => {
  let seed = 100;
  for (const { name, kiln } of contexts) {
    for (const keyBytes of [1, 2, 5]) {
      const files = [randomFile(seed++, 250, true), randomFile(seed++, 90, false)];
      for (const reverse of [false, true]) {
        for (const unique of [false, true]) {
          const actual = await kilnSort(kiln, files, { keyBytes, reverse, unique, numPartitions: 4, rangeBytes: keyBytes === 2 ? 300 : 1 << 20 });
          assertBytes(actual, keySortReference(files, keyBytes, reverse, unique), `${name}, keyBytes ${keyBytes}${reverse ? ' reverse' : ''}${unique ? ' unique' : ''}`);
        }
      }
    }
  }
});

test('empty input, one line, no final newline, all lines equal', async () => {
  const cases = [Buffer.alloc(0), Buffer.from('x'), Buffer.from('b\na'), Buffer.from('\n\n\n'), Buffer.from('same\n'.repeat(200))];
  for (const { name, kiln } of contexts) {
    for (const body of cases) {
      const path = join(dir, `edge-${fileSeq++}.txt`);
      writeFileSync(path, body);
      for (const { flags, options } of flagSets) {
        assertBytes(await kilnSort(kiln, [path], { ...options, numPartitions: 5, rangeBytes: 100 }), gnuSort([path], flags), `${name} ${JSON.stringify(body.toString().slice(0, 20))} ${flags.join(' ')}`);
      }
    }
  }
});

test('collect, count, explain and saveAsTextFile', async () => {
  const { kiln } = contexts[1]!;
  const files = [randomFile(7, 200, true)];
  const expected = gnuSort(files, ['-u']);
  const sorted = kiln.textFile(files).sortLines({ unique: true, numPartitions: 3 });
  const plan = sorted.explain();
  assert.match(plan, /sortLines merge \(unique\)/);
  assert.match(plan, /partitioned sort/);
  assert.is(await sorted.count(), expected.toString('latin1').split('\n').length - 1);
  const ascii = join(dir, 'ascii.txt');
  writeFileSync(ascii, 'pear\napple\nfig\napple\n');
  assert.equal(await kiln.textFile(ascii).sortLines().collect(), ['apple', 'apple', 'fig', 'pear']);
  const outDir = join(dir, 'saved');
  await sorted.saveAsTextFile(outDir);
  const parts = readdirSync(outDir).filter((f) => f.startsWith('part-')).sort();
  assert.ok(readdirSync(outDir).includes('_SUCCESS'));
  assertBytes(Buffer.concat(parts.map((p) => readFileSync(join(outDir, p)))), expected, 'saveAsTextFile parts');
});

test('ordered output: out-of-order partitions park and are written in order exactly once', () => {
  const u8 = new Uint8Array(64);
  const ctx = { rt: { u8 }, checkCancelled: () => undefined } as unknown as TaskContext;
  const out = join(dir, 'ordered.out');
  const fd = openSync(out, 'w');
  const turn = new SharedArrayBuffer(4 * orderedOutputWords(4));
  const target = { fd, turn, parkDir: join(dir, 'park'), label: out };
  const copy = { ptr: 32, size: 3 };
  const write = (p: number, text: string): void => {
    u8.set(Buffer.from(text), 0);
    writeInTurn(ctx, target, p, { kind: 'memory', ptr: 0, len: text.length }, copy);
  };
  try {
    // Partition 2 finishes first while 0 and 1 have not started: it parks at once.
    announceTurn(turn, 2);
    write(2, 'two\n');
    write(0, 'zero\n');
    assert.is(readFileSync(out, 'utf8'), 'zero\n');
    // 1 writes itself, then the parked 2 (copied through a 3-byte buffer); 3 follows.
    write(1, 'one\n');
    write(3, 'three\n');
    write(3, 'again\n');
  } finally {
    closeSync(fd);
  }
  assert.is(readFileSync(out, 'utf8'), 'zero\none\ntwo\nthree\n');
  assert.equal(readdirSync(join(dir, 'park')), []);
  assert.ok(outputComplete(turn, 4));
});

test('ordered output: a failed write is never retried in place, and the output is reported incomplete', () => {
  const u8 = new Uint8Array(64);
  const ctx = { rt: { u8 }, checkCancelled: () => undefined } as unknown as TaskContext;
  // /dev/full fails every write with ENOSPC, as a full disk does.
  const fd = openSync('/dev/full', 'w');
  const turn = new SharedArrayBuffer(4 * orderedOutputWords(2));
  const target = { fd, turn, parkDir: join(dir, 'park-full'), label: 'the test file' };
  u8.set(Buffer.from('zero\n'), 0);
  const attempt = (): unknown => {
    try {
      writeInTurn(ctx, target, 0, { kind: 'memory', ptr: 0, len: 5 }, { ptr: 32, size: 16 });
      return undefined;
    } catch (e) {
      return e;
    }
  };
  try {
    const first = attempt();
    assert.instance(first, KilnError);
    assert.is((first as KilnError).kind, 'resources');
    assert.ok((first as KilnError).noRetry, 'a failed shared write must not be retried');
    assert.match((first as KilnError).message, /no space left on device writing the test file: at least 5 more bytes/);
    // A retry of the same partition (the scheduler would not make one) refuses too.
    const second = attempt();
    assert.instance(second, KilnError);
    assert.ok((second as KilnError).noRetry);
    assert.match((second as KilnError).message, /earlier attempt/);
  } finally {
    closeSync(fd);
  }
  assert.not.ok(outputComplete(turn, 2));
});

test.after(async () => {
  for (const { kiln } of contexts) await kiln.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.run();
