// Tasks on executor processes (local-cluster[2,1,128], real sockets): self-contained
// stages (files or slices through narrow operators into a value or files) give the
// same answers as threads mode and a plain-JS reference, and really run in the
// executors' processes; a stage with a shuffle still runs on the driver's threads with
// the same answer; SIGKILL of an executor mid-stage retries its tasks on the other one;
// a failing function and maxResultSize fail with clear errors. One cluster per test
// file run (starting executors costs ~1 s); every child is killed in a finally.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kiln } from '../engine/index.js';
import { rng, randInt } from './support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-cluster-tasks-'));
const r = rng(20261203);
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Épée', 'x', 'yy', 'zzz'];
const lines = Array.from({ length: 5000 }, () => Array.from({ length: randInt(r, 9) }, () => WORDS[randInt(r, WORDS.length)]).join(' '));
const input = join(dir, 'in.txt');
writeFileSync(input, `${lines.join('\n')}\n`);

const TIMING = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1500 };

async function withContexts(fn: (cluster: Kiln, threads: Kiln) => Promise<void>, clusterOptions: Parameters<typeof Kiln.start>[0] = {}): Promise<void> {
  const threads = await Kiln.start({ workers: 2 });
  let cluster: Kiln | undefined;
  try {
    cluster = await Kiln.start({ master: 'local-cluster[2,1,128]', workers: 1, ...TIMING, ...clusterOptions });
    await fn(cluster, threads);
  } finally {
    const pids = cluster?.localCluster?.pids() ?? [];
    await cluster?.stop();
    await threads.stop();
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  }
}

test('self-contained stages: equal to threads mode and to plain JS, run in the executor processes', async () => {
  await withContexts(async (cluster, threads) => {
    const executorPids = cluster.localCluster!.pids();
    for (const k of [cluster, threads]) {
      const text = k.textFile(input, { minPartitions: 5 });
      assert.is(await text.count(), lines.length);
      assert.equal(await text.filter((l: string) => l.includes('gamma')).collect(), lines.filter((l) => l.includes('gamma')));
      assert.equal(await text.map((l: string) => l.length).collect(), lines.map((l) => l.length));
      assert.is(await text.map((l: string) => l.split(' ').length).reduce((a: number, b: number) => a + b), lines.reduce((a, l) => a + l.split(' ').length, 0));
      assert.equal(await k.parallelize([5, 3, 9, 1, 7, 2], 3).takeOrdered(3), [1, 2, 3]);
      const out = join(dir, `saved-${k === cluster ? 'cluster' : 'threads'}`);
      await text.filter((l: string) => l.startsWith('a')).saveAsTextFile(out);
      const saved = readdirSync(out).filter((f) => f.startsWith('part-')).sort().map((f) => readFileSync(join(out, f), 'utf8')).join('');
      assert.is(saved, lines.filter((l) => l.startsWith('a')).map((l) => `${l}\n`).join(''));
    }
    const ran = new Set(await cluster.parallelize([1, 2, 3, 4, 5, 6], 6).map(() => process.pid).collect());
    for (const pid of ran) assert.ok(executorPids.includes(pid), `task ran in pid ${pid}, not an executor (${executorPids.join(', ')})`);
    assert.not.ok(ran.has(process.pid));
  });
});

test('a stage with a shuffle (word count) runs on the driver and gives the same answer', async () => {
  await withContexts(async (cluster, threads) => {
    const counts = (k: Kiln) => k.textFile(input, { minPartitions: 4 }).words().valueCounts().collect();
    const sorted = (rows: [string, number][]) => [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const expected = new Map<string, number>();
    for (const l of lines) for (const w of l.split(/\s+/).filter(Boolean)) expected.set(w.toLowerCase(), (expected.get(w.toLowerCase()) ?? 0) + 1);
    const a = sorted((await counts(cluster)) as [string, number][]);
    assert.equal(a, sorted((await counts(threads)) as [string, number][]));
    assert.is(a.reduce((s, [, c]) => s + c, 0), [...expected.values()].reduce((s, c) => s + c, 0));
  });
});

test('SIGKILL of an executor mid-stage: its task is retried on the other, same answer', async () => {
  let killed: number | undefined;
  let started = 0;
  let failed = 0;
  const listener = {
    onTaskEnd: (_stage: number, _partition: number, _metrics: unknown, ok: boolean) => {
      if (!ok) failed++;
    },
    onTaskStart: () => {
      // Both executors (one core each) hold a task: kill the first one.
      if (++started === 2 && killed === undefined) {
        killed = cluster!.localCluster!.pids()[0]!;
        process.kill(killed, 'SIGKILL');
      }
    },
  };
  let cluster: Kiln | undefined;
  await withContexts(
    async (c) => {
      cluster = c;
      const data = Array.from({ length: 8 }, (_, i) => i);
      const out = await c
        .parallelize(data, 8)
        .map((x: number) => {
          const end = Date.now() + 150;
          while (Date.now() < end);
          return x * 10;
        })
        .collect();
      assert.equal(out, data.map((x) => x * 10));
      assert.ok(killed !== undefined);
      assert.ok(failed >= 1, 'the task in flight on the killed executor failed and was retried');
      const lost = c.localCluster!.endpoint.registry.all().filter((e) => e.lost);
      assert.equal(lost.map((e) => e.pid), [killed]);
      assert.is(c.localCluster!.executors().length, 1);
    },
    { listener },
  );
});

test('a function that throws fails the job naming the executor; maxResultSize is enforced', async () => {
  await withContexts(
    async (cluster) => {
      let error: unknown;
      try {
        await cluster.parallelize([1, 2, 3], 3).map((x: number) => {
          if (x === 2) throw new Error('boom at two');
          return x;
        }).collect();
      } catch (e) {
        error = e;
      }
      assert.match(String(error), /boom at two/);
      assert.match(String(error), /failed 4 times/);
      assert.match(String(error), /on executor \d+ \(pid \d+ on 127\.0\.0\.1\)/);
      error = undefined;
      try {
        await cluster.parallelize(Array.from({ length: 20 }, (_, i) => 'x'.repeat(10_000) + i), 2).collect();
      } catch (e) {
        error = e;
      }
      assert.match(String(error), /exceed maxResultSize \(65536 bytes/);
      // The context still works after both failures.
      assert.is(await cluster.parallelize([1, 2, 3], 2).count(), 3);
    },
    { maxResultSize: 65536 },
  );
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
