// Long records (issue 11): lines longer than a sort run, than the split reader's chunk
// buffer and than a split, through every CLI command, against GNU tools (LC_ALL=C
// sort, sort -u, uniq -c, grep) and the plain-TS word count, with workers 0, 1 and 2.
// Sizes are kept small by small settings instead of big data: --memory 1m makes sort
// runs of 64 KiB, so a 200 KiB line is longer than a run; the split reader's chunk is
// 4 MiB, so a 5 MiB line makes it grow; --split-size 1m makes that line span six
// splits (Hadoop's rule: the split where a line starts owns it). The maxRecordBytes
// limit is tried on purpose. The 300 MB line against GNU tools is in bench/long-lines.sh
// (it takes over 40 s here with GNU's runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wordcountReference } from './reference/wordcount.js';
import { kiln, tempDir, tool } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('longrec');
const r = rng(20261202);

/** A line of `bytes` bytes of words (letters and spaces, a tab now and then), no '\n'. */
function longLine(bytes: number, alphabet = 'abcdefgh'): string {
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const len = 1 + randInt(r, 9);
    let w = '';
    for (let i = 0; i < len; i++) w += alphabet[randInt(r, alphabet.length)]!;
    const sep = randInt(r, 13) === 0 ? '\t' : ' ';
    out.push(w, sep);
    n += len + 1;
  }
  return out.join('').slice(0, bytes);
}

/** Short lines, with duplicates, around `longs`: several long lines, two equal, one a prefix of another. */
function fileWith(longs: string[]): string {
  const short = ['b', 'a', 'zz', '', 'a', 'needle here', 'b'];
  const lines: string[] = [];
  for (let i = 0; i < longs.length; i++) lines.push(...short.slice(0, 2 + (i % 5)), longs[i]!);
  lines.push(...short);
  return `${lines.join('\n')}\n`;
}

const base = longLine(200 * 1024);
const sortInput = fileWith([base, longLine(150 * 1024), base, `${base}x`, longLine(300 * 1024, 'xyz'), base.slice(0, 90 * 1024)]);
const sortFile = join(dir, 'sort.txt');
writeFileSync(sortFile, sortInput);

const big = `${longLine(5 * 1024 * 1024 + 777)}needle`;
const wordInput = fileWith([big, longLine(100 * 1024)]);
const wordFile = join(dir, 'words.txt');
writeFileSync(wordFile, wordInput);

const WORKERS = ['0', '1', '2'];

test('sort, distinct and distinct --count: lines longer than a sort run, vs GNU sort / uniq -c', () => {
  const input = Buffer.from(sortInput);
  const sorted = tool('sort', [], input);
  const unique = tool('sort', ['-u'], input);
  const counted = tool('uniq', ['-c'], sorted);
  for (const w of WORKERS) {
    for (const p of [w === '2' ? '3' : '1']) {
      const flags = ['--workers', w, '--partitions', p, '--memory', '1m', '--quiet', sortFile];
      const s = kiln(['sort', ...flags]);
      assert.is(s.code, 0, s.stderr);
      assert.ok(s.stdout.equals(sorted), `sort -w ${w} -p ${p}: ${s.stdout.length} bytes, want ${sorted.length}`);
      const d = kiln(['distinct', ...flags]);
      assert.is(d.code, 0, d.stderr);
      assert.ok(d.stdout.equals(unique), `distinct -w ${w} -p ${p}`);
    }
  }
  const c = kiln(['distinct', '--count', '--workers', '2', '--memory', '1m', '--quiet', sortFile]);
  assert.is(c.code, 0, c.stderr);
  assert.ok(c.stdout.equals(counted), 'distinct --count');
  const rev = kiln(['sort', '-r', '--workers', '1', '--memory', '1m', '--quiet', sortFile]);
  assert.ok(rev.stdout.equals(tool('sort', ['-r'], input)), 'sort -r');
});

test('wordcount: a 5 MiB line over many splits counts each word once, vs the plain-TS count', () => {
  const want = wordcountReference(Buffer.from(wordInput), { lowercase: true, nonAlnum: false });
  for (const w of WORKERS) {
    for (const split of w === '2' ? ['1m', '128m'] : ['1m']) {
      const run = kiln(['wordcount', '--workers', w, '--split-size', split, '--quiet', wordFile]);
      assert.is(run.code, 0, run.stderr);
      assert.is(run.stdout.toString('utf8'), want, `wordcount -w ${w} --split-size ${split}`);
    }
  }
});

test('grep: a 5 MiB line over many splits, literal and regex, vs GNU grep', () => {
  const input = Buffer.from(wordInput);
  // The literal runs at every worker count; the other two patterns at one each (each
  // run is a whole process over 5 MiB, and the split handling they share is the same).
  const cases: [string[], readonly string[]][] = [[['needle'], WORKERS], [['-c', 'a'], ['1']], [['-E', 'h.?ee?dle'], ['2']]];
  for (const [args, workers] of cases) {
    const want = tool('grep', args, input);
    for (const w of workers) {
      const run = kiln(['grep', '--workers', w, '--split-size', '1m', '--quiet', ...args, wordFile]);
      assert.is(run.code === 0 || run.code === 1, true, run.stderr);
      assert.ok(run.stdout.equals(want), `grep ${args.join(' ')} -w ${w}: ${run.stdout.length} bytes, want ${want.length}`);
    }
  }
});

test('maxRecordBytes: a longer line is one clear error naming the file, the offset and the setting', () => {
  const offset = wordInput.indexOf(big);
  for (const command of [['wordcount'], ['grep', 'needle']]) {
    for (const w of ['0', '2']) {
      const run = kiln([...command, '--workers', w, '--max-record-bytes', '4500k', '--quiet', wordFile]);
      assert.is(run.code, 1, `${command[0]}: ${run.stderr}`);
      assert.match(run.stderr, wordFile);
      assert.match(run.stderr, `byte ${offset}`);
      assert.match(run.stderr, 'maxRecordBytes');
      assert.match(run.stderr, '--max-record-bytes');
      assert.not.match(run.stderr, /\n\s+at /, 'no stack trace without --debug');
      assert.is(run.stdout.length, 0);
    }
  }
  // Under the limit the same file passes.
  const ok = kiln(['wordcount', '--workers', '1', '--max-record-bytes', '6m', '--quiet', wordFile]);
  assert.is(ok.code, 0, ok.stderr);
  const bad = kiln(['wordcount', '--max-record-bytes', 'lots', wordFile]);
  assert.is(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, '--max-record-bytes');
});

test.run();
