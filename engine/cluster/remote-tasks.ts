// The driver side of running tasks on executors. Policy: a task set goes to the
// executors when every task in it is self-contained — its input is files or shipped
// slices, its operators narrow, its sink returns a value or writes files, and no
// broadcast is live — because such a task needs nothing from the driver's arena.
// Anything else (shuffle reads and writes, cached partitions, broadcasts, ordered
// output to an fd) still runs on the driver's own worker threads: the network shuffle
// is not built yet (docs/cluster.md). Tasks are handed out as executors have free
// cores (one in flight per core), and a failed attempt — the task threw, or its
// executor died and the stream broke — is retried on another executor when there is
// one (Spark's spark.task.maxFailures, here the context's maxAttempts). The results of
// a task set are bounded by maxResultSize together (Spark's spark.driver.maxResultSize).
import type http2 from 'node:http2';
import { applyAccumulatorUpdates } from '../common/functions/accumulator.js';
import { describeContext, KilnError } from '../common/errors.js';
import { emptyMetrics, type NodeSpec, type SinkSpec } from '../common/protocol/protocol.js';
import type { TaskOutcome, TaskSetOptions, TaskTemplate } from '../driver/scheduler/task-scheduler.js';
import type { DriverEndpoint } from './driver-endpoint.js';
import type { ExecutorEntry } from './executor-registry.js';
import type { RemoteOutcome } from './task-service.js';
import { connectCluster, post } from './transport.js';

/** Sinks whose task needs nothing from the driver but returns a value or writes its own files. */
const REMOTE_SINKS: ReadonlySet<SinkSpec['t']> = new Set(['collect', 'count', 'fold', 'foreach', 'takeOrdered', 'sampleKeys', 'stats', 'hll', 'saveText']);

/** Whether `node` computes from files and shipped data only. */
function selfContained(node: NodeSpec): boolean {
  switch (node.t) {
    case 'text':
    case 'words':
    case 'grep':
    case 'slice':
    case 'empty':
      return true;
    case 'op':
      return selfContained(node.parent);
    case 'concat':
      return node.parts.every(selfContained);
    case 'zip':
      return node.parts.every(selfContained);
    default:
      return false;
  }
}

/** Whether every task of a set can run on an executor (see the header). */
export function runsRemotely(tasks: readonly TaskTemplate[]): boolean {
  return tasks.length > 0 && tasks.every((t) => t.broadcasts.length === 0 && REMOTE_SINKS.has(t.sink.t) && selfContained(t.node));
}

/** Runs task sets on the registered executors. */
export class RemoteTasks {
  private readonly sessions = new Map<string, Promise<http2.ClientHttp2Session>>();
  private readonly busy = new Map<string, number>();
  private readonly waiters: (() => void)[] = [];
  private next = 0;

  constructor(
    private readonly endpoint: DriverEndpoint,
    private readonly secret: Buffer,
    /** Most result bytes of one task set. */
    private readonly maxResultSize: number,
  ) {
    const previous = endpoint.registry.onLost;
    endpoint.registry.onLost = (entry, reason) => {
      previous(entry, reason);
      void this.sessions.get(entry.id)?.then((s) => s.destroy(), () => {});
      this.sessions.delete(entry.id);
      this.wake();
    };
  }

