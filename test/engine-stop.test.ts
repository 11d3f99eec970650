// Stopping a context while its worker threads are still loading the task module. Node
// aborted the whole process (SIGABRT, exit 134, "FATAL ERROR: v8::Module::IsGraphAsync")
// when a worker was terminated inside require(esm) — seen after `kiln wordcount
// --workers 2` on a small file, whose one-task job finished before the second worker
// had loaded. Each case runs in a child process, since the failure kills the process.
//
// The abort needs the terminate to land inside a few milliseconds of synchronous module
// instantiation, so this test is probabilistic: the child stops contexts at delays
// spread around the moment the workers finish loading (learned from the previous
// round), for about 8 s. Without the fix (worker-entry.cts) it aborted in about half
// of the runs on a busy 2-core machine; with it, it must never.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';

const ENGINE = new URL('../engine/index.js', import.meta.url).href;

/** The child: start, wait, stop, over and over; prints how many rounds it ran. */
const CHILD = `
import { Kiln } from ${JSON.stringify(ENGINE)};
const budgetMs = Number(process.argv[1]);
const t0 = performance.now();
// Start-up of a worker, from 'online' to loaded (ms): a moving average over rounds.
let loadMs = 150;
let rounds = 0;
while (performance.now() - t0 < budgetMs) {
  const kiln = await Kiln.start({ workers: 2 });
  // Test-only peek at the pool's threads, to time the stop against their loading.
  const first = kiln.tasks.pool.threads[0];
  let onlineAt = 0;
  first.on('message', (m) => {
    if (m && typeof m === 'object' && '_WORKER_READY' in m) loadMs = 0.7 * loadMs + 0.3 * (performance.now() - onlineAt);
  });
  await new Promise((resolve) => first.once('online', resolve));
  onlineAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, loadMs * (0.5 + 0.55 * Math.random())));
  await kiln.stop();
  rounds++;
}
// And the CLI's case: a one-partition job on two workers, then stop at once.
const kiln = await Kiln.start({ workers: 2 });
const doubled = await kiln.parallelize([1, 2, 3], 1).map((x) => x * 2).collect();
await kiln.stop();
process.stdout.write(rounds + ' rounds, job ' + doubled.join(',') + '\\n');
`;

test('stopping a context while its workers load the task module exits cleanly', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, '8000'], { encoding: 'utf8', timeout: 90_000 });
  const detail = `signal ${r.signal}, stderr:\n${r.stderr.slice(0, 2000)}`;
  assert.not.match(r.stderr, /FATAL ERROR/, detail);
  assert.is(r.signal, null, detail);
  assert.is(r.status, 0, detail);
  assert.match(r.stdout, /^\d+ rounds, job 2,4,6\n$/, detail);
});

test.run();
