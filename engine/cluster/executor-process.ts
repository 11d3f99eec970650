// The executor side of cluster mode: what `kiln executor` runs. Policy: dial the
// driver, authenticate (TLS-PSK, engine/cluster/transport.ts), register with cores,
// memory, host and the port of this executor's own block server, then heartbeat at
// the interval the driver sent. The executor ends itself — no orphans — as soon as
// any of these holds: the driver's connection closes (driver stopped or died: the
// kernel closes a dead process's sockets), no heartbeat was answered for the
// heartbeat timeout (driver hung or the network is cut), or the driver answers that
// it no longer knows this executor (it declared it lost).
import type http2 from 'node:http2';
import { hostname } from 'node:os';
import { KilnError } from '../common/errors.js';
import type { Registration } from './driver-endpoint.js';
import { DEFAULT_TIMING } from './settings.js';
import { TaskService } from './task-service.js';
import type { TaskTemplate } from '../driver/scheduler/task-scheduler.js';
import { connectCluster, createClusterServer, listen, postJson, stderrLog, type ClusterLog } from './transport.js';

/** Options of {@link runExecutor}. */
export interface ExecutorOptions {
  readonly driverHost: string;
  readonly driverPort: number;
  readonly secret: Buffer;
  readonly cores: number;
  readonly memoryBytes: number;
  /** Address this executor's block server binds and advertises (default 127.0.0.1). */
  readonly host?: string;
  /** Longest wait for the connection and registration (default: the default heartbeat timeout, 30 s). */
  readonly connectTimeoutMs?: number;
  /** Where refused connections and failures go (default stderr). */
  readonly log?: ClusterLog;
  /** Also log registration and a normal exit (default false: a launcher's executors stay quiet). */
  readonly verbose?: boolean;
}

/** Why an executor ended. */
export type ExecutorExit =
  | { readonly reason: 'driver closed the connection' }
  | { readonly reason: 'heartbeat timeout'; readonly silentMs: number }
  | { readonly reason: 'driver declared this executor lost' }
  | { readonly reason: 'stopped' };

/** A running executor. */
export interface RunningExecutor {
  readonly id: string;
  readonly blockPort: number;
  /** Resolves when the executor has ended (its sockets closed). */
  readonly exited: Promise<ExecutorExit>;
  /** Ends it now. */
  stop(): void;
}

/** Starts an executor: resolves once it is registered with the driver. */
export async function runExecutor(options: ExecutorOptions): Promise<RunningExecutor> {
  const log = options.log ?? stderrLog;
  const info: ClusterLog = options.verbose ? log : () => {};
  const host = options.host ?? '127.0.0.1';
  // The executor's server, authenticated like the driver's: the driver sends tasks here,
  // and it is where this executor's map outputs will be served to reducers on other
  // executors (the network shuffle is not built yet).
  const service = new TaskService(options.cores, options.memoryBytes);
  const blocks = createClusterServer({
    secret: options.secret,
    log,
    maxBodyBytes: 1 << 30,
    routes: {
      '/ping': () => ({ ok: true }),
      '/task': (body) => service.run((body as { template: TaskTemplate }).template),
    },
  });
  const blockPort = await listen(blocks, host, 0);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMING.heartbeatTimeoutMs;
  let session: http2.ClientHttp2Session | undefined;
  let registration: Registration;
  try {
    session = await withTimeout(connectCluster(options.driverHost, options.driverPort, options.secret), connectTimeoutMs, 'connecting to the driver');
    session.on('error', () => {});
    registration = (await postJson(session, '/register', {
      host,
      blockPort,
      cores: options.cores,
      memoryBytes: options.memoryBytes,
      pid: process.pid,
    }, connectTimeoutMs)) as Registration;
  } catch (e) {
    session?.destroy();
    blocks.close();
    throw e;
  }
  const live = session;
  let finish!: (exit: ExecutorExit) => void;
  const exited = new Promise<ExecutorExit>((resolve) => {
    let done = false;
    finish = (exit) => {
      if (done) return;
      done = true;
      clearInterval(beat);
      clearInterval(watchdog);
      live.destroy();
      blocks.close();
      // Open block-server connections would keep close() waiting: cut them.
      for (const s of blockSessions) s.destroy();
      (exit.reason === 'heartbeat timeout' || exit.reason === 'driver declared this executor lost' ? log : info)(`executor ${registration.id} (pid ${process.pid}) exiting: ${exit.reason}`);
      // Its worker threads end with it (bounded: a stuck task must not keep an orphan).
      const stopped = service.close().catch(() => {});
      const bound = new Promise((r) => setTimeout(r, 2000).unref());
      void Promise.race([stopped, bound]).then(() => resolve(exit));
    };
  });
  const blockSessions = new Set<http2.ServerHttp2Session>();
  blocks.on('session', (s) => {
    blockSessions.add(s);
    s.once('close', () => blockSessions.delete(s));
  });
  live.once('close', () => finish({ reason: 'driver closed the connection' }));
  live.once('goaway', () => finish({ reason: 'driver closed the connection' }));
  let lastReply = Date.now();
  const beat = setInterval(() => {
    postJson(live, '/heartbeat', { id: registration.id }, registration.heartbeatTimeoutMs).then(
      (reply) => {
        if ((reply as { known?: boolean } | null)?.known === true) lastReply = Date.now();
        else finish({ reason: 'driver declared this executor lost' });
      },
      // A lost reply is counted by the watchdog, not here: one slow reply is not a loss.
      () => {},
    );
  }, registration.heartbeatIntervalMs);
  // Checks often enough that the executor is gone at most a tenth past the timeout.
  const watchdog = setInterval(() => {
    const silentMs = Date.now() - lastReply;
    if (silentMs > registration.heartbeatTimeoutMs) finish({ reason: 'heartbeat timeout', silentMs });
  }, Math.max(10, Math.floor(registration.heartbeatTimeoutMs / 10)));
  info(`executor ${registration.id} (pid ${process.pid}) registered with ${options.driverHost}:${options.driverPort}: ${options.cores} cores, ${options.memoryBytes} bytes, block server ${host}:${blockPort} (${hostname()})`);
  return { id: registration.id, blockPort, exited, stop: () => finish({ reason: 'stopped' }) };
}

/** Parses "HOST:PORT" (IPv6 as [::1]:PORT). */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]+)$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new KilnError('usage', `--driver must be HOST:PORT (got "${text}")`);
  return { host: (m[1] ?? m[2])!, port };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new KilnError('execution', `timed out after ${ms} ms ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
