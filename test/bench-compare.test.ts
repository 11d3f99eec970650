// The peer-tool benchmark harness (bench/compare): its equality checks on small inputs,
// each peer's tokenization against a plain-TS countwords reference on input built to
// expose the differences (\v \f \r, leading blanks, empty lines, capitals), and the
// whole harness end to end on a tiny file with one run. Nothing here reads a time.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compareBytes, compareLineSets, compareOutputs, compareWordCounts, parseCount, parseWordCounts } from '../bench/compare/normalize.js';
import { runTimed } from '../bench/compare/runner.js';
import { describePhases } from '../bench/compare/phases.js';
import { parseBytes } from '../bench/compare/tasks.js';
import { toolsFor } from '../bench/compare/tools.js';
import { rng, randInt } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-test-'));
const MAIN = fileURLToPath(new URL('../bench/compare/main.js', import.meta.url));

/** countwords' rules in plain TS: ASCII whitespace split, ASCII lowercase, count desc. */
function countWords(text: string): [string, number][] {
  const counts = new Map<string, number>();
  for (const w of text.replace(/[A-Z]/g, (c) => c.toLowerCase()).split(/[ \t\n\v\f\r]+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

/** Random text over a small vocabulary with every kind of ASCII whitespace. */
function trickyText(seed: number, words: number): string {
  const r = rng(seed);
  const vocab = ['the', 'The', 'THE', 'a', 'Zed', 'zed', 'x,y', 'it.', 'b4', 'Q'];
  const seps = [' ', ' ', ' ', '  ', '\t', '\n', '\n\n', '\v', '\f', '\r\n', ' \r ', '\n  '];
  let s = '  ';
  for (let i = 0; i < words; i++) s += vocab[randInt(r, vocab.length)]! + seps[randInt(r, seps.length)]!;
  return s;
}

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text, 'latin1');
  return p;
};

test('parseWordCounts reads both layouts and rejects anything else', () => {
  assert.equal(parseWordCounts('the 3\nzed 1\n', 'word-count'), [['the', 3], ['zed', 1]]);
  assert.equal(parseWordCounts('      3 the\n      1 zed\n', 'count-word'), [['the', 3], ['zed', 1]]);
  assert.equal(parseWordCounts('', 'word-count'), []);
  assert.throws(() => parseWordCounts('the 3\nzed\n', 'word-count'), /line 2/);
  assert.throws(() => parseWordCounts('the three\n', 'word-count'));
  assert.throws(() => parseWordCounts('3 the\n', 'word-count'));
});

test('compareWordCounts: tie order is free, count order, values and keys are not', () => {
  const ref: [string, number][] = [['a', 5], ['b', 2], ['c', 2], ['d', 1]];
  assert.is(compareWordCounts(ref, [['a', 5], ['c', 2], ['b', 2], ['d', 1]]), undefined);
  assert.match(compareWordCounts(ref, [['a', 5], ['d', 1], ['b', 2], ['c', 2]])!, /not sorted/);
  assert.match(compareWordCounts(ref, [['a', 5], ['b', 2], ['c', 2], ['d', 2]])!, /counted 2, expected 1/);
  assert.match(compareWordCounts(ref, [['a', 5], ['b', 2], ['c', 2]])!, /"d".*missing/);
  assert.match(compareWordCounts(ref, [['a', 5], ['b', 2], ['c', 2], ['d', 1], ['e', 1]])!, /extra word "e"/);
  assert.match(compareWordCounts(ref, [['a', 5], ['b', 2], ['b', 2], ['d', 1]])!, /twice/);
});

test('parseCount, compareBytes and compareLineSets', async () => {
  assert.is(parseCount(' 42\n'), 42);
  assert.throws(() => parseCount('42 lines'));
  const a = file('a.txt', 'x\ny\nz\n');
  const b = file('b.txt', 'z\nx\ny\n');
  const c = file('c.txt', 'x\ny\nw\n');
  assert.is(await compareBytes(a, file('a2.txt', 'x\ny\nz\n')), undefined);
  assert.ok(await compareBytes(a, b));
  assert.is(await compareLineSets(a, b), undefined);
  assert.match((await compareLineSets(a, c))!, /differ/);
  assert.is(await compareOutputs('count', { path: file('n1', '7\n') }, { path: file('n2', '7') }), undefined);
  assert.match((await compareOutputs('count', { path: file('n3', '7\n') }, { path: file('n4', '8\n') }))!, /count 8, expected 7/);
});

test('every installed word-count peer matches countwords rules on tricky input', async () => {
  for (const seed of [1, 2]) {
    const text = trickyText(seed, 3000);
    const input = file(`tricky-${seed}.txt`, text);
    const expected = file(`expected-${seed}.txt`, countWords(text).map(([w, n]) => `${w} ${n}\n`).join(''));
    for (const tool of toolsFor('wordcount', { pattern: 'the', threads: 2 })) {
      if (tool.family === 'kiln' || tool.missing) continue;
      const out = join(dir, `${tool.id}-${seed}.out`);
      const r = await runTimed(tool.command(input), out, join(dir, 'mem'));
      assert.is(r.code, 0, `${tool.label}: ${r.stderr}`);
      assert.is(await compareOutputs('word-counts', { path: expected }, { path: out, layout: tool.layout }), undefined, `${tool.label} seed ${seed}`);
    }
  }
});

test('sort and grep peers agree with a plain-TS reference on random lines', async () => {
  const r = rng(9);
  const lines = Array.from({ length: 2000 }, () => Array.from({ length: 1 + randInt(r, 12) }, () => String.fromCharCode(0x21 + randInt(r, 94))).join(''));
  const input = file('lines.txt', lines.join('\n') + '\n');
  const sorted = file('sorted.txt', [...lines].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).join('\n') + '\n');
  const count = file('count.txt', `${lines.filter((l) => l.includes('a')).length}\n`);
  for (const tool of toolsFor('sort', { pattern: 'a', threads: 2 })) {
    if (tool.family === 'kiln' || tool.missing) continue;
    const out = join(dir, `sort-${tool.id}.out`);
    assert.is((await runTimed(tool.command(input), out, join(dir, 'mem'))).code, 0, tool.label);
    assert.is(await compareOutputs('bytes', { path: sorted }, { path: out }), undefined, tool.label);
  }
  for (const tool of toolsFor('grep', { pattern: 'a', threads: 2 })) {
    if (tool.family === 'kiln' || tool.missing) continue;
    const out = join(dir, `grep-${tool.id}.out`);
    assert.is((await runTimed(tool.command(input), out, join(dir, 'mem'))).code, 0, tool.label);
    assert.is(await compareOutputs('count', { path: count }, { path: out }), undefined, tool.label);
  }
});

