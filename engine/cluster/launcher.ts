// The local-cluster launcher: Spark's local-cluster[N,cores,memoryMiB] test mode. Policy:
// N child processes of `kiln executor` on 127.0.0.1, each dialing this driver's
// endpoint, with the application's secret in their environment (KILN_SECRET), never in
// argv. No process outlives the driver: stop() closes the endpoint (executors exit by
// themselves) and kills any left after a grace period; a driver that exits without
// stop() kills them from its 'exit' hook; a driver killed outright (SIGKILL) has its
// sockets closed by the kernel, which each executor sees and exits on, and a hung
// driver stops answering heartbeats, which each executor exits on within the timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KilnError } from '../common/errors.js';
import { DriverEndpoint } from './driver-endpoint.js';
import type { ExecutorEntry } from './executor-registry.js';
import { newSecret, secretText, SECRET_ENV } from './secret.js';
import type { ClusterTiming } from './settings.js';
import { stderrLog, type ClusterLog } from './transport.js';
import { RemoteTasks, runsRemotely } from './remote-tasks.js';
import type { TaskScheduler } from '../driver/scheduler/task-scheduler.js';

/** Options of {@link LocalCluster.start}. */
export interface LocalClusterOptions {
  readonly executors: number;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly timing?: Partial<ClusterTiming>;
  /** Longest wait for every executor to register (default 30 s). */
  readonly registerTimeoutMs?: number;
  readonly log?: ClusterLog;
}

/** The kiln CLI entry point the executors run (dist/cli/main.js beside this file's dist/engine/). */
const CLI_MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Milliseconds stop() waits for executors to exit by themselves before SIGKILL. */
const STOP_GRACE_MS = 5000;

/** N executor processes on this host and the driver endpoint they registered with. */
export class LocalCluster {
  private stopped = false;

  private constructor(
    /** The driver's endpoint (registry of executors). */
    readonly endpoint: DriverEndpoint,
    private readonly children: readonly ChildProcess[],
    private readonly onExit: () => void,
    private readonly secret: Buffer,
  ) {}

  private remote: RemoteTasks | undefined;

  /**
   * Sends `tasks`' self-contained task sets to the executors (engine/cluster/remote-tasks.ts);
   * the rest stay on its worker threads.
   */
  routeTasks(tasks: TaskScheduler, maxResultSize: number): void {
    const remote = new RemoteTasks(this.endpoint, this.secret, maxResultSize);
    this.remote = remote;
    tasks.remote = { accepts: runsRemotely, runTaskSet: (templates, options) => remote.runTaskSet(templates, options) };
  }

  /** Starts the endpoint, spawns the executors and resolves once all registered. */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const log = options.log ?? stderrLog;
    const secret = newSecret();
    const endpoint = await DriverEndpoint.start({ secret, host: '127.0.0.1', timing: options.timing, log });
    const children: ChildProcess[] = [];
    // Synchronous last resort when the driver exits without stop().
    const onExit = (): void => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    };
    process.on('exit', onExit);
    const cluster = new LocalCluster(endpoint, children, onExit, secret);
    try {
      for (let i = 0; i < options.executors; i++) {
        const child = spawn(process.execPath, [CLI_MAIN, 'executor', '--driver', `127.0.0.1:${endpoint.port}`, '--cores', String(options.cores), '--memory', `${options.memoryMiB}m`], {
          env: { ...process.env, [SECRET_ENV]: secretText(secret) },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        child.stderr!.setEncoding('utf8');
        let pending = '';
        child.stderr!.on('data', (chunk: string) => {
          pending += chunk;
          const lines = pending.split('\n');
          pending = lines.pop()!;
          for (const line of lines) if (line !== '') log(`[executor pid ${child.pid}] ${line.replace(/^kiln cluster: /, '')}`);
        });
        children.push(child);
      }
      await Promise.race([
        endpoint.waitForExecutors(options.executors, options.registerTimeoutMs ?? 30_000),
        ...children.map((c) => new Promise<never>((_, reject) => c.once('exit', (code, signal) => reject(new KilnError('execution', `executor process ${c.pid} exited (${signal ?? code}) before registering; see its log above`))))),
      ]);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Live executors. */
  executors(): ExecutorEntry[] {
    return this.endpoint.executors();
  }

  /** Process ids of the executor children. */
  pids(): number[] {
    return this.children.map((c) => c.pid!).filter((p) => p !== undefined);
  }

  /** Ends every executor: closes the endpoint, waits for them to exit, then kills the rest. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exits = this.children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
    this.remote?.close();
    await this.endpoint.close();
    const grace = setTimeout(() => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(grace);
    process.off('exit', this.onExit);
  }
}
