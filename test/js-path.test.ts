// The JS-function path's own structures and its end-to-end answers. The StringTable and
// the KeyedMap over it are checked against a JS Map (same entries, same insertion
// order, combiner values that are undefined, a create that throws, many growths);
// textFile -> flatMap -> map -> reduceByKey / aggregateByKey / distinct is checked
// against plain JS on files mixing ASCII and non-ASCII chunks (the line decoder takes
// a different route for each), CRLF and empty lines, with 1 and 2 workers, several
// split sizes and several reduce partition counts.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kiln, compareKeys } from '../engine/index.js';
import { KeyedMap } from '../engine/executor/shuffle/keyed-map.js';
import { StringTable } from '../engine/executor/shuffle/string-table.js';
import { randInt, rng } from './support/random.js';

const add = (a: unknown, b: unknown): unknown => (a as number) + (b as number);
const id = (v: unknown): unknown => v;

/** Random strings over a tiny alphabet (many shared prefixes), plus awkward ones. */
function randomKeys(seed: number, n: number): string[] {
  const r = rng(seed);
  const alphabet = ['a', 'b', 'é', '日', '😀', ' ', '\0', '\r'];
  const special = ['', 'x'.repeat(1000), 'x'.repeat(1001), '\ud800', '\udc00', '__proto__', 'constructor', '0', '-0'];
  const out = [...special];
  while (out.length < n) {
    const len = randInt(r, 8);
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[randInt(r, alphabet.length)];
    out.push(s + String(randInt(r, n)));
  }
  return out;
}

test('StringTable: same entries and insertion order as a Map, through many growths', () => {
  const r = rng(5);
  const keys = randomKeys(1, 60_000);
  const table = new StringTable();
  const ref = new Map<string, number>();
  for (let i = 0; i < 200_000; i++) {
    // Fresh string objects (not the array's own) for half of the lookups.
    const k0 = keys[randInt(r, keys.length)]!;
    const k = i % 2 === 0 ? k0 : (k0 + '!').slice(0, -1);
    table.update(k, 1, id, add);
    ref.set(k, (ref.get(k) ?? 0) + 1);
  }
  assert.is(table.size, ref.size);
  assert.equal(table.keys, [...ref.keys()]);
  assert.equal(table.values, [...ref.values()]);
});

test('StringTable: add keeps the first value; undefined values are held; a throwing create adds nothing', () => {
  const t = new StringTable();
  t.add('a', () => 1);
  t.add('a', () => 2);
  assert.equal([t.keys, t.values], [['a'], [1]]);
  const u = new StringTable();
  let merges = 0;
  const undef = (): undefined => {
    merges++;
    return undefined;
  };
  u.update('k', 1, () => undefined, undef);
  u.update('k', 2, () => undefined, undef);
  assert.is(merges, 1, 'an undefined combiner is found again, not re-created');
  assert.equal([u.keys, u.values], [['k'], [undefined]]);
  assert.throws(() =>
    u.update('new', 1, () => {
      throw new Error('no');
    }, add),
  );
  assert.equal(u.keys, ['k']);
  u.update('new', 1, id, add);
  assert.equal([u.keys, u.values], [['k', 'new'], [undefined, 1]]);
});

test('KeyedMap: mixed key types agree with kiln key equality', () => {
  const m = new KeyedMap();
  const keys: unknown[] = ['a', 1, 'a', -0, 0, NaN, NaN, null, undefined, true, ['a', 1], ['a', 1], 'b', 1n, Uint8Array.of(1), Uint8Array.of(1)];
  for (const k of keys) m.update(k, 1, id, add);
  const got = [...m.pairs()].sort((x, y) => compareKeys(x[0], y[0]));
  const expected: [unknown, number][] = [
    [null, 1],
    [undefined, 1],
    [true, 1],
    [0, 2],
    [1, 1],
    [NaN, 2],
    [1n, 1],
    ['a', 2],
    ['b', 1],
    [Uint8Array.of(1), 2],
    [['a', 1], 2],
  ];
  assert.is(m.size, expected.length);
  assert.equal(got, expected);
  assert.equal([...m.keys()].length, expected.length);
});

// End to end: files whose splits are ASCII-only, non-ASCII, or both.
const dir = mkdtempSync(join(tmpdir(), 'kiln-js-path-'));
const r = rng(9);
const vocabulary = ['the', 'kiln', 'Spark', 'node', 'wasm', 'café', 'naïve', '日本語', '😀x', 'a,', ''];
const asciiWords = vocabulary.filter((w) => /^[\x00-\x7f]*$/.test(w));
const makeLines = (words: string[], n: number): string[] =>
  Array.from({ length: n }, () => Array.from({ length: randInt(r, 9) }, () => words[randInt(r, words.length)]!).join(' '));
const files = {
  // ASCII first half, non-ASCII second half, CRLF and empty lines, no final newline.
  mixed: [...makeLines(asciiWords, 400), '', ...makeLines(vocabulary, 400)].join('\r\n'),
  ascii: makeLines(asciiWords, 600).join('\n') + '\n',
};

/** Lines as textFile yields them: split on \n, one \r before it dropped. */
function referenceLines(text: string): string[] {
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const sorted = <T>(xs: T[]): T[] => [...xs].sort(compareKeys);

for (const workers of [1, 2]) {
  const kiln = await Kiln.start({ workers, memory: '64m', workerMemory: '64m' });
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, `${name}.txt`);
    writeFileSync(path, text);
    const words = referenceLines(text).flatMap((l) => l.split(' '));
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const maxPartitionBytes of [701, 4096, 1 << 20]) {
      for (const parts of [1, 3, 17]) {
        test(`${name} file: word count, aggregateByKey, distinct [workers=${workers}, split=${maxPartitionBytes}, partitions=${parts}]`, async () => {
          const ds = kiln.textFile(path, { maxPartitionBytes });
          assert.equal(await ds.collect(), referenceLines(text));
          const pairs = ds.flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]);
          assert.equal(sorted(await pairs.reduceByKey((a, b) => a + b, parts).collect()), sorted([...counts]));
          const agg = await pairs.aggregateByKey([0, ''], (acc: [number, string], v) => [acc[0] + v, 'x'] as [number, string], (a, b) => [a[0] + b[0], a[1] || b[1]] as [number, string], parts).collect();
          assert.equal(sorted(agg), sorted([...counts].map(([w, n]) => [w, [n, 'x']])));
          assert.equal(sorted(await ds.flatMap((l) => l.split(' ')).distinct(parts).collect()), sorted([...counts.keys()]));
        });
      }
    }
  }
  test(`stop [workers=${workers}]`, async () => {
    await kiln.stop();
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
