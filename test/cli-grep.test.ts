// kiln grep's three search paths — the grep kernel's exact -F count, the kernel's
// literal prefilter before the full match (-F lines, -E with a required literal), and
// the chunk-wide RegExp prefilter (-E without one) — against a plain-JS reference of
// the string path (decode UTF-8, cut lines, drop a "\r" before "\n", test each line;
// NUL bytes make a file binary), with workers 0, 1 and 2 and splits small enough that
// files cut into several partitions. The command's plan runs in-process, so the many
// cases stay fast; cli-commands.test.ts runs the real binary against GNU grep. Also
// checks which literal cli/grep-literal.ts extracts, and that it is always required.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { grep } from '../cli/commands/index.js';
import { requiredLiteral, requiredRange } from '../cli/grep-literal.js';
import { grepRegExp } from '../cli/regex.js';
import { Kiln } from '../engine/index.js';
import { tempDir } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('grep');
const r = rng(77);

interface Flags {
  count?: boolean;
  'ignore-case'?: boolean;
  'fixed-strings'?: boolean;
}

/** What the string path prints for `pattern` over `files`: stdout lines and notices. */
function reference(pattern: string, flags: Flags, files: { name: string; bytes: Buffer }[]): string[] {
  const re = grepRegExp(pattern, { fixed: flags['fixed-strings'] === true, ignoreCase: flags['ignore-case'] === true });
  const out: string[] = [];
  const prefix = (name: string): string => (files.length > 1 ? `${name}:` : '');
  for (const { name, bytes } of files) {
    const text = bytes.toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const clean = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const binary = clean.some((l) => l.includes('\0'));
    if (flags.count) {
      let n = 0;
      for (const l of clean) for (const piece of l.includes('\0') ? l.split('\0') : [l]) if (re.test(piece)) n++;
      out.push(`${prefix(name)}${n}`);
    } else if (binary) {
      if (clean.some((l) => l.split('\0').some((p) => re.test(p)))) out.push(`notice: ${name}: binary file matches`);
    } else {
      for (const l of clean) if (re.test(l)) out.push(`${prefix(name)}${l}`);
    }
  }
  return out;
}

/** What kiln's grep plan prints, run in-process on `kiln`. */
async function kilnGrep(kiln: Kiln, pattern: string, flags: Flags, paths: string[]): Promise<string[]> {
  const plan = grep.plan({ kiln, operands: [pattern, ...paths], flags: flags as Record<string, boolean>, signal: new AbortController().signal });
  const { table, rows } = await plan.run();
  const out: string[] = [];
  for (const row of rows) out.push('notice' in (row as object) ? `notice: ${(row as { notice: string }).notice}` : table.text(row as readonly unknown[]));
  return out;
}

const WORDS = ['the', 'The', 'THE', 'cat', 'cathedral', 'other', 'bathe', 'x', 'a1b2', '12345', '9876', 'zz', 'qq', 'é', 'Éte', 'naïve', '日本', '[x]', 'a.b', 'a+b', '{1}', ''];

function randomText(lines: number, opts: { crlf?: boolean; nul?: boolean } = {}): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = randInt(r, 9);
    const ws: string[] = [];
    for (let j = 0; j < n; j++) ws.push(WORDS[randInt(r, WORDS.length)]!);
    let line = ws.join(randInt(r, 4) === 0 ? '' : ' ');
    if (opts.nul && randInt(r, 40) === 0) line += '\0tail';
    out.push(line + (opts.crlf && randInt(r, 2) === 0 ? '\r' : ''));
  }
  return Buffer.from(`${out.join('\n')}${randInt(r, 2) === 0 ? '\n' : ''}`);
}

const files = [
  { name: 'plain.txt', bytes: randomText(3000) },
  { name: 'crlf.txt', bytes: randomText(1500, { crlf: true }) },
  { name: 'binary.dat', bytes: randomText(1500, { nul: true }) },
  { name: 'empty.txt', bytes: Buffer.alloc(0) },
].map((f) => {
  const path = join(dir, f.name);
  writeFileSync(path, f.bytes);
  return { ...f, path };
});

