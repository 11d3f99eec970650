// Task slots (engine/driver/scheduler/task-slots.ts) and what they mean to listeners: a task counts
// as started only once it holds a worker thread, so started-minus-ended never exceeds
// the worker count, and the progress bar reads `(0 + 2) / 4` with 2 workers, not
// `(0 + 4) / 4`. Everything here is ordered by promises and the scheduler's own
// events, never by a clock: the engine cases hold for any machine speed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsoleProgress, SHOW_AFTER_MS } from '../cli/progress.js';
import { Kiln, type JobListener } from '../engine/index.js';
import { TaskSlots } from '../engine/driver/scheduler/task-slots.js';

test('slots are granted first come first served, and a release passes the slot on', async () => {
  const slots = new TaskSlots(2);
  const order: number[] = [];
  const a = await slots.acquire();
  const b = await slots.acquire();
  assert.is(slots.taken, 2);
  const waiters = [3, 4, 5].map((n) => slots.acquire().then((release) => (order.push(n), release)));
  await Promise.resolve();
  assert.equal(order, [], 'nobody is granted while both slots are taken');
  a();
  a(); // a second release of the same slot is a no-op
  const c = await waiters[0]!;
  assert.equal(order, [3]);
  assert.is(slots.taken, 2);
  b();
  c();
  const [d, e] = await Promise.all([waiters[1]!, waiters[2]!]);
  assert.equal(order, [3, 4, 5]);
  d!();
  e!();
  assert.is(slots.taken, 0);
});

test('an aborted waiter leaves the queue without taking a slot', async () => {
  const slots = new TaskSlots(1);
  const held = await slots.acquire();
  const stop = new AbortController();
  const waiting = slots.acquire(stop.signal);
  stop.abort(new Error('stop'));
  let reason: unknown;
  await waiting.catch((e: unknown) => (reason = e));
  assert.instance(reason, Error);
  assert.is((reason as Error).message, 'stop');
  held();
  assert.is(slots.taken, 0, 'the slot came back instead of going to the aborted waiter');
  const again = await slots.acquire();
  assert.is(slots.taken, 1);
  again();
  await slots.acquire(AbortSignal.abort()).then(
    () => assert.unreachable('an already aborted signal gets no slot'),
    () => undefined,
  );
});

test('bad slot counts are refused', () => {
  assert.throws(() => new TaskSlots(0), /positive integer/);
  assert.throws(() => new TaskSlots(1.5), /positive integer/);
});

/** Records the largest number of task attempts between start and end at once. */
function concurrency(): JobListener & { max: number; starts: number; ends: number } {
  let running = 0;
  const l = {
    max: 0,
    starts: 0,
    ends: 0,
    onTaskStart: () => {
      l.starts++;
      running++;
      l.max = Math.max(l.max, running);
    },
    onTaskEnd: () => {
      l.ends++;
      running--;
    },
  };
  return l;
}

const data = Array.from({ length: 400 }, (_, i) => i);

for (const workers of [0, 1, 2]) {
  for (const parts of [1, 4, 7]) {
    test(`started tasks never exceed the workers [workers=${workers}, partitions=${parts}]`, async () => {
      const listener = concurrency();
      const kiln = await Kiln.start({ workers, memory: '32m', workerMemory: '32m', listener });
      try {
        const sums = await kiln
          .parallelize(data, parts)
          .map((x) => [x % 5, x] as [number, number])
          .reduceByKey((a, b) => a + b)
          .collect();
        sums.sort((a, b) => a[0] - b[0]);
        const expected = [0, 1, 2, 3, 4].map((k) => [k, data.filter((x) => x % 5 === k).reduce((a, b) => a + b, 0)]);
        assert.equal(sums, expected);
        const slots = Math.max(1, workers);
        // Both stages start min(slots, parts) tasks before any can end (their results
        // come back on later event-loop turns), and never more.
        assert.is(listener.max, Math.min(slots, parts));
        assert.is(listener.starts, listener.ends);
        assert.is(listener.starts, 2 * parts, 'one attempt per task of the map and result stages');
      } finally {
        await kiln.stop();
      }
    });
  }
}

test('the progress bar reads (0 + 2) / 4 while 2 workers run the first 2 of 4 tasks', async () => {
  let now = 0;
  const lines: string[] = [];
  const bar = new ConsoleProgress({ write: () => undefined, columns: 80, now: () => now });
  // Each start draws the bar as it would look 500 ms into the stage.
  const listener: JobListener = {
    onStageSubmitted: (s, n) => bar.onStageSubmitted(s, n),
    onStageCompleted: (s) => bar.onStageCompleted(s),
    onTaskStart: (s) => {
      bar.onTaskStart(s);
      now += SHOW_AFTER_MS;
      lines.push(bar.render());
    },
    onTaskEnd: (s, p, m, ok) => bar.onTaskEnd(s, p, m, ok),
  };
  const kiln = await Kiln.start({ workers: 2, memory: '32m', workerMemory: '32m', listener });
  try {
    assert.is(await kiln.parallelize(data, 4).count(), data.length);
  } finally {
    await kiln.stop();
  }
  const counts = lines.map((l) => /\((\d+) \+ (\d+)\) \/ 4\]/.exec(l)!.slice(1).map(Number) as [number, number]);
  assert.is(counts.length, 4);
  assert.equal(counts[1], [0, 2], 'the second start: nothing done, two running');
  for (const [done, running] of counts) {
    assert.ok(running <= 2, `never more running than workers: ${JSON.stringify(counts)}`);
    assert.ok(done + running <= 4);
  }
  assert.not.ok(lines.some((l) => l.includes('(0 + 4)')));
});

test.run();
