// The driver's endpoint: the authenticated HTTP/2 server executors dial. Policy: it
// binds 127.0.0.1 unless told otherwise; an executor registers on its own connection
// and that connection is its identity from then on (a heartbeat naming another
// executor's id on another connection is refused), so closing the connection loses
// the executor at once, and a silent one is lost after the heartbeat timeout (a
// sweep every quarter of the timeout). Stopping closes every session, which makes
// each executor exit by itself.
import type http2 from 'node:http2';
import { KilnError } from '../common/errors.js';
import { ExecutorRegistry, type ExecutorEntry, type ExecutorInfo } from './executor-registry.js';
import { resolveTiming, type ClusterTiming } from './settings.js';
import { createClusterServer, listen, stderrLog, type ClusterLog } from './transport.js';

/** Options of {@link DriverEndpoint.start}. */
export interface DriverEndpointOptions {
  readonly secret: Buffer;
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  readonly timing?: Partial<ClusterTiming>;
  readonly log?: ClusterLog;
}

/** The reply to /register. */
export interface Registration {
  readonly id: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
}

/** The driver's listening endpoint and its executor registry. */
export class DriverEndpoint {
  private closed = false;

  private constructor(
    private readonly server: http2.Http2SecureServer,
    /** Authenticated sessions still open (executors and, later, tools). */
    private readonly sessions: Set<http2.ServerHttp2Session>,
    /** The registry of executors that dialed in. */
    readonly registry: ExecutorRegistry,
    /** Bound address. */
    readonly host: string,
    /** Bound port. */
    readonly port: number,
    readonly timing: ClusterTiming,
    private readonly sweeper: NodeJS.Timeout,
  ) {}

  /** Starts listening. */
  static async start(options: DriverEndpointOptions): Promise<DriverEndpoint> {
    const timing = resolveTiming(options.timing);
    const log = options.log ?? stderrLog;
    const registry = new ExecutorRegistry(timing.heartbeatTimeoutMs);
    // A stopping driver losing its executors is routine; any other loss is news.
    registry.onLost = (e, reason) => {
      if (reason !== 'driver stopped') log(`executor ${e.id} (pid ${e.pid} on ${e.host}) lost: ${reason}`);
    };
    const executorOf = new WeakMap<http2.ServerHttp2Session, string>();
    const sessions = new Set<http2.ServerHttp2Session>();
    const server = createClusterServer({
      secret: options.secret,
      log,
      onSession: (session) => {
        sessions.add(session);
        session.on('error', () => {});
        session.once('close', () => {
          sessions.delete(session);
          const id = executorOf.get(session);
          if (id !== undefined) registry.lose(id, 'connection closed');
        });
      },
      routes: {
        '/register': (body, session): Registration => {
          if (executorOf.has(session)) throw new KilnError('usage', 'this connection already registered an executor');
          const entry = registry.register(checkInfo(body));
          executorOf.set(session, entry.id);
          return { id: entry.id, heartbeatIntervalMs: timing.heartbeatIntervalMs, heartbeatTimeoutMs: timing.heartbeatTimeoutMs };
        },
        '/heartbeat': (body, session) => {
          const id = executorOf.get(session);
          // Unknown or lost: tell the executor to exit (it would re-register as a new one).
          const known = id !== undefined && (body as { id?: unknown } | null)?.id === id && registry.heartbeat(id);
          return { known };
        },
      },
    });
    const host = options.host ?? '127.0.0.1';
    const port = await listen(server, host, options.port ?? 0);
    const sweeper = setInterval(() => registry.expire(), Math.max(10, Math.floor(timing.heartbeatTimeoutMs / 4)));
    sweeper.unref();
    return new DriverEndpoint(server, sessions, registry, host, port, timing, sweeper);
  }

  /** Live executors. */
  executors(): ExecutorEntry[] {
    return this.registry.alive();
  }

  /** Resolves when `count` executors are alive; rejects after `timeoutMs`. */
  async waitForExecutors(count: number, timeoutMs: number): Promise<ExecutorEntry[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.registry.alive().length < count) {
      if (this.closed) throw new KilnError('execution', 'the driver endpoint was closed');
      if (Date.now() > deadline) {
        throw new KilnError('execution', `only ${this.registry.alive().length} of ${count} executors registered within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.registry.alive();
  }

  /** Stops listening and closes every executor's connection (they exit by themselves). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const e of this.registry.alive()) this.registry.lose(e.id, 'driver stopped');
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sessions) s.close();
    // Sessions still open after a grace period are cut (close() waits for them).
    const grace = setTimeout(() => {
      for (const s of this.sessions) s.destroy();
    }, 1000);
    await closing;
    clearTimeout(grace);
  }
}

function checkInfo(body: unknown): ExecutorInfo {
  const b = (body ?? {}) as Record<string, unknown>;
  const int = (k: string, min: number): number => {
    const v = b[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new KilnError('usage', `registration: ${k} must be an integer >= ${min}`);
    return v;
  };
  if (typeof b.host !== 'string' || b.host === '') throw new KilnError('usage', 'registration: host must be a string');
  return { host: b.host, blockPort: int('blockPort', 1), cores: int('cores', 1), memoryBytes: int('memoryBytes', 1), pid: int('pid', 1) };
}