test('describePhases splits the process wall time by the CLI metrics', () => {
  const stage = (kind: string, runs: number[]) => ({ kind, tasks: runs.length, skipped: false, metrics: runs.map((runMs) => ({ runMs, inputBytes: 0, shuffleWriteBytes: 0 })) });
  const metrics = { wallMs: 600, jobs: [{ wallMs: 400, stages: [stage('shuffleMap', [150, 200]), stage('result', [20, 30])] }] };
  const line = describePhases(JSON.stringify(metrics), 800);
  assert.match(line, /^process 0\.80 s = Node start-up, module load, stop and exit 0\.20 s \+ engine start, driver and output 0\.20 s \+ job 1 0\.40 s/);
  assert.match(line, /shuffleMap: 2 tasks, longest 0\.20 s, sum 0\.35 s; result: 2 tasks, longest 0\.03 s, sum 0\.05 s/);
  const overlapping = { wallMs: 600, jobs: [{ wallMs: 400, stages: [] }, { wallMs: 400, stages: [] }] };
  assert.match(describePhases(JSON.stringify(overlapping), 800), /n\/a \(jobs overlap: their walls sum to 0\.80 s of 0\.60 s\)/);
});

test('parseBytes', () => {
  assert.is(parseBytes('43m'), 43e6);
  assert.is(parseBytes('1g'), 1e9);
  assert.is(parseBytes('430MB'), 430e6);
  assert.is(parseBytes('1000'), 1000);
  assert.throws(() => parseBytes('lots'));
});

/** Runs the harness; resolves with its exit code, stdout and the RESULTS file it wrote. */
function harness(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('end to end: word count on a tiny file, one run, kiln and two peers', async () => {
  const input = file('tiny.txt', trickyText(5, 5000));
  const results = join(dir, 'RESULTS.md');
  const { code, stdout, stderr } = await harness(['--task', 'wordcount', '--file', input, '--runs', '1', '--tools', 'kiln,mawk,node', '--out', results]);
  assert.is(code, 0, stderr);
  const report = readFileSync(results, 'utf8');
  for (const text of [stdout, report]) {
    assert.match(text, /\| word count \| tiny\.txt .*\| kiln, 2 workers[^|]*\| [\d.]+ s \|/);
    assert.match(text, /\| kiln, 1 worker[^|]*\| [\d.]+ s \|/);
    assert.match(text, /\| plain Node, 1 thread \| [\d.]+ s \|.*x \|/);
    assert.ok(/\| mawk[^|]*\| [\d.]+ s \|/.test(text) || /\| mawk[^|]*\| missing/.test(text), 'mawk row present');
    assert.not.match(text, /differs|failed/);
  }
  assert.match(report, /Reproduce: `npm run bench -- --task wordcount/);
  assert.match(report, /Load average/);
});

test('end to end: a tool that is not installed is listed as missing', async () => {
  const input = file('tiny2.txt', 'a b c\n');
  const emptyPath = mkdtempSync(join(dir, 'path-'));
  const { code, stdout } = await harness(['--task', 'grep', '--file', input, '--runs', '1', '--out', '-'], { PATH: emptyPath });
  assert.is(code, 0);
  assert.match(stdout, /\| grep -c -F \| missing: grep not on PATH/);
  assert.match(stdout, /\| kiln, 2 workers[^|]*\| [\d.]+ s \|/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
