// Master URLs as Spark parses them, and the executor registry's loss rule on a fake
// clock (no sleeping): the layer below the process tests in cluster-executor.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism } from 'node:os';
import { parseMaster } from '../engine/cluster/master-url.js';
import { ExecutorRegistry, type LossReason } from '../engine/cluster/executor-registry.js';
import { parseHostPort } from '../engine/cluster/executor-process.js';
import { resolveTiming } from '../engine/cluster/settings.js';
import { Kiln } from '../engine/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln } from './support/cli.js';

test("master URLs: Spark's local forms and local-cluster", () => {
  assert.equal(parseMaster('local'), { kind: 'local', threads: 1 });
  assert.equal(parseMaster('local[3]'), { kind: 'local', threads: 3 });
  assert.equal(parseMaster('local[*]'), { kind: 'local', threads: availableParallelism() });
  assert.equal(parseMaster('local[2, 5]'), { kind: 'local', threads: 2, maxFailures: 5 });
  assert.equal(parseMaster('local-cluster[2,1,1024]'), { kind: 'local-cluster', executors: 2, cores: 1, memoryMiB: 1024 });
  assert.equal(parseMaster('local-cluster[ 3 , 2 , 512 ]'), { kind: 'local-cluster', executors: 3, cores: 2, memoryMiB: 512 });
  assert.equal(parseMaster('ssh:/etc/kiln/hosts'), { kind: 'ssh', hostsFile: '/etc/kiln/hosts' });
});

test('bad master URLs are usage errors that list the accepted forms', () => {
  for (const bad of ['', 'local[]', 'local[0]', 'local[-1]', 'local[2', 'local-cluster[2,1]', 'local-cluster[0,1,1024]', 'local-cluster[2,1,1024,5]', 'locl[2]', 'cluster']) {
    assert.throws(() => parseMaster(bad), /master|kiln accepts/, bad);
  }
  assert.throws(() => parseMaster('local-cluster[2,1]'), /kiln accepts local, local\[N\].*local-cluster\[executors,cores,memoryMiB\]/);
  assert.throws(() => parseMaster('local-cluster[0,1,1024]'), /executors must be a whole number >= 1/);
  assert.throws(() => parseMaster('spark://host:7077'), /Spark cluster manager, which kiln does not use/);
  assert.throws(() => parseMaster('yarn'), /Spark cluster manager/);
});

test('Kiln.start: local[N] sets the threads; a bad master and ssh fail clearly', async () => {
  const k = await Kiln.start({ master: 'local[2]' });
  try {
    assert.is(k.options.workers, 2);
    assert.equal(await k.parallelize([1, 2, 3, 4, 5], 3).map((x: number) => x * 2).collect(), [2, 4, 6, 8, 10]);
  } finally {
    await k.stop();
  }
  let error: unknown;
  try {
    await Kiln.start({ master: 'local-clustr[2,1,1024]' });
  } catch (e) {
    error = e;
  }
  assert.match(String(error), /invalid master URL "local-clustr\[2,1,1024\]"/);
  error = undefined;
  try {
    await Kiln.start({ master: 'ssh:hosts.txt' });
  } catch (e) {
    error = e;
  }
  assert.match(String(error), /ssh launching is not built yet/);
});

test('registry: lost after the heartbeat timeout, once, with the reason; a heartbeat keeps it', () => {
  let now = 1000;
  const lost: [string, LossReason][] = [];
  const r = new ExecutorRegistry(500, () => now);
  r.onLost = (e, reason) => lost.push([e.id, reason]);
  const info = { host: '127.0.0.1', blockPort: 9, cores: 1, memoryBytes: 1 << 20, pid: 7 };
  const a = r.register(info);
  const b = r.register(info);
  assert.is.not(a.id, b.id);
  now += 400;
  assert.ok(r.heartbeat(a.id));
  now += 400; // a: 400 ms since its beat; b: 800 ms
  assert.equal(r.expire(), [b.id]);
  assert.equal(lost, [[b.id, 'heartbeat timeout']]);
  assert.not.ok(r.heartbeat(b.id), 'a lost executor is not revived by a late heartbeat');
  assert.equal(r.expire(), []);
  r.lose(a.id, 'connection closed');
  r.lose(a.id, 'heartbeat timeout');
  assert.equal(lost, [[b.id, 'heartbeat timeout'], [a.id, 'connection closed']]);
  assert.equal(r.alive(), []);
  assert.is(r.all().length, 2);
  assert.not.ok(r.heartbeat('no-such-id'));
});

test('timing and --driver parsing', () => {
  assert.equal(resolveTiming(), { heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000 });
  assert.equal(resolveTiming({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 }), { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 });
  assert.throws(() => resolveTiming({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 100 }), /must exceed/);
  assert.throws(() => resolveTiming({ heartbeatIntervalMs: 0 }), /must be > 0/);
  assert.equal(parseHostPort('127.0.0.1:7077'), { host: '127.0.0.1', port: 7077 });
  assert.equal(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  for (const bad of ['host', 'host:', 'host:0', 'host:70000', ':80']) assert.throws(() => parseHostPort(bad), /--driver must be HOST:PORT/);
});

test('CLI: --master local-cluster gives the threads answers; a bad --master is a usage error (exit 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-cluster-cli-'));
  try {
    const input = join(dir, 'in.txt');
    writeFileSync(input, Array.from({ length: 3000 }, (_, i) => `line ${i % 7} fox${i % 3}`).join('\n') + '\n');
    for (const args of [['grep', 'fox1', input], ['wordcount', input]]) {
      const threads = kiln(['--quiet', '--workers', '2', ...args]);
      const cluster = kiln(['--quiet', '--master', 'local-cluster[2,1,128]', ...args]);
      assert.is(threads.code, 0, threads.stderr);
      assert.is(cluster.code, 0, cluster.stderr);
      assert.ok(threads.stdout.length > 0);
      assert.ok(cluster.stdout.equals(threads.stdout), args.join(' '));
    }
    const bad = kiln(['--master', 'local-cluster[2,1]', 'wordcount', input]);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /invalid master URL "local-cluster\[2,1\]"/);
    const env = kiln(['wordcount', input], { env: { KILN_MASTER: 'spark://h:7077' } });
    assert.is(env.code, 2);
    assert.match(env.stderr, /Spark cluster manager/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
