// The task scheduler (Spark's TaskSchedulerImpl + TaskSetManager, for one machine):
// runs one task per partition on a fixed pool of worker threads (piscina, minThreads
// == maxThreads, so every worker keeps its kernel instance), answers the tasks'
// memory requests, and retries failed tasks. Policy: a task is attempted up to
// `maxAttempts` times (Spark's spark.task.maxFailures, 4); then the stage fails with
// an error naming the stage, partition, input split and the user function's cause.
// Cancellation sets a shared flag that tasks poll, and aborts the piscina tasks, which
// kills their threads; piscina starts replacements, so the pool stays usable. Workers
// load the task module asynchronously (worker-entry.cts), so closing the pool may
// terminate a worker that is still loading it — a job that needed fewer threads than
// the pool has, or a replacement thread — without taking the process down. Worker
// memory spans are handed out and taken back by WorkerSpans: a killed thread's span
// is reused only once the thread has exited (worker-spans.ts says why). A worker that
// fails outside a task (piscina's 'error' event, which would end the process if nobody
// listened) fails the running jobs with its cause; if it could not load the task
// module, the build is broken and every later job of the context fails at once too.
// Locality (Spark's PROCESS_LOCAL with spark.locality.wait): `preferThread` may name
// the worker thread a task would rather run on (the one holding a decoded copy of a
// cached partition it reads); piscina's balancer then hands the task only to that
// thread while it lives, waiting for it at most `localityWaitMs`, after which the
// task goes to any free thread. Where a task runs never changes its answer.
// Zero workers: kernel-only tasks run inline in the driver's thread, one after
// another; a task that runs user code (user-code.ts) goes to one worker thread,
// started when the first such task comes, so that aborting can always stop it.
import { setMaxListeners } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type { Piscina } from 'piscina';
import { describeContext, fromPlainError, KilnError, type ErrorContext } from '../../common/errors.js';
import type { MemoryBudget } from '../../executor/memory/budget.js';
import type { Region } from '../../executor/memory/region.js';
import { CANCEL_SLOTS, emptyMetrics, READY_WORD, sendReply, TASK_MODULE_ERROR, type BlockRead, type BlockSpec, type PortReply, type PortRequest, type StoredBlock, type TaskMetrics, type TaskResult, type TaskSpec, type WorkerInit } from '../../common/protocol/protocol.js';
import { TaskSlots, type ReleaseSlot } from './task-slots.js';
import { applyAccumulatorUpdates, type AccumulatorUpdate } from '../../common/functions/accumulator.js';
import { SPAN_WAIT_MS, WorkerSpans } from './worker-spans.js';
import { runsUserCode } from './user-code.js';

/** A task to run: everything but the per-attempt fields. */
export type TaskTemplate = Omit<TaskSpec, 'attempt' | 'port' | 'cancelSlot'>;

/** A finished task. */
export interface TaskOutcome {
  readonly partition: number;
  readonly value: unknown;
  readonly blocks: readonly BlockSpec[] | undefined;
  readonly metrics: TaskMetrics;
  /** Shuffle-arena regions the task filled (now owned by the caller). */
  readonly regions: readonly Region[];
  /** Blocks of persisted partitions the task stored (their memory regions are among `regions`). */
  readonly stored?: readonly StoredBlock[] | undefined;
  /** Stored blocks the task read, by tier. */
  readonly reads?: readonly BlockRead[] | undefined;
  /** The kept attempt's accumulator updates (already merged into the driver's accumulators). */
  readonly accumulators?: readonly AccumulatorUpdate[] | undefined;
}

/**
 * Observer of task progress (the CLI's progress bar and metrics). A task attempt
 * starts when it is handed to a free worker thread (or run inline), never while it
 * waits for one, so started minus ended attempts never exceeds the worker count.
 */
export interface TaskListener {
  onTaskStart?(stageId: number, partition: number): void;
  /** `error`: why a failed attempt failed (kind 'aborted': it was cancelled, Spark's "killed"). */
  onTaskEnd?(stageId: number, partition: number, metrics: TaskMetrics, ok: boolean, error?: Error): void;
}

/** The worker thread a task would rather run on (by threadId), or undefined: any. */
export type ThreadPreference = (task: TaskTemplate) => number | undefined;

/** Spark's spark.locality.wait default: how long a task waits for its preferred thread. */
export const LOCALITY_WAIT_MS = 3000;

/** Where one submission of a task may go, read by the pool's balancer (piscina's queue options). */
interface Placement {
  /** The preferred thread; undefined: any. */
  readonly thread: number | undefined;
  /** The thread the balancer gave it to, once it did. */
  placed: number | undefined;
}