const CASES: [string, Flags][] = [
  ['the', { 'fixed-strings': true }],
  ['the', { 'fixed-strings': true, 'ignore-case': true }],
  ['a.b', { 'fixed-strings': true }],
  ['é', { 'fixed-strings': true }],
  ['Éte', { 'fixed-strings': true, 'ignore-case': true }], // non-ASCII -i: the string path
  ['the\ncat', { 'fixed-strings': true }], // a pattern list: the string path
  ['', { 'fixed-strings': true }],
  ['\\<the\\>', {}],
  ['th[a-z]+e', {}],
  ['cat(hedral)?', { 'ignore-case': true }],
  ['^the', {}],
  ['other$', {}],
  ['ca*t', {}],
  ['the+ ', {}],
  ['a\\.b', {}],
  ['[0-9]{5}', {}],
  ['[[:digit:]]+x', {}],
  ['[0-9]{5}', { 'ignore-case': true }],
  ['[a-c]t', { 'ignore-case': true }],
  ['(zz|qq)x?[.]', {}],
  ['[0-9]?z', {}],
  ['zz|qq', {}],
  ['^$', {}],
  ['x*', {}],
  ['[^a-z ]', {}],
  ['e\\b', {}],
  ['.', {}],
];

for (const workers of [0, 1, 2]) {
  test(`grep paths match the string path, lines and -c, one file and several [workers=${workers}]`, async () => {
    const kiln = await Kiln.start({ workers, memory: '32m', workerMemory: '32m', maxPartitionBytes: '8k' });
    try {
      for (const [pattern, flags] of CASES) {
        for (const count of [false, true]) {
          const f = { ...flags, count };
          for (const chosen of [[files[0]!], [files[1]!], [files[2]!], files]) {
            const got = await kilnGrep(kiln, pattern, f, chosen.map((x) => x.path));
            const named = chosen.map((x) => ({ name: x.path, bytes: x.bytes }));
            assert.equal(got, reference(pattern, f, named), `${JSON.stringify(pattern)} ${JSON.stringify(f)} on ${chosen.map((x) => x.name).join(',')}`);
          }
        }
      }
    } finally {
      await kiln.stop();
    }
  });
}

test('the engine API refuses what it cannot search, saying why', async () => {
  const kiln = await Kiln.start({ workers: 0 });
  try {
    const lines = kiln.textFile(files[0]!.path);
    assert.throws(() => lines.linesMatching(/the/y), /without the y or v flag/);
    assert.throws(() => lines.linesMatching(/a\nb/, { literal: 'a\nb' }), /cannot search for .*line break/);
    assert.throws(() => lines.countLinesContaining(''), /empty string/);
    assert.throws(() => lines.countLinesMatching(/é/i, { literal: 'é', ignoreCase: true }), /non-ASCII/);
    // A g or m flag is dropped: each line is tested alone, from its start.
    const plain = await lines.countLinesMatching(/^the/).collect();
    assert.equal(await lines.countLinesMatching(/^the/gm).collect(), plain);
    const expected = files[0]!.bytes.toString('utf8').split('\n').filter((l) => /^the/.test(l)).length;
    assert.is(plain.reduce((a, b) => a + b, 0), expected);
    // latin1 text: the literal is searched as Latin-1 bytes, lines decode as Latin-1.
    const bytes = join(dir, 'latin1.txt');
    writeFileSync(bytes, Buffer.concat([Buffer.from('caf\xe9 one\n', 'latin1'), Buffer.from('café two\nno\n', 'utf8')]));
    {
      const text = kiln.textFile(bytes, { encoding: 'latin1' });
      assert.equal(await text.linesMatching(/caf\xe9/, { literal: 'caf\xe9' }).collect(), ['caf\xe9 one']);
      assert.equal(await text.linesMatching(/caf\xc3\xa9/, { literal: 'caf\xc3\xa9' }).collect(), ['caf\xc3\xa9 two']);
      assert.throws(() => text.countLinesContaining('caf\u0100'), /U\+00FF/);
      assert.equal(await kiln.textFile(bytes).linesMatching(/café/, { literal: 'café' }).collect(), ['café two']);
    }
  } finally {
    await kiln.stop();
  }
});

