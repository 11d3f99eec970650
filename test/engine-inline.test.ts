// workers: 0 (inline) must stay interruptible: a user function that never returns
// runs on the user-code thread (engine/driver/scheduler/user-code.ts), so an AbortSignal and
// kiln.stop() still end the job, and the context stays usable. Kernel-only tasks
// still run inline. Each abort is triggered by the task's start event, not a timer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { runsUserCode } from '../engine/driver/scheduler/user-code.js';
import type { TaskTemplate } from '../engine/driver/scheduler/task-scheduler.js';
import { rejects } from './support/rejects.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-inline-'));
const file = join(dir, 'small.txt');
writeFileSync(file, 'a b\nc\n');

test('workers 0: a function that never returns is stopped by its AbortSignal, and the context stays usable', async () => {
  const stop = new AbortController();
  const kiln = await Kiln.start({ workers: 0, memory: '64m', listener: { onTaskStart: () => stop.abort() } });
  try {
    const job = kiln.parallelize([1, 2, 3], 1).map((x) => {
      for (;;) if (x < 0) break;
      return x;
    }).collect({ signal: stop.signal });
    await rejects(() => job, /cancelled|aborted/);
    kiln.setListener(undefined);
    assert.equal(await kiln.parallelize([1, 2, 3], 2).map((x) => x * 2).collect(), [2, 4, 6]);
    assert.equal(await kiln.textFile(file).flatMap((l) => l.split(' ')).count(), 3);
  } finally {
    await kiln.stop();
  }
});

test('workers 0: kiln.stop() ends a job whose function never returns', async () => {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const kiln = await Kiln.start({ workers: 0, memory: '64m', listener: { onTaskStart: () => started() } });
  const job = kiln.parallelize(['x'], 1).filter(() => {
    for (;;);
  }).count();
  job.catch(() => undefined);
  await running;
  await kiln.stop();
  await rejects(() => job, /stopped|cancelled|aborted/);
});

test('workers 0: answers equal with and without user code (inline kernels, the user-code thread)', async () => {
  const kiln = await Kiln.start({ workers: 0, memory: '64m' });
  try {
    assert.is(await kiln.textFile(file).count(), 2);
    assert.equal(await kiln.textFile(file).map((l) => l.length).collect(), [3, 1]);
    assert.equal((await kiln.textFile(file).flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).collect()).sort(), [['a', 1], ['b', 1], ['c', 1]]);
  } finally {
    await kiln.stop();
  }
});

test('runsUserCode: shipped functions and pipe steps anywhere in a plan; records of parallelize are data', () => {
  const task = (node: unknown, sink: unknown = { t: 'count' }): TaskTemplate => ({ node, sink }) as unknown as TaskTemplate;
  assert.is(runsUserCode(task({ t: 'empty' })), false);
  assert.is(runsUserCode(task({ t: 'slice', data: [{ source: 'x => x', name: 'map' }] })), false, 'a record shaped like a function is data');
  assert.is(runsUserCode(task({ t: 'pipeline', parent: { t: 'empty' }, steps: [{ kind: 'map', fn: { source: 'x => x', name: 'map' } }] })), true);
  assert.is(runsUserCode(task({ t: 'pipeline', parent: { t: 'empty' }, steps: [{ kind: 'pipe', command: ['cat'] }] })), true);
  assert.is(runsUserCode(task({ t: 'empty' }, { t: 'foreach', fn: { source: 'x => {}', name: 'foreach' }, perPartition: false })), true);
  assert.is(runsUserCode(task({ t: 'concat', parts: [{ t: 'empty' }, { t: 'cached', location: { kind: 'memory' } }] })), false);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
