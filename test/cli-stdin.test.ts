// Standard input (cli/stdin.ts) against the same input given as a file, with
// --workers 0 and 2 and a small split size so the copy of stdin is read as several
// splits: `-` and no file operand for wordcount, grep, sort and distinct, `-` as
// join's LEFT or RIGHT, grep's "(standard input)" prefix, `-` twice refused, and the
// copy of stdin gone after every run and after SIGTERM while stdin is still open.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine } from '../cli/args.js';
import * as commands from '../cli/commands/index.js';
import { KILN, kiln, shellStatus, tempDir, type KilnRun } from './support/cli.js';
import { rng, randInt } from './support/random.js';

const dir = tempDir('stdin');
// The children's TMPDIR: their stdin copies go here, so the test sees every one.
const tmp = join(dir, 'tmp');
const r = rng(4242);
const vocabulary = ['kiln', 'Spark', 'stdin', 'pipe', 'ünï', 'x', 'y'];
const lines = Array.from({ length: 60_000 }, (_, i) => `${vocabulary[randInt(r, vocabulary.length)]!} ${randInt(r, 1000)} ${i % 7 === 0 ? 'kiln' : 'z'}`);
const text = Buffer.from(`${lines.join('\n')}\n`);
const file = join(dir, 'input.txt');
writeFileSync(file, text);
const keyed = Buffer.from(`${Array.from({ length: 500 }, (_, i) => `k${(i * 7) % 300} right${i}`).join('\n')}\n`);
const keyedFile = join(dir, 'keyed.txt');
writeFileSync(keyedFile, keyed);
mkdirSync(tmp);

/** Leftover copies of stdin under the children's TMPDIR. */
const leftovers = (): string[] => readdirSync(tmp).filter((n) => /^kiln-\d+-stdin/.test(n));

function run(args: readonly string[], input?: Uint8Array): KilnRun {
  const got = kiln(['-q', '--split-size', '64k', ...args], { env: { TMPDIR: tmp }, ...(input !== undefined ? { input } : {}) });
  assert.equal(leftovers(), [], `no copy of stdin left after ${args.join(' ')}`);
  return got;
}

function same(args: readonly string[], viaFile: readonly string[], input: Uint8Array): void {
  const expected = run(viaFile);
  assert.is(expected.code, 0, expected.stderr);
  assert.ok(expected.stdout.length > 0, `${viaFile.join(' ')} printed something`);
  const got = run(args, input);
  assert.is(got.code, 0, got.stderr);
  assert.is(got.stdout.toString('latin1'), expected.stdout.toString('latin1'), args.join(' '));
}

for (const workers of ['0', '2']) {
  const w = ['--workers', workers];
  for (const command of [['wordcount'], ['sort'], ['distinct', '--count'], ['grep', 'kiln'], ['grep', '--count', 'Spark']]) {
    test(`${command.join(' ')}: "-" and no file operand read stdin like the file [workers=${workers}]`, () => {
      same([...w, ...command, '-'], [...w, ...command, file], text);
      same([...w, ...command], [...w, ...command, file], text);
    });
  }

  test(`grep names stdin "(standard input)" among several inputs [workers=${workers}]`, () => {
    const got = run([...w, 'grep', 'kiln', keyedFile, '-'], text);
    assert.is(got.code, 0, got.stderr);
    const alone = run([...w, 'grep', 'kiln', file]);
    const fromStdin = got.stdout.toString('utf8').split('\n').filter((l) => l.startsWith('(standard input):'));
    assert.equal(fromStdin, alone.stdout.toString('utf8').trimEnd().split('\n').map((l) => `(standard input):${l}`));
    const counts = run([...w, 'grep', '--count', 'kiln', keyedFile, '-'], text);
    assert.match(counts.stdout.toString('utf8'), new RegExp(`^${keyedFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:0\n\\(standard input\\):${alone.stdout.toString('utf8').trimEnd().split('\n').length}\n$`));
  });

  test(`join reads "-" as LEFT or RIGHT like the file [workers=${workers}]`, () => {
    same([...w, 'join', '-', keyedFile], [...w, 'join', keyedFile, keyedFile], keyed);
    same([...w, 'join', keyedFile, '-'], [...w, 'join', keyedFile, keyedFile], keyed);
    same([...w, 'join', '-a', '1', '-', file], [...w, 'join', '-a', '1', keyedFile, file], keyed);
  });
}

test('"-" twice is a usage error; join never defaults to stdin', () => {
  for (const args of [['sort', '-', '-'], ['join', '-', '-'], ['grep', 'x', '-', file, '-']]) {
    const got = run(args, text);
    assert.is(got.code, 2, got.stderr);
    assert.match(got.stderr, /standard input \(-\) is given 2 times/);
  }
  const join1 = run(['join', file], text);
  assert.is(join1.code, 2);
  assert.match(join1.stderr, /missing operand/);
});

test('no file operand means "-" only when stdin is not a terminal', () => {
  const specs = Object.values(commands).map((c) => c.spec);
  for (const [argv, operands] of [
    [['wordcount'], ['-']],
    [['grep', 'x'], ['x', '-']],
    [['sort', '-r'], ['-']],
    [['explain', 'distinct'], ['-']],
    [['sort', file], [file]],
  ] as const) {
    const parsed = parseCommandLine(argv, specs, false);
    assert.ok(parsed.kind === 'run');
    assert.equal((parsed.invocation.explained ?? parsed.invocation).operands, operands, argv.join(' '));
    if (operands[operands.length - 1] === '-') assert.throws(() => parseCommandLine(argv, specs, true), /missing operand/, `${argv.join(' ')} on a terminal`);
  }
  assert.throws(() => parseCommandLine(['join', file], specs, false), /missing operand/);
});

test('empty stdin is an empty input', () => {
  const got = run(['wordcount'], Buffer.alloc(0));
  assert.is(got.code, 0, got.stderr);
  assert.is(got.stdout.length, 0);
});

test('SIGTERM while stdin is still open: exit 143, the copy of stdin removed', async () => {
  const child = spawn(process.execPath, [KILN, '-q', 'wordcount'], { env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  // The child dies with part of this write unread: that EPIPE is expected.
  child.stdin.on('error', () => undefined);
  child.stdin.write(text);
  // Wait (without a deadline) until the copy exists and holds what was written so far.
  while (leftovers().length === 0) await new Promise((ok) => setTimeout(ok, 20));
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((ok) => child.on('exit', (code, signal) => ok([code, signal])));
  child.kill('SIGTERM');
  const [code, signal] = await ended;
  child.stdin.destroy();
  assert.is(shellStatus(code, signal), 143);
  assert.equal(leftovers(), []);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