/** The balancer's view of a worker (piscina's PiscinaWorker). */
interface PoolWorker {
  readonly id: number;
  readonly currentUsage: number;
  readonly terminating: boolean;
  readonly destroyed: boolean;
}

/**
 * piscina's balancer: the preferred thread while it lives (none, if it is busy: the
 * task waits in piscina's queue), else the first free thread (piscina's own rule
 * with one task per thread).
 */
function placeTask(placement: Placement | null, workers: readonly PoolWorker[]): PoolWorker | null {
  const live = (w: PoolWorker): boolean => !w.terminating && !w.destroyed;
  let chosen: PoolWorker | undefined;
  const home = placement?.thread === undefined ? undefined : workers.find((w) => w.id === placement.thread && live(w));
  if (home) chosen = home.currentUsage === 0 ? home : undefined;
  else chosen = workers.find((w) => w.currentUsage === 0 && live(w));
  if (!chosen) return null;
  if (placement) placement.placed = chosen.id;
  return chosen;
}

/** Atomics.waitAsync (ES2024), which Node 20 has. */
interface AtomicsWaitAsync {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}

/** Options of one stage's task set. */
export interface TaskSetOptions {
  signal?: AbortSignal | undefined;
  maxAttempts: number;
  /** Describes a partition's input for error messages (file and byte range). */
  context: (partition: number) => ErrorContext;
  listener?: TaskListener | undefined;
}


/** Where task sets may run instead of the local pool: executors in other processes (engine/cluster/). */
export interface RemoteTaskRunner {
  /** True when every task of the set can run remotely. */
  accepts(tasks: readonly TaskTemplate[]): boolean;
  /** Runs the set, with the same contract as {@link TaskScheduler.runTaskSet}. */
  runTaskSet(tasks: readonly TaskTemplate[], options: TaskSetOptions): Promise<TaskOutcome[]>;
}

/**
 * Runs task sets on the worker pool — or, with zero workers, inline in the driver's
 * thread, one task after another (a job over a few kilobytes finishes before a worker
 * thread could have started, ~150 ms), except tasks that run user code: those go to
 * one worker thread, started on first need, where an abort can stop a function that
 * never returns.
 */
export class TaskScheduler {
  /** The worker pool; with zero workers, the user-code thread once started. */
  private pool: Piscina | undefined;
  /** Worker spans (none inline: the driver's thread keeps its span for the context's life). */
  private spans: WorkerSpans | undefined;
  /**
   * One slot per worker thread (one inline): tasks beyond them wait here, not in
   * piscina's queue, so a started task is a running one (task-slots.ts).
   */
  private readonly slots: TaskSlots;
  private readonly control: Int32Array;
  private readonly init: WorkerInit;
  private nextSlot = 0;
  /** Task sets running now, to fail when a worker fails outside their tasks. */
  private readonly running = new Set<{ readonly slot: number; readonly stop: AbortController }>();
  /** Set once workers could not load the task module: every job fails with it. */
  private broken: KilnError | undefined;
  /** The locality hook: where a task would rather run (see the header). */
  preferThread: ThreadPreference | undefined;
  /** Longest a task waits for its preferred thread before going to any free one. */
  localityWaitMs = LOCALITY_WAIT_MS;
  /** The cluster hook: task sets it accepts run on executors instead of this pool (engine/cluster/launcher.ts). */
  remote: RemoteTaskRunner | undefined;

  /**
   * @param spanWaitMs longest a new worker thread waits for a killed thread's span to
   *   come free (see worker-spans.ts); tests shorten it
   * @param heapMb each worker thread's heap limit in MiB (V8's old generation;
   *   undefined: Node's default), room for the decoded copies of cached partitions
   */
  constructor(
    private readonly budget: MemoryBudget,
    init: Omit<WorkerInit, 'control'>,
    readonly workers: number,
    private readonly spanWaitMs = SPAN_WAIT_MS,
    private readonly heapMb?: number,
  ) {
    const sab = new SharedArrayBuffer((READY_WORD + 1) * 4);
    this.control = new Int32Array(sab);
    this.init = { ...init, control: sab };
    this.slots = new TaskSlots(Math.max(1, workers));
    if (workers > 0) this.startPool(workers);
  }

