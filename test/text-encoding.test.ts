// Text that is not clean UTF-8: a byte-order mark, invalid sequences, CRLF. The CLI
// is byte-exact (keys are bytes, as in mawk and LC_ALL=C tools), on the kernel path
// inline and with 2 workers; the engine's utf8 decoding gives the same keys on the
// kernel path (words().valueCounts()) and the JS path (split lines in a function),
// never the same key twice; latin1 decoding is byte-exact on both paths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { binaryToDisplay, repairUtf8 } from '../engine/common/io/text-encoding.js';
import { kiln as runKiln, tempDir } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('enc');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Words of invalid and valid UTF-8, a BOM alone and BOM-prefixed, some repeated. */
function awkwardText(seed: number, lines: number): Buffer {
  const next = rng(seed);
  const pieces: Buffer[] = [BOM, Buffer.from('hello world\n')];
  const atoms = [
    Buffer.from('hello'),
    Buffer.from('again'),
    Buffer.from('naïve'),
    Buffer.from('日本'),
    Buffer.from([0x61, 0xff, 0x62]), // a\xffb
    Buffer.from([0x61, 0xfe, 0x62]),
    Buffer.from([0x61, 0xfd, 0x62]),
    Buffer.from([0xff]),
    Buffer.from([0xe6, 0x97]), // a truncated 3-byte sequence
    Buffer.from([0xc0, 0xaf]), // overlong
    Buffer.from([0xed, 0xa0, 0x80]), // a surrogate
    BOM,
    Buffer.concat([BOM, Buffer.from('hello')]),
  ];
  for (let i = 0; i < lines; i++) {
    const n = 1 + randInt(next, 6);
    for (let w = 0; w < n; w++) {
      if (w > 0) pieces.push(Buffer.from(randInt(next, 4) === 0 ? '\t' : ' '));
      pieces.push(atoms[randInt(next, atoms.length)]!);
    }
    pieces.push(Buffer.from('\n'));
  }
  return Buffer.concat(pieces);
}

/** Word counts as mawk prints them (one "word count" line per word), sorted as bytes. */
function mawkCounts(file: string): string[] {
  const r = spawnSync('mawk', ['{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) print w, c[w] }', file], { env: { ...process.env, LC_ALL: 'C' } });
  assert.is(r.status, 0, r.stderr.toString());
  return byteLines(r.stdout);
}

function byteLines(out: Buffer): string[] {
  return out.toString('latin1').split('\n').filter((l) => l !== '').sort();
}

const files = [
  { name: 'bom-small.txt', bytes: Buffer.concat([BOM, Buffer.from('hello world\nhello again\n'), BOM, Buffer.from(' x\n')]) },
  { name: 'awkward.txt', bytes: awkwardText(7, 3000) },
];
for (const f of files) writeFileSync(join(dir, f.name), f.bytes);

test('kiln wordcount is byte-exact against mawk: BOM and invalid UTF-8 keys, inline and 2 workers', () => {
  for (const f of files) {
    const path = join(dir, f.name);
    const expected = mawkCounts(path);
    for (const engine of [['--workers', '0'], ['--workers', '2', '--split-size', '4k', '--partitions', '3']]) {
      const r = runKiln(['wordcount', '-q', '--no-lowercase', ...engine, path]);
      assert.is(r.code, 0, r.stderr);
      const got = byteLines(r.stdout);
      assert.equal(got, expected, `${f.name} ${engine.join(' ')}`);
      const keys = got.map((l) => l.slice(0, l.lastIndexOf(' ')));
      assert.is(new Set(keys).size, keys.length, 'no key printed twice');
    }
  }
  // The BOM-prefixed word is a key of its own, and a lone BOM is not an empty key.
  const small = runKiln(['wordcount', '-q', join(dir, 'bom-small.txt')]).stdout;
  assert.ok(small.includes(Buffer.concat([BOM, Buffer.from('hello 1\n')])));
  assert.ok(small.includes(Buffer.concat([Buffer.from('\n'), BOM, Buffer.from(' 1\n')])) || small.subarray(0, 3).equals(BOM));
});

test('kiln wordcount --format json: invalid bytes escaped as lone surrogates, keys stay distinct', () => {
  const r = runKiln(['wordcount', '-q', '--format', 'json', join(dir, 'awkward.txt')]);
  assert.is(r.code, 0, r.stderr);
  const rows = r.stdout.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { word: string; count: number });
  const words = rows.map((x) => x.word);
  assert.is(new Set(words).size, words.length);
  assert.ok(words.includes('a\udcffb'), 'a\\xffb as a\\udcffb');
  assert.ok(words.includes('\ufeffhello'));
});

