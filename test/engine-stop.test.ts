// Stopping a context while its worker threads are still loading the task module. Node
// aborted the whole process (SIGABRT, exit 134, "FATAL ERROR: v8::Module::IsGraphAsync")
// when a worker was terminated inside require(esm) — seen after `kiln wordcount
// --workers 2` on a small file, whose one-task job finished before the second worker
// had loaded. Each case runs in a child process, since the failure kills the process.
//
// The abort needs the terminate to land inside a few milliseconds of synchronous module
// instantiation, so this test is probabilistic: the child closes task pools at delays
// spread around the moment the workers finish loading (learned from the previous
// round), for about 8 s. Without the fix (worker-entry.cts) it aborted in about half
// of the runs on a busy 2-core machine; with it, it must never.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

const ENGINE = new URL('../engine/index.js', import.meta.url).href;
const EXEC = new URL('../engine/driver/scheduler/task-scheduler.js', import.meta.url).href;
const MEMORY = new URL('../engine/executor/memory/budget.js', import.meta.url).href;
const KERNELS = new URL('../engine/executor/kernels/module.js', import.meta.url).href;

/**
 * The child: make a task scheduler (as Kiln.start does, without waiting for its
 * threads, which Kiln.start now does), close it while its threads load, over and
 * over; prints how many rounds it ran.
 */
const CHILD = `
import { Kiln } from ${JSON.stringify(ENGINE)};
import { TaskScheduler } from ${JSON.stringify(EXEC)};
import { MemoryBudget } from ${JSON.stringify(MEMORY)};
import { kernelModule, createSharedMemory } from ${JSON.stringify(KERNELS)};
const budgetMs = Number(process.argv[1]);
const module = kernelModule();
const t0 = performance.now();
// Start-up of a worker, from 'online' to loaded (ms): a moving average over rounds.
let loadMs = 150;
let rounds = 0;
while (performance.now() - t0 < budgetMs) {
  const memory = createSharedMemory(1 << 20);
  const budget = new MemoryBudget(memory, 65536, { driverBytes: 1 << 20, workerBytes: 1 << 20, workers: 2, shuffleBytes: 1 << 20 });
  const tasks = new TaskScheduler(budget, { module, memory }, 2);
  // Test-only peek at the pool's threads, to time the stop against their loading.
  const first = tasks.pool.threads[0];
  let onlineAt = 0;
  first.on('message', (m) => {
    if (m && typeof m === 'object' && '_WORKER_READY' in m) loadMs = 0.7 * loadMs + 0.3 * (performance.now() - onlineAt);
  });
  await new Promise((resolve) => first.once('online', resolve));
  onlineAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, loadMs * (0.5 + 0.55 * Math.random())));
  await tasks.close();
  rounds++;
}
// And the CLI's case: a one-partition job on two workers, then stop at once.
const kiln = await Kiln.start({ workers: 2 });
const doubled = await kiln.parallelize([1, 2, 3], 1).map((x) => x * 2).collect();
await kiln.stop();
process.stdout.write(rounds + ' rounds, job ' + doubled.join(',') + '\\n');
`;

test('closing a pool while its workers load the task module exits cleanly', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, '8000'], { encoding: 'utf8', timeout: 90_000 });
  const detail = `signal ${r.signal}, stderr:\n${r.stderr.slice(0, 2000)}`;
  assert.not.match(r.stderr, /FATAL ERROR/, detail);
  assert.is(r.signal, null, detail);
  assert.is(r.status, 0, detail);
  assert.match(r.stdout, /^\d+ rounds, job 2,4,6\n$/, detail);
});

test('Kiln.start resolves once every worker thread has loaded the task module', async () => {
  const { Kiln } = (await import(ENGINE)) as typeof import('../engine/index.js');
  const { READY_WORD } = await import('../engine/common/protocol/protocol.js');
  for (const workers of [1, 2]) {
    const kiln = await Kiln.start({ workers, memory: '16m', workerMemory: '16m' });
    try {
      // Test-only peek at the scheduler's control words.
      const control = (kiln as unknown as { tasks: { control: Int32Array } }).tasks.control;
      assert.is(Atomics.load(control, READY_WORD), workers);
      assert.equal(await kiln.parallelize([1, 2, 3], workers).map((x) => x + 1).collect(), [2, 3, 4]);
    } finally {
      await kiln.stop();
    }
  }
});

test('stop() while a job runs: the job rejects saying the context was stopped', async () => {
  const { Kiln } = (await import(ENGINE)) as typeof import('../engine/index.js');
  const kiln = await Kiln.start({ workers: 1, memory: '16m', workerMemory: '16m' });
  const job = kiln
    .parallelize([1, 2], 2)
    .map((x) => {
      // 30 s: the job cannot end before stop() below, however late its timer fires.
      const until = Date.now() + 30_000;
      while (Date.now() < until);
      return x;
    })
    .collect();
  const outcome = job.then(
    () => 'resolved',
    (e: unknown) => (e as Error).message,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  await kiln.stop();
  const message = await outcome;
  assert.match(message, /context was stopped/);
  assert.not.match(message, /failed \d+ times/);
});

test.run();
