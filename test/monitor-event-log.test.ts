// The event log: every event a job writes parses and carries Spark's names; its task
// metrics equal kiln.lastJobMetrics; failures are recorded; a log cut short by a killed
// process loads up to its last complete event; a damaged line names file and line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln, KilnError, type JobMetrics } from '../engine/index.js';
import { readEventLog, StatusStore, type SparkEvent } from '../engine/driver/monitor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-evlog-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a word count per (workers, partitions) and returns its log and metrics. */
async function runLogged(workers: number, partitions: number): Promise<{ path: string; metrics: JobMetrics; expected: Map<number, number> }> {
  const logDir = mkdtempSync(join(dir, `w${workers}p${partitions}-`));
  const kiln = await Kiln.start({ workers, eventLog: logDir });
  const data = Array.from({ length: 500 }, (_, i) => i % 13);
  const expected = new Map<number, number>();
  for (const x of data) expected.set(x, (expected.get(x) ?? 0) + 1);
  let metrics: JobMetrics | undefined;
  try {
    const out = await kiln.parallelize(data, partitions).map((x): [number, number] => [x, 1]).reduceByKey((a: number, b: number) => a + b, partitions).collect();
    assert.equal(new Map(out as [number, number][]), expected);
    metrics = kiln.lastJobMetrics!;
    assert.ok(kiln.eventLogPath!.endsWith('.inprogress'));
  } finally {
    await kiln.stop();
  }
  const files = readdirSync(logDir);
  assert.is(files.length, 1, 'one log per application');
  assert.not.ok(files[0]!.endsWith('.inprogress'), 'stop() gives the log its final name');
  return { path: join(logDir, files[0]!), metrics, expected };
}

for (const workers of [0, 1, 2]) {
  for (const partitions of [1, 3]) {
    test(`workers ${workers}, ${partitions} partitions: every event parses and task metrics equal lastJobMetrics`, async () => {
      const { path, metrics } = await runLogged(workers, partitions);
      const lines = readFileSync(path, 'utf8').split('\n');
      assert.is(lines.pop(), '', 'the log ends with a newline');
      const events = lines.map((l) => JSON.parse(l) as SparkEvent);
      const names = events.map((e) => e.Event);
      assert.is(names[0], 'SparkListenerLogStart');
      assert.is(names[1], 'SparkListenerApplicationStart');
      assert.is(names[names.length - 1], 'SparkListenerApplicationEnd');
      for (const n of ['SparkListenerEnvironmentUpdate', 'SparkListenerExecutorAdded', 'SparkListenerJobStart', 'SparkListenerStageSubmitted', 'SparkListenerStageCompleted', 'SparkListenerTaskStart', 'SparkListenerTaskEnd', 'SparkListenerJobEnd']) {
        assert.ok(names.includes(n), `has ${n}`);
      }
      const ends = events.filter((e) => e.Event === 'SparkListenerTaskEnd') as Record<string, any>[];
      const ran = metrics.stages.filter((s) => !s.skipped);
      assert.is(ends.length, ran.reduce((n, s) => n + s.tasks, 0), 'one TaskEnd per task');
      assert.is(events.filter((e) => e.Event === 'SparkListenerTaskStart').length, ends.length);
      for (const stage of ran) {
        const mine = ends.filter((e) => e['Stage ID'] === stage.id).sort((a, b) => a['Task Info'].Index - b['Task Info'].Index);
        assert.is(mine.length, stage.tasks);
        stage.metrics.forEach((m, i) => {
          const tm = mine[i]!['Task Metrics'];
          assert.is(tm['Input Metrics']['Records Read'], m.inputRecords);
          assert.is(tm['Shuffle Write Metrics']['Shuffle Bytes Written'], m.shuffleWriteBytes);
          assert.is(tm['Shuffle Write Metrics']['Shuffle Records Written'], m.shuffleWriteRecords);
          assert.is(tm['Shuffle Read Metrics']['Local Bytes Read'], m.shuffleReadBytes);
          assert.is(tm['Shuffle Read Metrics']['Total Records Read'], m.shuffleReadRecords);
          assert.is(tm['Disk Bytes Spilled'], m.spillBytes);
          assert.is(tm['Executor Run Time'], Math.round(m.runMs));
          assert.is(tm['Peak Execution Memory'], m.peakMemoryBytes);
          assert.type(m.peakMemoryBytes, 'number');
          assert.is(mine[i]!['Task End Reason'].Reason, 'Success');
          assert.is(mine[i]!['Task Info']['Executor ID'] === 'driver', workers === 0);
        });
      }
      const jobEnd = events.find((e) => e.Event === 'SparkListenerJobEnd') as Record<string, any>;
      assert.equal(jobEnd['Job Result'], { Result: 'JobSucceeded' });
      const start = events.find((e) => e.Event === 'SparkListenerJobStart') as Record<string, any>;
      assert.match(start['Kiln Call Site'], /^collect at monitor-event-log\.test\.js:\d+$/, 'the job is named by its action and call site');
      assert.equal(start['Stage IDs'].slice().sort(), metrics.stages.map((s) => s.id).sort());
      for (const info of start['Stage Infos']) {
        assert.type(info['Stage Name'], 'string');
        assert.ok(Array.isArray(info['RDD Info']) && info['RDD Info'].length > 0);
        assert.ok(Array.isArray(info['Kiln Operators']));
      }
    });
  }
}

