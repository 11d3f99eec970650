// What a running task can reach in its worker thread: the kernel runtime over this
// thread's span, the driver (for shuffle memory), revived user functions, broadcast
// values, cancellation and metrics. Policy: one TaskContext per task attempt; the
// per-thread pieces it hands out (runtime, readers, function cache) live for the
// thread and are reused by every task.
import { threadId } from 'node:worker_threads';
import { KilnError } from '../../common/errors.js';
import { reviveFunction } from '../../common/functions/revive.js';
import type { BroadcastHandle } from '../../common/functions/broadcast.js';
import type { ShippedFunction } from '../../common/functions/shipped.js';
import { DEFAULT_MAX_RECORD_BYTES, SplitReader, type IoBackend } from '../io/split-reader.js';
import { CombinerTable, type ValueKind } from '../kernels/combiner.js';
import { KernelRuntime } from '../kernels/runtime.js';
import { Tokenizer } from '../kernels/tokenizer.js';
import type { Region } from '../memory/region.js';
import { deserialize } from 'node:v8';
import type { MessagePort } from 'node:worker_threads';
import { decodeReply, emptyMetrics, type BlockRead, type BroadcastRef, type DecodedRef, REPLY_BYTES, REPLY_PENDING, REPLY_STATE, type PortReply, type PortRequest, type StoredBlock, type TaskMetrics, type TaskSpec, type WorkerInit } from '../../common/protocol/protocol.js';
import { keepDecoded, sweepDecoded } from '../storage/decoded-store.js';

/** Per-thread state, made on the first task. */
interface ThreadState {
  readonly rt: KernelRuntime;
  readonly readers: Map<IoBackend, SplitReader>;
  readonly tokenizers: Map<number, Tokenizer>;
  /** A combiner table per value kind, kept between map tasks (see combinerTable). */
  readonly tables: Map<ValueKind, CombinerTable<ValueKind>>;
  /** Broadcast values by id: a ref until first use, then the deserialized value. */
  readonly broadcasts: Map<number, BroadcastRef | { value: unknown }>;
}

let thread: ThreadState | undefined;

/** How a task asks the driver for memory: over its port (a worker) or by a direct call (inline). */
export type Requester = (req: PortRequest) => PortReply;

/** How often record loops check for cancellation (records between checks). */
export const CANCEL_CHECK_EVERY = 4096;

/** The context of one task attempt. */
export class TaskContext {
  /** Metrics the task accumulates. */
  readonly metrics: TaskMetrics = emptyMetrics();
  /** Blocks of persisted partitions this attempt stored (engine/executor/storage/block-io.ts). */
  readonly stored: StoredBlock[] = [];
  /** Stored blocks this attempt read, by tier. */
  readonly reads: BlockRead[] = [];
  /** Decoded copies this attempt built: kept by the thread only if the attempt succeeds (commitDecoded). */
  private readonly decoded: { ref: DecodedRef; records: readonly unknown[] }[] = [];
  private readonly control: Int32Array;

  private constructor(
    readonly spec: TaskSpec,
    private readonly state: ThreadState,
    init: WorkerInit,
    private readonly ask: Requester,
  ) {
    this.control = new Int32Array(init.control);
    // Peak execution memory is this task's high-water mark of the thread's span (kept tables included).
    state.rt.allocator.resetPeak();
    for (const b of spec.broadcasts) if (!state.broadcasts.has(b.id)) state.broadcasts.set(b.id, b);
    // The driver cannot reach this thread between tasks: copies it dropped go now.
    sweepDecoded(init.decodedSlots);
  }

  /** Sets up the thread on its first task (asks the driver for this thread's span), then the task. */
  static open(spec: TaskSpec, init: WorkerInit, direct?: Requester): TaskContext {
    const port = spec.port;
    const ask: Requester = direct ?? ((req) => request(port!, req));
    // In a worker the state is made once. Inline, in the driver's thread, several
    // contexts (each with its own memory) may take turns: remake it for a new memory.
    if (!thread || thread.rt.memory !== init.memory) {
      const span = ask({ op: 'span', threadId });
      if (!span.ok) {
        throw span.refusal === 'stuck'
          ? new KilnError(
              'resources',
              'no memory span came free for this worker thread: threads killed by cancelled or failed tasks have not exited, most likely stuck in a read (a hung network file system, a pipe); unblock what they wait on, or stop this context and start a new one',
            )
          : new KilnError('resources', 'no memory span left for a worker thread (every span of the workers + 2 spares is held): stop this context and start a new one, with fewer --workers if this repeats');
      }
      const rt = KernelRuntime.create({ module: init.module, memory: init.memory, span: { base: span.ptr, limit: span.ptr + span.size } });
      const state: ThreadState = { rt, readers: new Map(), tokenizers: new Map(), tables: new Map(), broadcasts: new Map() };
      // Kept tables are a cache: a task short of memory gets it back.
      rt.allocator.onPressure(() => {
        const had = state.tables.size > 0;
        for (const t of state.tables.values()) t.free();
        state.tables.clear();
        return had;
      });
      thread = state;
    }
    return new TaskContext(spec, thread, init, ask);
  }

  /** This thread's kernel runtime. */
  get rt(): KernelRuntime {
    return this.state.rt;
  }

