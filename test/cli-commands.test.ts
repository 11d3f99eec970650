// The kiln commands, run as the real binary, against Unix tools (LC_ALL=C sort, grep -E,
// uniq -c) and a plain-TS word count on seeded random input. Inputs are cut into many
// small splits (--split-size) over two workers so partitioning and ordering across
// partitions are exercised, not just one task.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { wordcountReference } from './reference/wordcount.js';
import { kiln, tempDir, tool } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('cmd');
const r = rng(20240611);
const ENGINE = ['--workers', '1', '--split-size', '2k', '--quiet'];
// Two workers where the order of results across workers matters most.
const ENGINE2 = ['--workers', '2', '--split-size', '2k', '--quiet'];

// Words: ASCII with case and punctuation, and non-ASCII whose UTF-16 order differs
// from byte order (U+E000, U+FFFD vs an astral character).
const VOCAB = ['the', 'The', 'THE', 'a', 'cat,', 'dog.', 'x', 'é', 'café', '\u{e000}x', '\u{fffd}', '😀', 'naïve', 'foo-bar', "it's", '42', 'a1b2'];
const SEPS = [' ', ' ', ' ', '  ', '\t', ' \v', '\f'];

function randomText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = randInt(r, 12);
    const words: string[] = [];
    for (let j = 0; j < n; j++) words.push(VOCAB[randInt(r, VOCAB.length)]! + (randInt(r, 9) === 0 ? VOCAB[randInt(r, VOCAB.length)]! : ''));
    out.push(words.map((w, j) => (j ? SEPS[randInt(r, SEPS.length)] : '') + w).join(''));
  }
  return `${out.join('\n')}\n`;
}

/** Lines for sort: random bytes of valid UTF-8 (incl. high code points), empties, duplicates. */
function randomLines(count: number): string {
  const pool = ['', ' ', 'a', 'A', 'ab', 'a b', 'a\tb', '~', '\u0001', '\u007f', 'é', 'e\u0301', '\u{e000}', '\u{ffff}', '𝄞', '😀z', 'zz', '0', '10', '9'];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    if (randInt(r, 10) === 0 && lines.length > 0) {
      lines.push(lines[randInt(r, lines.length)]!); // duplicate
      continue;
    }
    const parts = randInt(r, 5);
    let s = '';
    for (let j = 0; j < parts; j++) s += pool[randInt(r, pool.length)]!;
    lines.push(s);
  }
  return `${lines.join('\n')}\n`;
}

const corpus = [randomText(800), randomText(600)];
const corpusFiles = corpus.map((text, i) => {
  const f = join(dir, `words${i}.txt`);
  writeFileSync(f, text);
  return f;
});
const sortFile = join(dir, 'lines.txt');
writeFileSync(sortFile, randomLines(3000));

test('wordcount: countwords defaults, then --no-lowercase --split nonalnum, then --top', () => {
  const all = Buffer.from(corpus.join(''));
  const run1 = kiln(['wordcount', ...ENGINE2, ...corpusFiles]);
  assert.is(run1.code, 0, run1.stderr);
  assert.is(run1.stdout.toString('utf8'), wordcountReference(all, { lowercase: true, nonAlnum: false }));
  const run2 = kiln(['wordcount', ...ENGINE, '--no-lowercase', '--split', 'nonalnum', dir + '/words*.txt']);
  assert.is(run2.code, 0, run2.stderr);
  assert.is(run2.stdout.toString('utf8'), wordcountReference(all, { lowercase: false, nonAlnum: true }));
  const run3 = kiln(['wordcount', ...ENGINE, '--top', '7', corpusFiles[0]!]);
  assert.is(run3.stdout.toString('utf8'), wordcountReference(Buffer.from(corpus[0]!), { lowercase: true, nonAlnum: false, top: 7 }));
});

test('wordcount --format json (JSON Lines)', () => {
  const text = wordcountReference(Buffer.from(corpus[0]!), { lowercase: true, nonAlnum: false, top: 3 });
  const json = kiln(['wordcount', ...ENGINE, '--top', '3', '--format', 'json', corpusFiles[0]!]);
  const rows = json.stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { word: string; count: number });
  assert.equal(rows.map((x) => `${x.word} ${x.count}\n`).join(''), text);
});

test('sort is byte-identical to LC_ALL=C sort, with -r, -u and -r -u', () => {
  const input = readFileSync(sortFile);
  for (const flags of [[], ['-r'], ['-r', '-u']]) {
    const run = kiln(['sort', ...(flags.length ? ENGINE : ENGINE2), ...flags, sortFile]);
    assert.is(run.code, 0, run.stderr);
    assert.ok(run.stdout.equals(tool('sort', flags, input)), `sort ${flags.join(' ')}`);
  }
});

