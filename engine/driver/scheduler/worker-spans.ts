// Worker memory spans, on the driver: which worker thread owns which span of the shared
// memory, and when a span may be handed out again. Policy: only once the thread that
// owned it has exited — Worker 'exit', which Node emits after it has joined the thread
// (the Worker's threadId reads -1 from then on).
//
// Why not when piscina destroys the worker ('workerDestroy'): piscina emits that right
// after Worker.terminate(), which only asks the thread to stop. JavaScript and kernels
// stop at their next interrupt check, but a thread inside a system call runs on until
// the call returns — an fs.readSync of a split into its span, on a slow or hung file
// system, keeps writing there. A replacement thread given that span (best fit hands the
// last freed span out first) would have its data overwritten.
//
// So a killed thread's span stays out of use until the thread's 'exit'. A thread that
// asks for a span while none is free waits: its request is answered later (it blocks
// in Atomics.wait meanwhile, see task-context.ts), when a killed thread exits. The wait
// is bounded: a thread that never leaves its system call must not hold a job forever.
// After `waitMs` the request is refused with a 'stuck' refusal, whose error says what
// to do; until some span comes free again, later requests are refused at once.
//
// Considered: polling the destroyed worker's threadId until it reads -1 (a timer per
// dead worker; and a worker that exited by itself, e.g. process.exit() in a task,
// already reads -1 when piscina reports it, so its span could not even be found by id —
// releasing on 'workerDestroy' never returned those). The Worker objects come from piscina's documented `threads`
// property, looked up when a thread first asks for a span, so every way a thread ends
// (killed, crashed, pool destroyed) is seen through the one 'exit' event.
import type { MemoryBudget } from '../../executor/memory/budget.js';
import type { PortReply } from '../../common/protocol/protocol.js';

/** What WorkerSpans needs of a worker thread (a node:worker_threads Worker is one). */
export interface WorkerThread {
  /** The thread's id; -1 once it has exited. */
  readonly threadId: number;
  /** 'exit' is emitted once the thread has stopped. */
  once(event: 'exit', listener: () => void): unknown;
}

/** Options of {@link WorkerSpans}. */
export interface WorkerSpansOptions {
  /** Longest a thread waits for a span to come free before it is refused (ms). */
  readonly waitMs: number;
}

/** Default longest wait for a span: far beyond a killed thread's usual exit (milliseconds). */
export const SPAN_WAIT_MS = 30_000;

interface Waiter {
  readonly threadId: number;
  readonly reply: (reply: PortReply) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Hands worker threads their spans and takes each back when its thread has exited.
 * Single-threaded: used from the driver's event loop only.
 */
export class WorkerSpans {
  /** Threads that asked for a span; each has an 'exit' listener. */
  private readonly watched = new Set<number>();
  /** Threads that own a span (live, or killed and not exited yet). */
  private readonly owners = new Set<number>();
  /** Requests waiting for a span, oldest first. */
  private readonly waiting: Waiter[] = [];
  /** A wait ran out and no span has come free since: refuse at once instead of waiting again. */
  private stuck = false;
  private closed = false;

  /**
   * @param threads the pool's live worker threads (piscina's `threads`)
   */
  constructor(
    private readonly budget: MemoryBudget,
    private readonly threads: () => Iterable<WorkerThread>,
    private readonly options: WorkerSpansOptions = { waitMs: SPAN_WAIT_MS },
  ) {}

  /** Answers thread `threadId`'s request for its span through `reply`: now, or once a span is free. */
  request(threadId: number, reply: (reply: PortReply) => void): void {
    if (this.closed) return reply({ ok: false, refusal: 'full' });
    if (!this.watched.has(threadId)) {
      let thread: WorkerThread | undefined;
      for (const t of this.threads()) if (t.threadId === threadId) thread = t;
      // Not in the pool any more: it was destroyed after it asked, and runs nothing
      // that could use a span.
      if (!thread) return reply({ ok: false, refusal: 'full' });
      this.watched.add(threadId);
      thread.once('exit', () => this.exited(threadId));
    }
    if (this.grant(threadId, reply)) return;
    if (this.stuck) return reply({ ok: false, refusal: 'stuck' });
    const waiter: Waiter = { threadId, reply };
    // Unref'd: a waiting task keeps the process alive through its pool thread anyway.
    waiter.timer = setTimeout(() => this.giveUp(waiter), this.options.waitMs).unref();
    this.waiting.push(waiter);
  }

  /** Number of requests waiting for a span. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Frees every span, when the pool has been destroyed: threads still running by then
   * (killed, inside a system call) can no longer harm anyone, as no thread of this
   * context will get a span again. Waiting requests are refused.
   */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reply({ ok: false, refusal: 'full' });
    }
    for (const id of this.owners) this.budget.releaseWorker(id);
    this.owners.clear();
    this.watched.clear();
  }

  /** Replies with the thread's span if it has or can have one. */
  private grant(threadId: number, reply: (reply: PortReply) => void): boolean {
    const span = this.budget.workerSpan(threadId);
    if (!span) return false;
    this.owners.add(threadId);
    reply({ ok: true, ptr: span.ptr, size: span.size });
    return true;
  }

  private exited(threadId: number): void {
    if (!this.watched.delete(threadId)) return;
    if (!this.owners.delete(threadId)) {
      // It had no span: at most a request to drop (it was killed while waiting).
      const i = this.waiting.findIndex((w) => w.threadId === threadId);
      if (i >= 0) clearTimeout(this.waiting.splice(i, 1)[0]!.timer);
      return;
    }
    this.budget.releaseWorker(threadId);
    this.stuck = false;
    while (this.waiting.length > 0 && this.grant(this.waiting[0]!.threadId, this.waiting[0]!.reply)) clearTimeout(this.waiting.shift()!.timer);
  }

  private giveUp(waiter: Waiter): void {
    const i = this.waiting.indexOf(waiter);
    if (i < 0) return;
    this.waiting.splice(i, 1);
    this.stuck = true;
    waiter.reply({ ok: false, refusal: 'stuck' });
  }
}
