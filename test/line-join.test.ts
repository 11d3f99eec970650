// The byte-level join path (engine/driver/join/line-join.ts) against a plain-JS reference of
// join(1) on stably sorted inputs (the record path's field rules, written out again):
// -t , and whitespace with awkward lines (leading, trailing and mixed blanks, empty
// lines, missing join fields, empty fields, "\r", bytes >= 0x80), every -a/-v
// combination, workers 0, 1 and 2, partitions 1, 3 and 17; a key wider than the
// sample (the decorate pass restarts), a NUL in a key (the record path is asked
// for), a missing input, and no spill files left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { joinLineFiles, type LineJoinSpec } from '../engine/driver/join/line-join.js';
import { tempDir } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('line-join');
const r = rng(20261203);
const KEYS = ['a', 'b', 'B', 'ab', 'a-b', '10', '9', '\xe9', 'zz', 'k1', '', 'k1\r', '~'];

/** Fields as join(1) (and kiln's record path) splits a line. */
function fields(line: string, sep: string | undefined): string[] {
  if (sep !== undefined) return line.split(sep);
  const t = line.replace(/^[ \t]+/, '');
  return t === '' ? [] : t.split(/[ \t]+/);
}

/** The reference: a stable sort on the join field, then left-major pairs, as `LC_ALL=C join` prints them. */
function reference(left: string, right: string, spec: LineJoinSpec): string {
  const out = spec.separator ?? ' ';
  const rows = (text: string, f: number): Array<{ key: string; rest: string | null; i: number }> => {
    const ls = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    const rs = ls.map((line, i) => {
      const fs = fields(line, spec.separator);
      const key = fs[f] ?? '';
      if (f < fs.length) fs.splice(f, 1);
      return { key, rest: fs.length === 0 ? null : fs.join(out), i };
    });
    // Byte order of latin1 strings is code-unit order.
    return rs.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.i - y.i));
  };
  const L = rows(left, spec.leftField);
  const R = rows(right, spec.rightField);
  const lines: string[] = [];
  const one = (k: string, a: string | null, b: string | null): void => {
    lines.push(k + (a !== null ? out + a : '') + (b !== null ? out + b : ''));
  };
  let i = 0;
  let j = 0;
  while (i < L.length || j < R.length) {
    const k = i < L.length && (j >= R.length || L[i]!.key <= R[j]!.key) ? L[i]!.key : R[j]!.key;
    let i2 = i;
    while (i2 < L.length && L[i2]!.key === k) i2++;
    let j2 = j;
    while (j2 < R.length && R[j2]!.key === k) j2++;
    if (i2 > i && j2 > j) {
      if (spec.joined) for (let a = i; a < i2; a++) for (let b = j; b < j2; b++) one(k, L[a]!.rest, R[b]!.rest);
    } else if (i2 > i) {
      if (spec.unpairedLeft) for (let a = i; a < i2; a++) one(k, L[a]!.rest, null);
    } else if (spec.unpairedRight) for (let b = j; b < j2; b++) one(k, R[b]!.rest, null);
    i = i2;
    j = j2;
  }
  return lines.map((l) => `${l}\n`).join('');
}

function randomLines(n: number, sep: string | undefined, keyField: number, nf: number, tag: string): string {
  const out: string[] = [];
  const blanks = [' ', '  ', '\t', ' \t'];
  for (let i = 0; i < n; i++) {
    const roll = randInt(r, 30);
    if (roll === 0) {
      out.push(sep === undefined ? blanks[randInt(r, blanks.length)]! : '');
      continue;
    }
    const f = Array.from({ length: nf }, (_, j) => (sep !== undefined && randInt(r, 8) === 0 ? '' : `${tag}${i}.${j}`));
    f[keyField] = KEYS[randInt(r, KEYS.length)]!;
    if (sep === undefined && f[keyField] === '') f[keyField] = 'x';
    if (roll === 1) f.length = keyField; // no join field: joins on ""
    if (sep !== undefined) out.push(f.join(sep));
    else {
      let line = randInt(r, 4) === 0 ? blanks[randInt(r, blanks.length)]! : '';
      f.forEach((x, j) => (line += (j > 0 ? blanks[randInt(r, blanks.length)]! : '') + x));
      if (randInt(r, 6) === 0) line += blanks[randInt(r, blanks.length)]!;
      out.push(line);
    }
  }
  // Sometimes no newline at the end.
  return out.join('\n') + (randInt(r, 3) === 0 ? '' : '\n');
}

const COMBOS: Array<Pick<LineJoinSpec, 'joined' | 'unpairedLeft' | 'unpairedRight'>> = [
  { joined: true, unpairedLeft: false, unpairedRight: false },
  { joined: true, unpairedLeft: true, unpairedRight: false },
  { joined: true, unpairedLeft: false, unpairedRight: true },
  { joined: true, unpairedLeft: true, unpairedRight: true },
  { joined: false, unpairedLeft: true, unpairedRight: false },
  { joined: false, unpairedLeft: false, unpairedRight: true },
  { joined: false, unpairedLeft: true, unpairedRight: true },
];

