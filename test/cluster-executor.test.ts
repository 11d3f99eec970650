// Executor processes over real loopback sockets: `kiln executor` refuses to start
// without a secret and is refused by a driver with another; a hung executor
// (SIGSTOP) is declared lost after the heartbeat timeout; an executor whose driver
// hangs (SIGSTOP) or dies (SIGKILL) exits by itself; Kiln.start with local-cluster
// starts N executors with the secret outside argv and stop() leaves none. Timings are
// short (heartbeat 100 ms, timeout 600 ms); waits are bounded polls, and every child
// is killed in a finally.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DriverEndpoint } from '../engine/cluster/driver-endpoint.js';
import { newSecret, secretText } from '../engine/cluster/secret.js';
import { Kiln } from '../engine/index.js';
import { KILN } from './support/cli.js';

const TIMING = { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600 };
const CLUSTER_INDEX = fileURLToPath(new URL('../engine/cluster/index.js', import.meta.url));
const ENGINE_INDEX = fileURLToPath(new URL('../engine/index.js', import.meta.url));

/** Children to kill in the finally of each test. */
const children = new Set<ChildProcess>();
/** Pids of grandchildren (executors of a driver child) to kill likewise. */
const strays = new Set<number>();

function start(args: readonly string[], env: Record<string, string | undefined>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  children.add(child);
  return Object.assign(child, { output: () => out });
}

function executor(port: number, env: Record<string, string | undefined>): ChildProcess & { output: () => string } {
  return start([KILN, 'executor', '--driver', `127.0.0.1:${port}`, '--cores', '1', '--memory', '64m', '--verbose'], env);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** True while `pid` runs (a zombie counts as gone: it has exited, only its status is unread). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `cond` until it holds; fails after `ms` (a bound against hangs, generous on a loaded machine). */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  strays.clear();
}

test('an executor without a secret does not start; a wrong secret is refused by the driver and logged', async () => {
  const logs: string[] = [];
  const driver = await DriverEndpoint.start({ secret: newSecret(), timing: TIMING, log: (l) => logs.push(l) });
  try {
    const none = executor(driver.port, { KILN_SECRET: undefined });
    const noneExit = await exited(none);
    assert.is(noneExit.code, 2, none.output());
    assert.match(none.output(), /no secret: pass --secret-file FILE or set KILN_SECRET/);
    const wrong = executor(driver.port, { KILN_SECRET: secretText(newSecret()) });
    const wrongExit = await exited(wrong);
    assert.is(wrongExit.code, 1, wrong.output());
    assert.match(wrong.output(), /cannot connect to the kiln driver or executor at 127\.0\.0\.1:\d+/);
    await until(() => logs.some((l) => /refused connection from 127\.0\.0\.1:\d+ in the TLS handshake/.test(l)), 5000, 'the refusal log');
    assert.equal(driver.executors(), []);
  } finally {
    killAll();
    await driver.close();
  }
});

test('a killed executor (SIGKILL) is lost when its connection closes', async () => {
  const secret = newSecret();
  const lost: string[] = [];
  // A timeout far beyond the test's bound: only the closed connection can lose it.
  const driver = await DriverEndpoint.start({ secret, timing: { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600_000 }, log: () => {} });
  driver.registry.onLost = (e, reason) => lost.push(`${e.pid}:${reason}`);
  try {
    const child = executor(driver.port, { KILN_SECRET: secretText(secret) });
    await driver.waitForExecutors(1, 15_000);
    child.kill('SIGKILL');
    await until(() => lost.length > 0, 10_000, 'the executor to be declared lost');
    assert.equal(lost, [`${child.pid}:connection closed`]);
    assert.equal(driver.executors(), []);
  } finally {
    killAll();
    await driver.close();
  }
});

test('a hung executor (SIGSTOP) is declared lost after the heartbeat timeout', async () => {
  const secret = newSecret();
  const lost: string[] = [];
  const driver = await DriverEndpoint.start({ secret, timing: TIMING, log: () => {} });
  driver.registry.onLost = (e, reason) => lost.push(`${e.pid}:${reason}`);
  try {
    const child = executor(driver.port, { KILN_SECRET: secretText(secret) });
    const [entry] = await driver.waitForExecutors(1, 15_000);
    assert.is(entry!.pid, child.pid);
    assert.is(entry!.cores, 1);
    assert.is(entry!.memoryBytes, 64 << 20);
    assert.ok(entry!.blockPort > 0);
    child.kill('SIGSTOP');
    await until(() => lost.length > 0, 10_000, 'the executor to be declared lost');
    assert.equal(lost, [`${child.pid}:heartbeat timeout`]);
  } finally {
    killAll();
    await driver.close();
  }
});

