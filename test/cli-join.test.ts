// kiln join against GNU join: generated files joined by `LC_ALL=C join` after a
// stable sort on the join field (`sort -s -t SEP -k F,F`), byte for byte, for every
// -a / -v combination, with -t , (empty fields, a missing join field) and with
// whitespace, on other join fields, with --header, and under each forced strategy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, tempDir } from './support/cli.js';
import { randInt, rng } from './support/random.js';

const dir = tempDir('join');
const r = rng(20261202);
const KEYS = ['a', 'b', 'B', 'ab', 'a-b', '10', '9', 'é', 'zz', 'k1', 'k2', 'k3', '~'];
const ENGINE = ['--workers', '2', '--split-size', '1k', '--quiet'];

function lines(n: number, sep: string, keyField: number, fields: number, tag: string, allowEmpty: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = Array.from({ length: fields }, (_, j) => (allowEmpty && randInt(r, 9) === 0 ? '' : `${tag}${i}.${j}`));
    f[keyField] = KEYS[randInt(r, KEYS.length)]!;
    // A line with too few fields joins on an empty field.
    if (allowEmpty && randInt(r, 40) === 0) f.length = keyField;
    out.push(f.join(sep));
  }
  return `${out.join('\n')}\n`;
}

/** GNU join's output for stably sorted copies of the files. */
function gnuJoin(flags: string[], sep: string | undefined, f1: number, f2: number, left: string, right: string): string {
  const sorted = (path: string, f: number): string => {
    const out = join(dir, `sorted-${f}-${path.split('/').pop()}`);
    const args = ['-s', ...(sep ? ['-t', sep] : ['-b']), `-k${f},${f}`, '-o', out, path];
    const s = spawnSync('sort', args, { env: { ...process.env, LC_ALL: 'C' } });
    assert.is(s.status, 0, s.stderr.toString());
    return out;
  };
  const args = [...(sep ? ['-t', sep] : []), '-1', String(f1), '-2', String(f2), ...flags, sorted(left, f1), sorted(right, f2)];
  const j = spawnSync('join', args, { env: { ...process.env, LC_ALL: 'C' } });
  assert.is(j.status, 0, j.stderr.toString());
  return j.stdout.toString('utf8');
}

const COMBOS: string[][] = [[], ['-a', '1'], ['-a', '2'], ['-a', '1', '-a', '2'], ['-v', '1'], ['-v', '2'], ['-v', '1', '-v', '2']];

for (const sep of [',', undefined] as const) {
  test(`every -a/-v combination matches GNU join with ${sep ? `-t ${sep}` : 'whitespace'}`, () => {
    const left = join(dir, `left${sep ? 'c' : 'w'}.txt`);
    const right = join(dir, `right${sep ? 'c' : 'w'}.txt`);
    writeFileSync(left, lines(300, sep ?? ' ', 0, 3, 'L', sep !== undefined));
    writeFileSync(right, lines(120, sep ?? ' ', 0, 2, 'R', sep !== undefined));
    for (const flags of COMBOS) {
      const expected = gnuJoin(flags, sep, 1, 1, left, right);
      const got = kiln([...ENGINE, 'join', ...(sep ? ['-t', sep] : []), ...flags, left, right]);
      assert.is(got.code, 0, got.stderr);
      assert.ok(expected.length > 0 || flags.length > 0, 'the reference joined something');
      assert.is(got.stdout.toString('utf8'), expected, `flags ${flags.join(' ') || '(none)'}`);
    }
  });
}

test('other join fields, every forced strategy, and --header', () => {
  const left = join(dir, 'left-f.txt');
  const right = join(dir, 'right-f.txt');
  writeFileSync(left, lines(200, ',', 1, 3, 'L', false));
  writeFileSync(right, lines(90, ',', 2, 3, 'R', false));
  const expected = gnuJoin(['-a', '1'], ',', 2, 3, left, right);
  for (const strategy of ['auto', 'broadcast', 'shuffleHash', 'sortMerge']) {
    const got = kiln([...ENGINE, 'join', '-t', ',', '-1', '2', '-2', '3', '-a', '1', '--strategy', strategy, left, right]);
    assert.is(got.code, 0, got.stderr);
    assert.is(got.stdout.toString('utf8'), expected, strategy);
  }
  // --header: the first lines are printed first, paired, and not joined.
  const bodyL = join(dir, 'left-hb.txt');
  const bodyR = join(dir, 'right-hb.txt');
  writeFileSync(bodyL, lines(50, ',', 0, 2, 'L', false));
  writeFileSync(bodyR, lines(40, ',', 0, 2, 'R', false));
  const hl = join(dir, 'left-h.txt');
  const hr = join(dir, 'right-h.txt');
  writeFileSync(hl, `id,name\n${readFileSync(bodyL, 'utf8')}`);
  writeFileSync(hr, `id,score\n${readFileSync(bodyR, 'utf8')}`);
  const headed = kiln([...ENGINE, 'join', '-t', ',', '--header', '-a', '2', hl, hr]);
  assert.is(headed.code, 0, headed.stderr);
  assert.is(headed.stdout.toString('utf8'), `id,name,score\n${gnuJoin(['-a', '2'], ',', 1, 1, bodyL, bodyR)}`);
});

test('bad flags are usage errors (exit 2) naming the flag', () => {
  const f = join(dir, 'leftc.txt');
  for (const [args, message] of [
    [['-a', '3', f, f], /-a takes 1 or 2/],
    [['-t', ',,', f, f], /-t takes one character/],
    [['--strategy', 'nested', f, f], /--strategy must be one of/],
    [[f], /missing operand/],
  ] as const) {
    const got = kiln([...ENGINE, 'join', ...args]);
    assert.is(got.code, 2, got.stderr);
    assert.match(got.stderr, message);
  }
  const full = kiln([...ENGINE, 'join', '-a', '1', '-a', '2', '--strategy', 'broadcast', f, f]);
  assert.is(full.code, 2, full.stderr);
  assert.match(full.stderr, /cannot run a full join/);
});

test('kiln explain join shows the strategy', () => {
  const f = join(dir, 'leftc.txt');
  const got = kiln(['--quiet', 'explain', 'join', '-t', ',', f, f]);
  assert.is(got.code, 0, got.stderr);
  assert.match(got.stdout.toString(), /join \[inner\]: strategy decided at run time/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