test('sort --key-bytes N is a stable sort on the first N bytes (with -r, -u)', () => {
  const input = readFileSync(sortFile);
  const lines = input.toString('utf8').split('\n').slice(0, -1);
  const key = (l: string): Buffer => Buffer.from(l).subarray(0, 2);
  for (const flags of [['-r'], ['-u']]) {
    const reverse = flags.includes('-r');
    const sorted = lines
      .map((l, i) => ({ l, i }))
      .sort((a, b) => (reverse ? Buffer.compare(key(b.l), key(a.l)) : Buffer.compare(key(a.l), key(b.l))) || a.i - b.i)
      .map((x) => x.l);
    const expected = flags.includes('-u') ? sorted.filter((l, i) => i === 0 || !key(l).equals(key(sorted[i - 1]!))) : sorted;
    const run = kiln(['sort', ...ENGINE, '--key-bytes', '2', ...flags, sortFile]);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout.toString('utf8'), expected.map((l) => `${l}\n`).join(''), `--key-bytes 2 ${flags.join(' ')}`);
  }
});

test('distinct is sort -u; distinct --count is sort | uniq -c', () => {
  const input = readFileSync(sortFile);
  const plain = kiln(['distinct', ...ENGINE, sortFile]);
  assert.ok(plain.stdout.equals(tool('sort', ['-u'], input)));
  const counted = kiln(['distinct', ...ENGINE, '--count', sortFile]);
  assert.ok(counted.stdout.equals(tool('uniq', ['-c'], tool('sort', [], input))));
});

test('grep selects what grep -E / -F select; prefixes names and counts per file', () => {
  const text = 'The cat sat.\nthe dog\n*star*\na.b*c\nfoo{1}\nxxyzz\n\nTHE END\nabc abd\n[x] 12\n';
  const f1 = join(dir, 'g1.txt');
  const f2 = join(dir, 'g2.txt');
  writeFileSync(f1, text);
  writeFileSync(f2, 'no match here\nthe third\n');
  // The translation itself is checked pattern by pattern in cli-regex.test.ts.
  const cases: string[][] = [
    ['-i', '\\<the\\>'],
    ['-F', 'a.b*'],
    ['-E', '*star|[[:digit:]]{2}'],
  ];
  for (const args of cases) {
    const run = kiln(['grep', '--quiet', ...args, f1]);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout.toString('utf8'), tool('grep', args.includes('-F') ? args : ['-E', ...args.filter((a) => a !== '-E')], Buffer.from(text)).toString('utf8'), args.join(' '));
  }
  const multi = kiln(['grep', '--quiet', 'the', 'g1.txt', 'g2.txt'], { cwd: dir });
  assert.is(multi.stdout.toString('utf8'), 'g1.txt:the dog\ng2.txt:the third\n');
  const counts = kiln(['grep', '--quiet', '-c', 'the', 'g1.txt', 'g2.txt'], { cwd: dir });
  assert.is(counts.stdout.toString('utf8'), spawnGrep(['-c', 'the', 'g1.txt', 'g2.txt'], dir));
});

test('grep on binary input: "binary file matches" on stderr, as GNU grep 3.5+; -c counts NUL-separated pieces', () => {
  const bin = join(dir, 'bin.dat');
  writeFileSync(bin, Buffer.from('abc\0abc\nxyz\nabc\n', 'latin1'));
  writeFileSync(join(dir, 'txt.txt'), 'abc\n');
  const run = kiln(['grep', '--quiet', 'abc', 'bin.dat', 'txt.txt'], { cwd: dir });
  assert.is(run.code, 0);
  assert.is(run.stdout.toString('utf8'), spawnGrep(['abc', 'bin.dat', 'txt.txt'], dir));
  assert.match(run.stderr, /^kiln: bin\.dat: binary file matches$/m);
  const count = kiln(['grep', '--quiet', '-c', 'abc', 'bin.dat'], { cwd: dir });
  assert.is(count.stdout.toString('utf8'), spawnGrep(['-c', 'abc', 'bin.dat'], dir));
  // Other commands treat the bytes as bytes.
  const sorted = kiln(['sort', '--quiet', 'bin.dat'], { cwd: dir });
  assert.ok(sorted.stdout.equals(tool('sort', [bin])));
});

test('explain prints stages and kernels without running; run calls the script with (kiln, args)', () => {
  const explained = kiln(['explain', 'wordcount', '--workers', '2', corpusFiles[0]!]);
  assert.is(explained.code, 0, explained.stderr);
  assert.match(explained.stdout.toString('utf8'), /Stage \d+ \[ShuffleMapStage, \d+ partitions\]/);
  assert.match(explained.stdout.toString('utf8'), /WASM kernel: tokenize/);
  assert.not.match(explained.stderr, /read \d/); // no job ran, no summary
  const script = join(dir, 'job.mjs');
  writeFileSync(
    script,
    `export default async function (kiln, args) {
       const n = await kiln.textFile(args[0]).filter((l) => l.includes(word), { word: args[1] }).count();
       console.log(args[1] + ' ' + n + ' ' + kiln.options.workers);
     }\n`,
  );
  const ran = kiln(['run', '--workers', '1', '--quiet', script, corpusFiles[0]!, 'cat,']);
  assert.is(ran.code, 0, ran.stderr);
  const expected = corpus[0]!.split('\n').filter((l) => l.includes('cat,')).length;
  assert.is(ran.stdout.toString('utf8'), `cat, ${expected} 1\n`);
});

/** GNU grep's stdout for `args`, run in `cwd` (for file-name prefixes). */
function spawnGrep(args: string[], cwd: string): string {
  return spawnSync('grep', args, { cwd, env: { ...process.env, LC_ALL: 'C' } }).stdout.toString('utf8');
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
