// The console progress bar (cli/progress.ts) with a fake clock and a fake terminal:
// Spark's rules — nothing before 500 ms, no one-task stages, at most 3 stages, redraw
// only on change, erased with spaces at the end — and the summary's byte formatting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsoleProgress, formatRate } from '../cli/progress.js';
import { formatBytes } from '../cli/summary.js';
import type { Stage, TaskMetrics } from '../engine/index.js';

const metrics = (inputBytes: number): TaskMetrics => ({
  inputBytes, inputRecords: 0, shuffleWriteBytes: 0, shuffleWriteRecords: 0, shuffleReadBytes: 0, shuffleReadRecords: 0, spillBytes: 0, resultRecords: 0, runMs: 1,
});
const stage = (id: number): Stage => ({ id, kind: 'shuffleMap', node: {} as Stage['node'], parents: [] });

function fixture(columns = 80) {
  let now = 0;
  const out: string[] = [];
  const bar = new ConsoleProgress({ write: (s) => out.push(s), columns, now: () => now });
  return { bar, out, advance: (ms: number) => (now += ms) };
}

test('nothing is drawn before 500 ms, then the Spark-style bar with MB/s', () => {
  const { bar, out, advance } = fixture();
  bar.onStageSubmitted(stage(1), 40);
  for (let p = 0; p < 14; p++) bar.onTaskStart(1);
  for (let p = 0; p < 12; p++) bar.onTaskEnd(1, p, metrics(1e6), true);
  advance(499);
  bar.refresh();
  assert.equal(out, []);
  advance(1);
  bar.refresh();
  assert.is(out.length, 1);
  const line = out[0]!;
  assert.match(line, /^\r\[Stage 1:=+>\s+\(12 \+ 2\) \/ 40\] 24\.0 MB\/s$/);
  assert.ok(line.length - 1 <= 79, 'fits the width, last column free');
  bar.refresh();
  assert.is(out.length, 1, 'no redraw when nothing changed');
  bar.finish();
  assert.is(out[1], `\r${' '.repeat(line.length - 1)}\r`);
});

test('one-task stages are never shown; at most three stages share the line', () => {
  const { bar, out, advance } = fixture(120);
  bar.onStageSubmitted(stage(0), 1);
  advance(600);
  bar.refresh();
  assert.equal(out, []);
  for (const id of [1, 2, 3, 4]) bar.onStageSubmitted(stage(id), 10);
  advance(600);
  bar.refresh();
  const line = out.at(-1)!;
  assert.match(line, /\[Stage 1:.*\[Stage 2:.*\[Stage 3:/);
  assert.not.match(line, /Stage 4|Stage 0/);
  bar.onStageCompleted(stage(1));
  bar.onStageCompleted(stage(2));
  bar.onStageCompleted(stage(3));
  bar.onStageCompleted(stage(4));
  assert.match(out.at(-1)!, /^\r +\r$/, 'erased when the last stage completes');
  bar.onStageCompleted(stage(0));
});

test('byte and rate formatting', () => {
  assert.is(formatBytes(0), '0 B');
  assert.is(formatBytes(999), '999 B');
  assert.is(formatBytes(1500), '1.5 kB');
  assert.is(formatBytes(64e6), '64.0 MB');
  assert.is(formatRate(50e6, 2), '25.0 MB/s');
  assert.is(formatRate(1, 0), '0.0 MB/s');
});

test.run();