  /** Runs `tasks`, each until it succeeds or has failed maxAttempts times. */
  async runTaskSet(tasks: readonly TaskTemplate[], options: TaskSetOptions): Promise<TaskOutcome[]> {
    const budget = { remaining: this.maxResultSize };
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      return await Promise.all(tasks.map((t) => this.runWithRetries(t, { ...options, signal }, budget)));
    } catch (e) {
      stop.abort();
      if (options.signal?.aborted) throw new KilnError('aborted', 'job cancelled');
      throw e;
    }
  }

  private async runWithRetries(template: TaskTemplate, options: TaskSetOptions, budget: { remaining: number }): Promise<TaskOutcome> {
    const failedOn = new Set<string>();
    let lastError: Error | undefined;
    let attempts = 0;
    for (let attempt = 0; attempt < options.maxAttempts; attempt++) {
      if (options.signal?.aborted) throw new KilnError('aborted', 'cancelled');
      const executor = await this.acquire(failedOn, options.signal);
      attempts = attempt + 1;
      options.listener?.onTaskStart?.(template.stageId, template.partition);
      try {
        const outcome = await this.runOn(executor, { ...template }, attempt, budget);
        options.listener?.onTaskEnd?.(template.stageId, template.partition, outcome.metrics, true);
        applyAccumulatorUpdates(outcome.accumulators);
        return { ...outcome, regions: [] };
      } catch (e) {
        const error = e as Error;
        options.listener?.onTaskEnd?.(template.stageId, template.partition, emptyMetrics(), false, error);
        lastError = new KilnError(error instanceof KilnError ? error.kind : 'execution', `on executor ${executor.id} (pid ${executor.pid} on ${executor.host}): ${error.message}`, undefined, { cause: error });
        failedOn.add(executor.id);
        if (error instanceof KilnError && (error.kind === 'usage' || error.kind === 'resources' || error.kind === 'aborted')) break;
      } finally {
        this.release(executor);
      }
    }
    const where = describeContext({ stage: template.stageId, partition: template.partition, ...options.context(template.partition) });
    const cause = lastError ?? new Error('unknown failure');
    const kind = cause instanceof KilnError && cause.kind !== 'internal' ? cause.kind : 'execution';
    throw new KilnError(kind, `task ${attempts <= 1 ? 'failed' : `failed ${attempts} times`} (${where}): ${cause.message}`, { stage: template.stageId, partition: template.partition }, { cause });
  }

  private async runOn(executor: ExecutorEntry, template: TaskTemplate, attempt: number, budget: { remaining: number }): Promise<RemoteOutcome> {
    const session = await this.session(executor);
    const limit = budget.remaining;
    const outcome = (await post(session, '/task', { template, attempt }, {
      codec: 'v8',
      maxReplyBytes: limit,
      tooLarge: (bytes) => `the results of this stage exceed maxResultSize (${this.maxResultSize} bytes; a task's reply reached ${bytes} more than what was left): collect less, or raise maxResultSize`,
      onReplyBytes: (bytes) => (budget.remaining -= bytes),
    })) as RemoteOutcome;
    return outcome;
  }

  private session(executor: ExecutorEntry): Promise<http2.ClientHttp2Session> {
    let session = this.sessions.get(executor.id);
    if (!session) {
      session = connectCluster(executor.host, executor.blockPort, this.secret).then((s) => {
        s.on('error', () => {});
        s.once('close', () => this.sessions.delete(executor.id));
        return s;
      });
      // A failed dial is not cached: the next attempt dials again (or the executor is lost).
      session.catch(() => this.sessions.delete(executor.id));
      this.sessions.set(executor.id, session);
    }
    return session;
  }

  /** A live executor with a free core, preferring one this task has not failed on. */
  private async acquire(avoid: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<ExecutorEntry> {
    for (;;) {
      const alive = this.endpoint.executors();
      if (alive.length === 0) throw new KilnError('execution', 'no executor is alive to run the task (every one was lost)');
      const free = alive.filter((e) => (this.busy.get(e.id) ?? 0) < e.cores);
      const fresh = free.filter((e) => !avoid.has(e.id));
      const pool = fresh.length > 0 || alive.some((e) => !avoid.has(e.id)) ? fresh : free;
      if (pool.length > 0) {
        const chosen = pool[this.next++ % pool.length]!;
        this.busy.set(chosen.id, (this.busy.get(chosen.id) ?? 0) + 1);
        return chosen;
      }
      if (signal?.aborted) throw new KilnError('aborted', 'cancelled');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        // Also re-check now and then: an executor may register meanwhile.
        setTimeout(resolve, 200).unref();
      });
    }
  }

  private release(executor: ExecutorEntry): void {
    this.busy.set(executor.id, Math.max(0, (this.busy.get(executor.id) ?? 1) - 1));
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Closes the connections to executors. */
  close(): void {
    for (const s of this.sessions.values()) void s.then((x) => x.destroy(), () => {});
    this.sessions.clear();
  }
}