test('the required literal of an -E pattern', () => {
  const cases: [string, string | undefined][] = [
    ['the', 'the'],
    ['\\<the\\>', 'the'],
    ['th[a-z]+e', 'th'],
    ['abc+d', 'abc'],
    ['abc*d', 'ab'],
    ['ab?cde', 'cde'],
    ['x{0,3}yz', 'yz'],
    ['xy{2}z', 'xy'],
    ['xy+*z', undefined],
    ['(foo|bar)baz', 'baz'],
    ['foo|bar', undefined],
    ['a\\.b', 'a.b'],
    ['[0-9]{5}', undefined],
    ['a.b', undefined],
    ['^ab$', 'ab'],
    ['{ab}', '{ab}'],
    ['héllo', 'llo'],
    ['one\ntwo', undefined],
    ['a\\wb', undefined],
  ];
  for (const [ere, expected] of cases) assert.is(requiredLiteral(ere), expected, ere);
});

test('the required byte range of an -E pattern with no literal', () => {
  const cases: [string, boolean, [number, number] | undefined][] = [
    ['[0-9]{5}', false, [0x30, 0x39]],
    ['[[:digit:]]', false, [0x30, 0x39]],
    ['[a-z]+[0-9]', false, [0x30, 0x39]],
    ['[a-z]+', true, undefined],
    ['[0-9]', true, [0x30, 0x39]],
    ['(zz|qq)x', false, [0x78, 0x78]],
    ['[0-9]?', false, undefined],
    ['[^0-9]', false, undefined],
    ['a|[0-9]', false, undefined],
    ['[+--]', false, [0x2b, 0x2d]],
    ['[]]', false, [0x5d, 0x5d]],
  ];
  for (const [ere, icase, expected] of cases) assert.equal(requiredRange(ere, icase), expected, ere);
});

test('a required literal or byte range is in every line the pattern matches (random patterns)', () => {
  const atoms = ['a', 'b', 'c', 'ab', '.', '[ab]', '[a-b]', '[b]', '(a|b)', '(ab)', '\\.', '^', '$', '\\<', '\\>', '{', '}'];
  const quants = ['', '', '', '*', '+', '?', '{0,2}', '{2}', '{1,}', '+*'];
  const lines = Array.from({ length: 400 }, () => Array.from({ length: randInt(r, 12) }, () => 'abc. {}'[randInt(r, 7)]).join(''));
  for (let round = 0; round < 500; round++) {
    let ere = '';
    for (let k = 0; k < 1 + randInt(r, 6); k++) ere += atoms[randInt(r, atoms.length)]! + quants[randInt(r, quants.length)]!;
    const literal = requiredLiteral(ere, 1);
    const range = requiredRange(ere, false);
    if (literal === undefined && range === undefined) continue;
    let re: RegExp;
    try {
      re = grepRegExp(ere, { fixed: false, ignoreCase: false });
    } catch {
      continue;
    }
    for (const line of lines) {
      if (!re.test(line)) continue;
      if (literal !== undefined) assert.ok(line.includes(literal), `${JSON.stringify(ere)} matched ${JSON.stringify(line)} without ${JSON.stringify(literal)}`);
      if (range !== undefined) assert.ok([...line].some((c) => c.charCodeAt(0) >= range[0] && c.charCodeAt(0) <= range[1]), `${JSON.stringify(ere)} matched ${JSON.stringify(line)} without a byte in ${range}`);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