test('kiln distinct --count is LC_ALL=C sort | uniq -c byte for byte: invalid UTF-8, CRLF, BOM', () => {
  const crlf = join(dir, 'crlf.txt');
  writeFileSync(crlf, Buffer.concat([Buffer.from('x\r\nx\nx\r\n\n\nb\r\n'), files[1]!.bytes, Buffer.from('tail without newline')]));
  for (const path of [crlf, join(dir, 'awkward.txt')]) {
    const sorted = spawnSync('sort', [path], { env: { ...process.env, LC_ALL: 'C' } }).stdout;
    const expected = spawnSync('uniq', ['-c'], { input: sorted, env: { ...process.env, LC_ALL: 'C' } }).stdout;
    for (const engine of [['--workers', '0'], ['--workers', '2', '--split-size', '4k', '--partitions', '3']]) {
      const r = runKiln(['distinct', '-q', '--count', ...engine, path]);
      assert.is(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(expected), `${path} ${engine.join(' ')}: ${r.stdout.length} bytes vs ${expected.length}`);
    }
    // tsv: the line's bytes, a tab, the count.
    const tsv = runKiln(['distinct', '-q', '--count', '--format', 'tsv', path]).stdout.toString('latin1').trimEnd().split('\n');
    const fromUniq = expected.toString('latin1').trimEnd().split('\n').map((l) => {
      const m = /^ *(\d+) /.exec(l)!;
      return `${l.slice(m[0].length)}\t${m[1]}`;
    });
    assert.equal(tsv, fromUniq);
  }
});

/** Splits a line on ASCII whitespace as the tokenizer kernel does. */
function jsWords(line: string): string[] {
  return line.split(/[ \t\n\v\f\r]+/).filter((w) => w !== '');
}

test('engine: kernel and JS paths give the same keys for utf8 and latin1, workers 0, 1, 2, several partitions', async () => {
  const path = join(dir, 'awkward.txt');
  const bytes = files[1]!.bytes;
  for (const workers of [0, 1, 2]) {
    const kiln = await Kiln.start({ workers, maxPartitionBytes: 8192 });
    try {
      for (const partitions of [1, 3, 17]) {
        for (const encoding of ['utf8', 'latin1'] as const) {
          // Plain-JS reference over the whole file's decoded text.
          const ref = new Map<string, number>();
          for (const line of bytes.toString(encoding).split('\n')) for (const w of jsWords(line.replace(/\r$/, ''))) ref.set(w, (ref.get(w) ?? 0) + 1);
          const kernel = await kiln.textFile(path, { encoding }).words().valueCounts(partitions).collect();
          const js = await kiln
            .textFile(path, { encoding })
            .flatMap((l: string) => l.split(/[ \t\n\v\f\r]+/).filter((w) => w !== ''))
            .map((w: string): [string, number] => [w, 1])
            .reduceByKey((a: number, b: number) => a + b, partitions)
            .collect();
          const where = `workers ${workers}, ${partitions} partitions, ${encoding}`;
          assert.is(new Set(kernel.map(([k]) => k)).size, kernel.length, `${where}: kernel keys unique`);
          assert.equal(new Map(kernel), ref, `${where}: kernel path`);
          assert.equal(new Map(js), ref, `${where}: JS path`);
        }
      }
      // The BOM is data: kept as U+FEFF, never stripped.
      const counts = new Map(await kiln.textFile(join(dir, 'bom-small.txt')).words().valueCounts().collect());
      assert.is(counts.get('\ufeffhello'), 1);
      assert.is(counts.get('hello'), 1);
      assert.is(counts.get('\ufeff'), 1);
    } finally {
      await kiln.stop();
    }
  }
});

test('repairUtf8 and binaryToDisplay', () => {
  assert.is(repairUtf8(Buffer.from('plain ascii and ünïcödé')), undefined);
  assert.equal(repairUtf8(Buffer.from([0x61, 0xff, 0x62])), Buffer.from('a\ufffdb'));
  assert.equal(repairUtf8(Buffer.from([0xe6, 0x97, 0x20])), Buffer.from('\ufffd '));
  assert.is(binaryToDisplay('caf\xc3\xa9'), 'café');
  assert.is(binaryToDisplay('a\xffb'), 'a\udcffb');
  assert.is(binaryToDisplay('\xe6\x97x'), '\udce6\udc97x');
  assert.is(binaryToDisplay('\xef\xbb\xbfhi'), '\ufeffhi');
  // Random bytes: distinct inputs stay distinct.
  const next = rng(3);
  const seen = new Map<string, string>();
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(Array.from({ length: 1 + randInt(next, 5) }, () => randInt(next, 256)));
    const binary = b.toString('latin1');
    const shown = binaryToDisplay(binary);
    const before = seen.get(shown);
    assert.ok(before === undefined || before === binary, `${JSON.stringify(shown)} from two byte strings`);
    seen.set(shown, binary);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