test('a failing job records JobFailed, the stage failure and failed task attempts', async () => {
  const logDir = mkdtempSync(join(dir, 'fail-'));
  const kiln = await Kiln.start({ workers: 1, eventLog: logDir, maxAttempts: 2 });
  try {
    await kiln.parallelize([1, 2, 3], 3).map((x) => {
      if (x === 2) throw new Error('record 2 is bad');
      return x;
    }).collect();
    assert.unreachable('the job should fail');
  } catch (e) {
    assert.instance(e, KilnError);
  } finally {
    await kiln.stop();
  }
  const events = readFileSync(join(logDir, readdirSync(logDir)[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  const jobEnd = events.find((e) => e.Event === 'SparkListenerJobEnd')!;
  assert.is(jobEnd['Job Result'].Result, 'JobFailed');
  assert.match(jobEnd['Job Result'].Exception.Message, /record 2 is bad/);
  const done = events.find((e) => e.Event === 'SparkListenerStageCompleted')!;
  assert.match(done['Stage Info']['Failure Reason'], /record 2 is bad/);
  const failed = events.filter((e) => e.Event === 'SparkListenerTaskEnd' && e['Task End Reason'].Reason !== 'Success');
  assert.ok(failed.length >= 2, 'both attempts of partition 1 failed');
  const mine = failed.filter((e) => e['Task Info'].Index === 1);
  assert.equal(mine.map((e) => e['Task Info'].Attempt), [0, 1]);
  for (const e of mine) {
    assert.is(e['Task End Reason'].Reason, 'ExceptionFailure');
    assert.match(e['Task End Reason'].Description, /record 2 is bad/);
    assert.is(e['Task Info'].Failed, true);
  }
  // Other partitions' attempts cancelled when the stage failed are killed, not failed.
  for (const e of failed.filter((x) => x['Task Info'].Index !== 1)) {
    assert.is(e['Task End Reason'].Reason, 'TaskKilled');
    assert.is(e['Task Info'].Killed, true);
  }
  const store = new StatusStore();
  for (const e of events) store.apply(e as SparkEvent);
  assert.is(store.jobList()[0]!.status, 'FAILED');
  assert.is(store.stageList()[0]!.status, 'FAILED');
});

test('a log cut short (a killed process) loads up to its last complete event', async () => {
  const { path } = await runLogged(1, 3);
  const whole = readFileSync(path, 'utf8');
  const lines = whole.trim().split('\n');
  const full = new StatusStore();
  readEventLog(path, (e) => full.apply(e));
  // Cut inside the last TaskEnd's line: everything before it loads.
  const lastTaskEnd = whole.lastIndexOf('{"Event":"SparkListenerTaskEnd"');
  const cut = join(dir, 'cut.inprogress');
  writeFileSync(cut, whole.slice(0, lastTaskEnd + 40));
  const store = new StatusStore();
  const summary = readEventLog(cut, (e) => store.apply(e));
  assert.ok(summary.truncated);
  const before = whole.slice(0, lastTaskEnd).split('\n').filter(Boolean).length;
  assert.is(summary.events, before);
  assert.ok(summary.events < lines.length);
  assert.is(store.id, full.id);
  assert.is(store.jobList()[0]!.status, 'RUNNING', 'the job had not ended when the process died');
  assert.is(store.endTime, undefined);
  // The complete log, with its newline cut off only, is whole.
  const noNewline = join(dir, 'no-newline');
  writeFileSync(noNewline, whole.trimEnd());
  const s2 = readEventLog(noNewline, () => undefined);
  assert.not.ok(s2.truncated);
  assert.is(s2.events, lines.length);
  truncateSync(noNewline, 0);
  assert.is(readEventLog(noNewline, () => undefined).events, 0);
  assert.is(statSync(noNewline).size, 0);
});

test('a damaged line before the end is an error naming the file and line', async () => {
  const bad = join(dir, 'damaged');
  writeFileSync(bad, '{"Event":"SparkListenerLogStart","Spark Version":"kiln-1"}\n{"Event": oops\n{"Event":"SparkListenerApplicationEnd","Timestamp":1}\n');
  try {
    readEventLog(bad, () => undefined);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, KilnError);
    assert.match((e as Error).message, new RegExp(`${bad}:2: not a JSON event`));
  }
  const notEvent = join(dir, 'not-event');
  writeFileSync(notEvent, '{"hello":1}\n{"Event":"x"}\n');
  assert.throws(() => readEventLog(notEvent, () => undefined), /not-event:1: not an event/);
  assert.throws(() => readEventLog(join(dir, 'missing'), () => undefined), /cannot read the event log/);
});

test('an event-log directory that cannot be written fails Kiln.start clearly', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  try {
    await Kiln.start({ workers: 0, eventLog: file });
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, KilnError);
    assert.match((e as Error).message, /cannot write the event log in .*a-file.*writable directory/);
  }
});

test.run();
