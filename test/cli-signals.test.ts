// Signals while results are ordered and written, after the job itself has finished:
// the CLI's main thread stays responsive there. A reader that stops reading stdout
// holds the CLI inside its result writing (the pipe is full: a state, not a timing),
// and SIGINT, SIGTERM and SIGHUP then end it with 130, 143 and 129. Ordering millions
// of rows yields to the event loop and honours an abort at its next step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sortRows, topRows } from '../cli/order.js';
import { kilnChild, shellStatus, tempDir } from './support/cli.js';

const dir = tempDir('sig');
const input = join(dir, 'many-words.txt');
// 300 000 distinct words: several MB of results, far more than a pipe holds.
writeFileSync(input, Array.from({ length: 300_000 }, (_, i) => `word${i}`).join('\n') + '\n');

const CASES: [NodeJS.Signals, number][] = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

test('a signal while results are written to a stalled stdout: exit 128 + signal, nothing left behind', async () => {
  for (const [signal, expected] of CASES) {
    // wordcount and distinct --format tsv write rows from the main thread; sort writes
    // from its worker threads (blocked in write(2): the forced clean-up ends it).
    for (const args of [['wordcount', input], ['distinct', '--count', '--format', 'tsv', input], ['sort', input]]) {
      const child = kilnChild([...args, '--quiet', '--workers', '1'], { env: { TMPDIR: dir } });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code, sig) => resolve(shellStatus(code, sig))));
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      // Take the first chunk, then stop reading: the CLI blocks writing the rest.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.pause();
      child.kill(signal);
      const code = await exited;
      assert.is(code, expected, `${args[0]} ${signal}: ${stderr}`);
      assert.match(stderr, signal === 'SIGINT' ? /interrupted/ : new RegExp(`received ${signal}`));
      child.stdout.destroy();
    }
  }
  // No spill or temporary directories of those runs remain in their TMPDIR.
  assert.equal(readdirSync(dir).filter((n) => n !== 'many-words.txt'), []);
});

test('sortRows and topRows yield to the event loop and stop at an abort', async () => {
  const rows = Array.from({ length: 400_000 }, (_, i) => [(i * 7919) % 1000, `w${i}`] as const);
  const compare = (a: readonly [number, string], b: readonly [number, string]): number => b[0] - a[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
  // Sorted as Array.prototype.sort does (stable).
  assert.equal(await sortRows([...rows], compare), [...rows].sort(compare));
  assert.equal(await topRows(rows, 10, compare), [...rows].sort(compare).slice(0, 10));
  const orderings = [(s: AbortSignal) => sortRows([...rows], compare, s), (s: AbortSignal) => topRows(rows, 10, compare, s)];
  for (const order of orderings) {
    const ac = new AbortController();
    // Runs at the first yield: only an ordering that yields lets it run at all.
    setImmediate(() => ac.abort(new Error('stop')));
    let error: unknown;
    try {
      await order(ac.signal);
    } catch (e) {
      error = e;
    }
    assert.instance(error, Error);
    assert.is((error as Error).message, 'stop');
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