  /** This thread's split reader for the task's I/O backend. */
  get reader(): SplitReader {
    let r = this.state.readers.get(this.spec.io);
    if (!r) {
      r = new SplitReader(this.state.rt, { backend: this.spec.io });
      this.state.readers.set(this.spec.io, r);
    }
    r.maxRecordBytes = this.spec.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    return r;
  }

  /** This thread's tokenizer for a split mode and case rule (kept and reused). */
  tokenizer(lowercase: boolean, nonAlnum: boolean): Tokenizer {
    const key = (lowercase ? 1 : 0) | (nonAlnum ? 2 : 0);
    let t = this.state.tokenizers.get(key);
    if (!t) {
      t = new Tokenizer(this.state.rt, { split: nonAlnum ? 'nonAlnum' : 'whitespace', lowercase, hash: false });
      this.state.tokenizers.set(key, t);
    }
    return t;
  }

  /**
   * An empty combiner table for this task. The thread keeps one per value kind from
   * task to task: a table grown to a split's distinct keys is already the right size
   * for the next split, so no task pays the doubling, re-indexing and first touch of
   * fresh memory again (DESIGN.md: reuse regions, never allocate per task).
   */
  combinerTable(kind: ValueKind, expectedKeys: number): CombinerTable<ValueKind> {
    const kept = this.state.tables.get(kind);
    if (kept) {
      this.state.tables.delete(kind);
      kept.clear();
      return kept;
    }
    return new CombinerTable<ValueKind>(this.state.rt, { valueKind: kind, expectedKeys });
  }

  /**
   * Takes a table back after a task. It is kept for the next task if it holds at most
   * an eighth of the thread's memory, so one task's huge table cannot starve the
   * thread's later tasks of scratch memory; otherwise it is freed.
   */
  returnTable(table: CombinerTable<ValueKind>): void {
    if (!this.state.tables.has(table.valueKind) && table.bytesHeld <= this.state.rt.allocator.capacity / 8) {
      this.state.tables.set(table.valueKind, table);
    } else table.free();
  }

  /** Throws if the job was cancelled. Call every CANCEL_CHECK_EVERY records or per chunk. */
  checkCancelled(): void {
    if (Atomics.load(this.control, this.spec.cancelSlot) !== 0) throw new KilnError('aborted', 'cancelled');
  }

  /** A user function, revived from source (cached per thread). */
  fn<F extends Function>(shipped: ShippedFunction): F {
    return reviveFunction<F>(shipped, (h: BroadcastHandle) => {
      const id = h.__kilnBroadcast;
      const entry = this.state.broadcasts.get(id);
      if (!entry || !this.spec.broadcasts.some((b) => b.id === id)) {
        throw new KilnError('usage', `broadcast ${id} was destroyed; keep it (do not call destroy()) while jobs use it`);
      }
      if ('value' in entry) return entry.value;
      const value = deserialize(Buffer.from(this.state.rt.memory.buffer, entry.ptr, entry.len));
      this.state.broadcasts.set(id, { value });
      return value;
    });
  }

  /** A shuffle-arena region from the driver, or undefined when the budget is spent (spill). */
  reserveShuffle(bytes: number): Region | undefined {
    const reply = this.ask({ op: 'alloc', bytes });
    return reply.ok ? { ptr: reply.ptr, size: reply.size } : undefined;
  }

  /**
   * `bytes` more of heap for a decoded copy of a persisted partition (slot -1: a new
   * copy), charged to storageMemory by the driver; undefined when refused, and then
   * the slot and all it held are freed.
   */
  reserveDecoded(datasetId: number, partition: number, slot: number, bytes: number): DecodedRef | undefined {
    const reply = this.ask({ op: 'decoded', datasetId, partition, slot, bytes });
    return reply.ok ? { slot: reply.ptr, gen: reply.size } : undefined;
  }

  /** A pool region for a persisted partition's encoded block, or undefined when storage has no room for it. */
  reserveBlock(datasetId: number, partition: number, bytes: number): Region | undefined {
    const reply = this.ask({ op: 'block', datasetId, partition, bytes });
    return reply.ok ? { ptr: reply.ptr, size: reply.size } : undefined;
  }

  /** Notes a decoded copy this attempt built, for commitDecoded. */
  keepDecoded(ref: DecodedRef, records: readonly unknown[]): void {
    this.decoded.push({ ref, records });
  }

  /** The attempt succeeded: this thread keeps its decoded copies. */
  commitDecoded(): void {
    for (const d of this.decoded) keepDecoded(d.ref, d.records);
  }

  /** Closes the task's port. */
  close(): void {
    this.spec.port?.close();
  }
}

/**
 * A synchronous request to the driver: posts `req` with a small shared reply buffer
 * and blocks this worker thread on it (Atomics.wait) until the driver's event loop
 * answers and notifies. Ordering: the driver writes the reply words first and stores
 * the state word last (Atomics.store), then notifies; we read the reply only after
 * seeing the state change, so the reply words are visible.
 */
function request(port: MessagePort, req: PortRequest): PortReply {
  const reply = new Int32Array(new SharedArrayBuffer(REPLY_BYTES));
  port.postMessage({ ...req, reply: reply.buffer });
  while (Atomics.load(reply, REPLY_STATE) === REPLY_PENDING) Atomics.wait(reply, REPLY_STATE, REPLY_PENDING, 60_000);
  return decodeReply(reply);
}