async function run(kiln: Kiln, spec: LineJoinSpec): Promise<string | null> {
  const outPath = join(dir, 'out.txt');
  const fd = openSync(outPath, 'w');
  try {
    const done = await joinLineFiles(kiln, spec, fd);
    if (done === null) return null;
  } finally {
    closeSync(fd);
  }
  return readFileSync(outPath, 'latin1');
}

const contexts = new Map<number, Kiln>();
async function ctx(workers: number): Promise<Kiln> {
  let k = contexts.get(workers);
  if (!k) contexts.set(workers, (k = await Kiln.start({ workers, memory: '64m', workerMemory: '64m', spillDir: dir })));
  return k;
}

for (const sep of [',', undefined] as const) {
  test(`every -a/-v combination equals the reference, ${sep ? '-t ,' : 'whitespace'}, workers 0/1/2, partitions 1/3/17`, async () => {
    const left = join(dir, `l${sep ? 'c' : 'w'}.txt`);
    const right = join(dir, `r${sep ? 'c' : 'w'}.txt`);
    const lt = randomLines(400, sep, 1, 3, 'L');
    const rt = randomLines(150, sep, 0, 2, 'R');
    writeFileSync(left, lt, 'latin1');
    writeFileSync(right, rt, 'latin1');
    for (const workers of [0, 1, 2]) {
      const kiln = await ctx(workers);
      for (const partitions of [1, 3, 17]) {
        for (const combo of COMBOS) {
          const spec: LineJoinSpec = { left, right, leftField: 1, rightField: 0, separator: sep, partitions, ...combo };
          const got = await run(kiln, spec);
          assert.is(got, reference(lt, rt, spec), `workers ${workers}, partitions ${partitions}, ${JSON.stringify(combo)}`);
        }
      }
    }
  });
}

test('empty inputs and one empty side', async () => {
  const kiln = await ctx(1);
  const empty = join(dir, 'empty.txt');
  const some = join(dir, 'some.txt');
  writeFileSync(empty, '');
  writeFileSync(some, 'a,1\nb,2\n');
  for (const [l, rt] of [[empty, empty], [some, empty], [empty, some]] as const) {
    for (const combo of COMBOS) {
      const spec: LineJoinSpec = { left: l, right: rt, leftField: 0, rightField: 0, separator: ',', ...combo };
      assert.is(await run(kiln, spec), reference(readFileSync(l, 'latin1'), readFileSync(rt, 'latin1'), spec));
    }
  }
});

test('a key wider than any in the sample restarts the decorate pass with the wider width', async () => {
  const kiln = await ctx(2);
  const left = join(dir, 'wide-l.txt');
  const right = join(dir, 'wide-r.txt');
  // Over 1 MiB of short keys first, so the sample does not see the long one.
  const body = Array.from({ length: 120_000 }, (_, i) => `k${i % 5000},${i}`).join('\n');
  const long = 'w'.repeat(64);
  const lt = `${body}\n${long},last\n`;
  const rt = `${Array.from({ length: 5000 }, (_, i) => `k${i},d${i}`).join('\n')}\n${long},dim\n`;
  writeFileSync(left, lt);
  writeFileSync(right, rt);
  const spec: LineJoinSpec = { left, right, leftField: 0, rightField: 0, separator: ',', joined: true, unpairedLeft: false, unpairedRight: false };
  const outPath = join(dir, 'wide.out');
  const fd = openSync(outPath, 'w');
  const done = await joinLineFiles(kiln, spec, fd);
  closeSync(fd);
  assert.ok(done);
  assert.ok(done.keyWidth >= 64, `key width ${done.keyWidth}`);
  assert.is(done.lines, 120_001);
  assert.is(readFileSync(outPath, 'latin1'), reference(lt, rt, spec));
});

test('a NUL byte in a join field or a multi-byte separator asks for the record path, writing nothing', async () => {
  const kiln = await ctx(0);
  const left = join(dir, 'nul.txt');
  writeFileSync(left, 'a\0b,1\nc,2\n', 'latin1');
  const spec: LineJoinSpec = { left, right: left, leftField: 0, rightField: 0, separator: ',', joined: true, unpairedLeft: false, unpairedRight: false };
  assert.is(await run(kiln, spec), null);
  assert.is(await run(kiln, { ...spec, separator: '\u20ac' }), null);
});

test('a missing input is an input error naming the file; no spill files are left', async () => {
  const kiln = await ctx(1);
  const missing = join(dir, 'no-such-file.txt');
  const spec: LineJoinSpec = { left: missing, right: missing, leftField: 0, rightField: 0, separator: ',', joined: true, unpairedLeft: false, unpairedRight: false };
  try {
    await run(kiln, spec);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, Error);
    assert.match((e as Error).message, /cannot read .*no-such-file\.txt \(ENOENT\)/);
  }
  for (const k of contexts.values()) {
    const spill = k.options.spillDir;
    const left = existsSync(spill) ? readdirSync(spill).filter((n) => n.startsWith('join-')) : [];
    assert.equal(left, [], `spill files left in ${spill}`);
  }
});

test.after(async () => {
  for (const k of contexts.values()) await k.stop();
  rmSync(dir, { recursive: true, force: true });
});
test.run();