  /** Starts `threads` worker threads (all of them, or the inline context's user-code thread). */
  private startPool(threads: number): Piscina {
    const init = this.init;
    const heapMb = this.heapMb;
    const here = new URL(import.meta.url);
    const ext = here.pathname.endsWith('.ts') ? '.cts' : '.cjs';
    // Loaded here, not at import: inline contexts (tiny CLI jobs) never need it.
    const { Piscina: Pool } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    this.pool = new Pool({
      // A CommonJS shim that import()s worker.js: a worker terminated while it loads
      // the task module must not be inside require(esm), which aborts the process
      // (see worker-entry.cts).
      filename: new URL(`../../executor/runtime/worker-entry${ext}`, here).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      workerData: init satisfies WorkerInit,
      loadBalancer: (task, workers) => placeTask((task as unknown as Record<symbol, Placement | null>)[Pool.queueOptionsSymbol] ?? null, workers) as never,
      ...(heapMb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
    });
    const pool = this.pool;
    this.spans = new WorkerSpans(this.budget, () => pool.threads, { waitMs: this.spanWaitMs });
    pool.on('error', (e: unknown) => this.onWorkerError(e));
    return pool;
  }

  /**
   * Resolves once every worker thread has loaded the task module (each one counts
   * itself in the READY_WORD control word), or after `timeoutMs`, whichever is first:
   * a context is ready to run when its executors are, as Spark's local mode is, so
   * the first job does not wait ~100-150 ms for threads to boot. Inline: at once.
   */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const loaded = Atomics.load(this.control, READY_WORD);
      const left = deadline - performance.now();
      if (this.workers === 0 || loaded >= this.workers || left <= 0 || this.broken) return;
      // Atomics.waitAsync is in Node >= 16 but not in TypeScript's ES2022 lib.
      const wait = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.control, READY_WORD, loaded, left);
      if (!wait.async) continue;
      // A pending waitAsync does not keep the event loop alive (a script awaiting
      // Kiln.start at top level would exit with 13); this timer does, and bounds it.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([wait.value, new Promise((done) => (timer = setTimeout(done, left)))]);
      clearTimeout(timer);
    }
  }

  /** Runs `tasks` (one per partition) and resolves with their outcomes in the same order. */
  async runTaskSet(tasks: readonly TaskTemplate[], options: TaskSetOptions): Promise<TaskOutcome[]> {
    if (this.remote?.accepts(tasks)) return this.remote.runTaskSet(tasks, options);
    if (this.broken) throw this.broken;
    const slot = this.nextSlot++ % CANCEL_SLOTS;
    Atomics.store(this.control, slot, 0);
    const stop = new AbortController();
    // Every task of the set listens on this signal; a set may have hundreds of tasks.
    setMaxListeners(0, stop.signal);
    const onAbort = (): void => this.cancel(slot, stop);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const entry = { slot, stop };
    this.running.add(entry);
    try {
      if (options.signal?.aborted) throw abortedError(options.signal);
      return await Promise.all(
        tasks.map((t) =>
          this.runWithRetries(t, slot, stop.signal, options).catch((e: unknown) => {
            // First fatal failure cancels the rest of the set (Spark aborts the stage).
            this.cancel(slot, stop);
            throw e;
          }),
        ),
      );
    } catch (e) {
      // Cancelled because a worker failed outside the set's tasks: that is the cause.
      if (stop.signal.reason instanceof KilnError) throw stop.signal.reason;
      if (options.signal?.aborted) throw abortedError(options.signal);
      throw e;
    } finally {
      this.running.delete(entry);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Thread ids of the live worker threads (with zero workers: 0, the driver's, then the user-code thread's once started). */
  threadIds(): number[] {
    const threads = this.pool ? this.pool.threads.map((t) => t.threadId) : [];
    return this.workers === 0 ? [0, ...threads] : threads;
  }

  /**
   * Stops the pool: kills running tasks and waits for the pool's threads to exit (their
   * spans come back as they do), then frees the spans that killed threads still hold.
   */
  async close(): Promise<void> {
    // Jobs still running fail with what happened, not with retries of tasks against
    // a pool that is going away ("task failed 4 times: The task has been aborted").
    const stopped = new KilnError('aborted', 'the context was stopped while this job ran');
    for (const { slot, stop } of this.running) this.cancel(slot, stop, stopped);
    try {
      await this.pool?.destroy();
    } finally {
      this.spans?.close();
    }
  }

  private cancel(slot: number, stop: AbortController, reason?: KilnError): void {
    Atomics.store(this.control, slot, 1);
    if (!stop.signal.aborted) stop.abort(reason);
  }

  /**
   * A worker failed outside any task (piscina's 'error' event): it could not load the
   * task module, or code left running by a task threw after it ended. piscina has
   * dropped the worker. Running task sets fail with the cause: their tasks may be
   * queued for workers that will never load.
   */
  private onWorkerError(e: unknown): void {
    // piscina's race, not a failure: a task aborted while its worker was posting the
    // result (a job that failed or was cancelled cancels its other tasks) has no task
    // entry left when the result arrives, and piscina reports "Unexpected message from
    // Worker". The task's outcome is already settled as aborted; nothing is lost.
    if (e instanceof Error && e.message.startsWith('Unexpected message from Worker')) return;
    const error = this.workerFailure(e);
    // Wake ready(): a worker that failed will never count itself as loaded.
    Atomics.notify(this.control, READY_WORD);
    if (this.running.size === 0 && !this.broken) {
      // Nobody to tell: a process warning, rather than ending the process.
      process.emitWarning(error.message, { type: 'KilnWarning', code: 'KILN_WORKER_FAILED' });
      return;
    }
    for (const { slot, stop } of this.running) this.cancel(slot, stop, error);
  }

  /** The error a worker failure means to jobs; a task module that failed to load breaks the scheduler. */
  private workerFailure(e: unknown): KilnError {
    if (isTaskModuleError(e)) {
      this.broken ??= new KilnError('internal', `kiln's worker threads ${e.message}; rebuild kiln (npm run build), then start a new context`, {}, { cause: e });
      return this.broken;
    }
    const message = e instanceof Error ? e.message : String(e);
    return new KilnError('execution', `a worker thread failed outside any task: ${message.split('\n')[0]}`, {}, { cause: e });
  }

  private async runWithRetries(template: TaskTemplate, slot: number, stop: AbortSignal, options: TaskSetOptions): Promise<TaskOutcome> {
    let lastError: Error | undefined;
    let attempts = 0;
    for (let attempt = 0; attempt < options.maxAttempts; attempt++) {
      attempts = attempt + 1;
      if (stop.aborted) throw new KilnError('aborted', 'cancelled');
      let release: ReleaseSlot;
      try {
        release = await this.slots.acquire(stop);
      } catch {
        throw new KilnError('aborted', 'cancelled');
      }
      let result: Awaited<ReturnType<TaskScheduler['runAttempt']>>;
      try {
        options.listener?.onTaskStart?.(template.stageId, template.partition);
        result = await this.runAttempt({ ...template, attempt, cancelSlot: slot }, stop);
        options.listener?.onTaskEnd?.(template.stageId, template.partition, result.metrics, result.ok, result.ok ? undefined : result.error);
      } finally {
        release();
      }
      if (result.ok) {
        // The one attempt kept for this partition: its updates count, once.
        applyAccumulatorUpdates(result.accumulators);
        return result;
      }
      lastError = result.error;
      // Retrying cannot help a usage error or a cancelled task, and must not follow a
      // failure that left a side effect behind (noRetry: bytes written to a shared fd).
      if (result.error instanceof KilnError && (result.error.kind === 'aborted' || result.error.kind === 'usage' || result.error.noRetry)) break;
    }
    const where = describeContext({ stage: template.stageId, partition: template.partition, ...options.context(template.partition) });
    const cause = lastError ?? new Error('unknown failure');
    const kind = cause instanceof KilnError && cause.kind !== 'internal' ? cause.kind : 'execution';
    const tries = attempts <= 1 ? 'failed' : `failed ${attempts} times`;
    throw new KilnError(kind, `task ${tries} (${where}): ${cause.message}`, { stage: template.stageId, partition: template.partition, ...options.context(template.partition) }, { cause });
  }

  private async runAttempt(spec: Omit<TaskSpec, 'port'>, stop: AbortSignal): Promise<(TaskOutcome & { ok: true }) | { ok: false; error: Error; metrics: TaskMetrics }> {
    const regions: Region[] = [];
    if (this.workers === 0 && !runsUserCode(spec)) return this.runInline(spec, regions);
    this.pool ??= this.startPool(1);
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (req: PortRequest & { reply: SharedArrayBuffer }) => {
      // A span request may be answered later (once a killed thread has exited): the
      // reply goes through the shared buffer, not this port, so closing it does not matter.
      if (req.op === 'span') this.spans!.request(req.threadId, (reply) => sendReply(req.reply, reply));
      else sendReply(req.reply, this.answer(req, regions));
    });
    try {
      const result = await this.submit(spec, port2, stop);
      if (result.ok) return { ok: true, partition: spec.partition, value: result.value, blocks: result.blocks, metrics: result.metrics, regions, accumulators: result.accumulators, stored: result.stored, reads: result.reads };
      for (const r of regions) this.budget.releaseShuffle(r);
      return { ok: false, error: fromPlainError(result.error), metrics: result.metrics };
    } catch (e) {
      for (const r of regions) this.budget.releaseShuffle(r);
      // A worker that cannot load the task module fails the set; retries cannot help.
      if (isTaskModuleError(e)) throw this.workerFailure(e);
      const error = stop.aborted ? new KilnError('aborted', 'cancelled') : new KilnError('internal', `worker thread failed: ${(e as Error).message}`, {}, { cause: e });
      return { ok: false, error, metrics: emptyMetrics() };
    } finally {
      port1.close();
    }
  }

  /**
   * Hands a task to the pool, on its preferred thread if it has one (see the header):
   * if no thread took it within the locality wait, it is withdrawn from piscina's
   * queue (an abort before it runs kills no thread, and its port was not transferred
   * yet) and submitted again for any free thread.
   */
  private async submit(spec: Omit<TaskSpec, 'port'>, port: TaskSpec['port'] & object, stop: AbortSignal): Promise<TaskResult> {
    const pool = this.pool!;
    const queueOptions = (pool.constructor as typeof Piscina).queueOptionsSymbol;
    const thread = this.preferThread?.(spec);
    const run = (placement: Placement, signal: AbortSignal): Promise<TaskResult> =>
      pool.run({ ...spec, port, [queueOptions]: placement }, { transferList: [port], signal }) as Promise<TaskResult>;
    if (thread === undefined) return run({ thread: undefined, placed: undefined }, stop);
    const placement: Placement = { thread, placed: undefined };
    const giveUp = new AbortController();
    const timer = setTimeout(() => {
      if (placement.placed === undefined) giveUp.abort();
    }, this.localityWaitMs);
    try {
      return await run(placement, AbortSignal.any([stop, giveUp.signal]));
    } catch (e) {
      if (!giveUp.signal.aborted || stop.aborted || placement.placed !== undefined) throw e;
      return run({ thread: undefined, placed: undefined }, stop);
    } finally {
      clearTimeout(timer);
    }
  }

  private async runInline(spec: Omit<TaskSpec, 'port'>, regions: Region[]): Promise<(TaskOutcome & { ok: true }) | { ok: false; error: Error; metrics: TaskMetrics }> {
    // Yield to the event loop first, so an abort signalled meanwhile is seen.
    await new Promise((resolve) => setImmediate(resolve));
    const { runTaskWith } = await import('../../executor/runtime/worker.js');
    const result = runTaskWith(spec, this.init, (req) => this.answer(req, regions));
    if (result.ok) return { ok: true, partition: spec.partition, value: result.value, blocks: result.blocks, metrics: result.metrics, regions, accumulators: result.accumulators, stored: result.stored, reads: result.reads };
    for (const r of regions) this.budget.releaseShuffle(r);
    return { ok: false, error: fromPlainError(result.error), metrics: result.metrics };
  }

  /** Answers a request at once: every request inline, shuffle regions from workers. */
  private answer(req: PortRequest, regions: Region[]): PortReply {
    switch (req.op) {
      case 'span': {
        // Inline only: the driver's thread keeps its span while the context lives.
        const span = this.budget.workerSpan(req.threadId);
        return span ? { ok: true, ptr: span.ptr, size: span.size } : { ok: false, refusal: 'full' };
      }
      case 'alloc': {
        const region = this.budget.reserveShuffle(req.bytes);
        if (!region) return { ok: false, refusal: 'full' };
        regions.push(region);
        return { ok: true, ptr: region.ptr, size: region.size };
      }
      case 'block': {
        const region = this.budget.reserveBlock(req);
        if (!region) return { ok: false, refusal: 'full' };
        regions.push(region);
        return { ok: true, ptr: region.ptr, size: region.size };
      }
      case 'decoded': {
        // The reply carries the slot as ptr and its generation as size (protocol.ts).
        const grant = this.budget.reserveDecoded(req);
        return grant ? { ok: true, ptr: grant.slot, size: grant.gen } : { ok: false, refusal: 'full' };
      }
    }
  }
}

/** Whether a worker's error says it could not import the task module (worker-entry.cts). */
function isTaskModuleError(e: unknown): e is Error {
  return e instanceof Error && (e as { code?: unknown }).code === TASK_MODULE_ERROR;
}

function abortedError(signal: AbortSignal): KilnError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the action was aborted';
  return new KilnError('aborted', `job cancelled: ${reason}`);
}