test('an executor whose driver hangs (SIGSTOP) exits by itself after the heartbeat timeout', async () => {
  const secret = newSecret();
  // The driver runs in a child, so that it can be stopped (SIGSTOP) as a hung driver.
  const script = `
    const { DriverEndpoint } = await import(${JSON.stringify(CLUSTER_INDEX)});
    const d = await DriverEndpoint.start({ secret: Buffer.from(process.env.KILN_SECRET, 'hex'), timing: ${JSON.stringify(TIMING)}, log: () => {} });
    console.log('PORT ' + d.port);
    setInterval(() => {}, 1000);`;
  const driverChild = start(['--input-type=module', '-e', script], { KILN_SECRET: secretText(secret) });
  try {
    await until(() => /PORT \d+/.test(driverChild.output()), 10_000, 'the driver child to listen');
    const port = Number(/PORT (\d+)/.exec(driverChild.output())![1]);
    const child = executor(port, { KILN_SECRET: secretText(secret) });
    await until(() => /registered with/.test(child.output()), 10_000, 'registration');
    driverChild.kill('SIGSTOP');
    const exit = await Promise.race([exited(child), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000).unref())]);
    assert.equal(exit, { code: 1, signal: null }, child.output());
    assert.match(child.output(), /exiting: heartbeat timeout/);
  } finally {
    driverChild.kill('SIGCONT');
    killAll();
  }
});

test('local-cluster[2,1,128]: executors register with the secret outside argv, and stop() leaves none', async () => {
  const kiln = await Kiln.start({ master: 'local-cluster[2,1,128]', workers: 1, heartbeatIntervalMs: TIMING.heartbeatIntervalMs, heartbeatTimeoutMs: TIMING.heartbeatTimeoutMs });
  let pids: number[] = [];
  try {
    const cluster = kiln.localCluster!;
    pids = cluster.pids();
    for (const p of pids) strays.add(p);
    assert.is(pids.length, 2);
    assert.equal(cluster.executors().map((e) => e.pid).sort(), [...pids].sort());
    for (const e of cluster.executors()) {
      assert.is(e.cores, 1);
      assert.is(e.memoryBytes, 128 << 20);
      assert.is(e.host, '127.0.0.1');
    }
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('executor'), argv.join(' '));
      const secretInArgv = argv.some((a) => /^[0-9a-f]{64}$/.test(a));
      assert.not.ok(secretInArgv, 'no secret in argv');
      assert.match(readFileSync(`/proc/${pid}/environ`, 'utf8'), /(^|\0)KILN_SECRET=[0-9a-f]{64}(\0|$)/);
    }
    assert.equal(await kiln.parallelize([3, 1, 2], 2).map((x: number) => x + 1).collect(), [4, 2, 3]);
  } finally {
    await kiln.stop();
    killAll();
  }
  for (const pid of pids) assert.not.ok(running(pid), `executor ${pid} still runs after stop()`);
});

test('SIGKILL of a local-cluster driver: its executors exit by themselves', async () => {
  const script = `
    const { Kiln } = await import(${JSON.stringify(ENGINE_INDEX)});
    const k = await Kiln.start({ master: 'local-cluster[2,1,128]', workers: 0, heartbeatIntervalMs: ${TIMING.heartbeatIntervalMs}, heartbeatTimeoutMs: ${TIMING.heartbeatTimeoutMs} });
    console.log('PIDS ' + k.localCluster.pids().join(','));
    setInterval(() => {}, 1000);`;
  const driverChild = start(['--input-type=module', '-e', script], {});
  try {
    await until(() => /PIDS [\d,]+/.test(driverChild.output()), 15_000, 'the driver child to start its executors');
    const pids = /PIDS ([\d,]+)/.exec(driverChild.output())![1]!.split(',').map(Number);
    for (const p of pids) strays.add(p);
    assert.is(pids.length, 2);
    for (const p of pids) assert.ok(running(p));
    driverChild.kill('SIGKILL');
    await exited(driverChild);
    // Bound: the heartbeat timeout plus a loaded machine's slack.
    await until(() => pids.every((p) => !running(p)), TIMING.heartbeatTimeoutMs + 5000, 'the executors to exit');
  } finally {
    killAll();
  }
});

test.run();
