// textFile and words() end to end: every split size of a small file (CRLF, empty lines,
// no final newline, a line longer than the split) yields each line exactly once, in
// order; the kernel word path agrees with a plain-JS reference, with and without
// lowercasing and in both split modes, including bytes >= 0x80.
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, KilnError } from '../engine/index.js';
import { randInt, rng } from './support/random.js';
import { rejects } from './support/rejects.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-textfile-'));
const kiln = await Kiln.start({ workers: 2, memory: '64m', workerMemory: '64m' });

/** Lines as Hadoop's LineRecordReader yields them: split on \n, one \r before it dropped. */
function referenceLines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

test('every split size of a tricky file gives every line once, in order', async () => {
  const text = 'first\r\n\nsecond line\r\n' + 'x'.repeat(40) + '\n\n\r\nlast without newline';
  const path = join(dir, 'tricky.txt');
  writeFileSync(path, text);
  const expected = referenceLines(text);
  for (let size = 1; size <= text.length + 1; size++) {
    const lines = await kiln.textFile(path, { maxPartitionBytes: size, minPartitions: 1 }).collect();
    assert.equal(lines, expected, `split size ${size}`);
  }
});

test('many small files are packed into few partitions and read in path order', async () => {
  const sub = join(dir, 'many');
  mkdirSync(sub);
  const expected: string[] = [];
  for (let i = 0; i < 30; i++) {
    const name = `f${String(i).padStart(2, '0')}.txt`;
    writeFileSync(join(sub, name), `a${i}\nb${i}\n`);
    expected.push(`a${i}`, `b${i}`);
  }
  const ds = kiln.textFile(sub);
  assert.ok(ds.numPartitions <= 2, `${ds.numPartitions} partitions`);
  assert.equal(await ds.collect(), expected);
  assert.equal(await kiln.textFile(join(sub, 'f0*.txt')).count(), 20);
});

function wordsReference(text: string, lowercase: boolean, nonAlnum: boolean): Map<string, number> {
  const bytes = Buffer.from(text, 'latin1');
  const counts = new Map<string, number>();
  let start = -1;
  const sep = (c: number): boolean => (nonAlnum ? c < 0x80 && !/[0-9A-Za-z]/.test(String.fromCharCode(c)) : c === 0x20 || (c >= 9 && c <= 13));
  for (let i = 0; i <= bytes.length; i++) {
    const isSep = i === bytes.length || sep(bytes[i]!);
    if (!isSep && start < 0) start = i;
    if (isSep && start >= 0) {
      let w = bytes.subarray(start, i);
      if (lowercase) w = Buffer.from(w.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)));
      const key = w.toString('utf8');
      counts.set(key, (counts.get(key) ?? 0) + 1);
      start = -1;
    }
  }
  return counts;
}

test('words().valueCounts() (kernel path) equals a plain-JS reference', async () => {
  const r = rng(21);
  const alphabet = 'aAbBzZ09 \t\n\r,.-\u00e9\u65e5';
  let text = '';
  for (let i = 0; i < 20000; i++) text += alphabet[randInt(r, alphabet.length)];
  const path = join(dir, 'words.txt');
  writeFileSync(path, text);
  const latin1 = Buffer.from(text).toString('latin1');
  for (const lowercase of [false, true]) {
    for (const split of ['whitespace', 'nonalnum'] as const) {
      const expected = wordsReference(latin1, lowercase, split === 'nonalnum');
      const ds = kiln.textFile(path, { maxPartitionBytes: 997 }).words({ lowercase, split });
      assert.equal(new Map(await ds.valueCounts(3).collect()), expected, `lowercase=${lowercase} split=${split}`);
      // The same words as JS strings, counted by JS.
      const viaJs = new Map<string, number>();
      for (const w of await ds.collect()) viaJs.set(w, (viaJs.get(w) ?? 0) + 1);
      assert.equal(viaJs, expected, `words as strings, lowercase=${lowercase} split=${split}`);
    }
  }
  assert.match(kiln.textFile(path).words().valueCounts().explain(), /WASM kernel: tokenize/);
});

test('kernel word counts in a row on one context reuse thread tables; input records are the words', async () => {
  const r = rng(22);
  for (const workers of [1, 2]) {
    const ctx = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
    try {
      // Vocabularies of very different sizes, so a kept table is sometimes far too big,
      // sometimes too small for the next task.
      for (const [i, vocabulary] of [5000, 3, 20000, 40].entries()) {
        const words = Array.from({ length: 30000 }, () => `W${randInt(r, vocabulary)}${'x'.repeat(randInt(r, 20))}`);
        const text = words.join(randInt(r, 2) ? ' ' : '\n');
        const path = join(dir, `row-${workers}-${i}.txt`);
        writeFileSync(path, text);
        const expected = wordsReference(text, true, false);
        for (const parts of [1, 3, 17]) {
          const got = await ctx.textFile(path, { minPartitions: parts, maxPartitionBytes: Math.ceil(text.length / parts) }).words({ lowercase: true }).valueCounts(parts).collect();
          assert.equal(new Map(got), expected, `workers ${workers}, vocabulary ${vocabulary}, ${parts} partitions`);
          const map = ctx.lastJobMetrics!.stages.find((s) => s.kind === 'shuffleMap')!;
          assert.is(map.metrics.reduce((n, m) => n + m.inputRecords, 0), words.length, 'input records');
        }
      }
    } finally {
      await ctx.stop();
    }
  }
});

test('a missing input fails at once with an input error naming the file', () => {
  try {
    kiln.textFile(join(dir, 'nope.txt'));
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, KilnError);
    assert.is((e as KilnError).kind, 'input');
    assert.match((e as Error).message, /nope\.txt/);
  }
});

test('saveAsTextFile commits atomically and refuses an existing directory', async () => {
  const out = join(dir, 'out');
  await kiln.parallelize(['a', 'b', 'c'], 2).map((x) => [x, 1]).saveAsTextFile(out);
  const again = await kiln.textFile(out).collect();
  assert.equal(again, ["('a', 1)", "('b', 1)", "('c', 1)"]);
  await rejects(() => kiln.parallelize(['x']).saveAsTextFile(out), /exists|overwrite/);
  await rejects(() => kiln.parallelize([1, 2], 2).map((x) => {
    if (x === 2) throw new Error('boom');
    return x;
  }).saveAsTextFile(join(dir, 'failed')), /boom/);
  try {
    kiln.textFile(join(dir, 'failed'));
    assert.unreachable('a failed save leaves nothing behind');
  } catch (e) {
    assert.match((e as Error).message, /no such file/);
  }
});

test.after(async () => {
  await kiln.stop();
  rmSync(dir, { recursive: true, force: true });
});
test.run();
