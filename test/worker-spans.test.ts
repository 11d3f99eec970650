// WorkerSpans' rules, with fake threads whose exit the test decides (no worker starts):
// a span comes back only when its thread has exited, a thread that asks meanwhile
// waits and is answered then, the wait is bounded, and close() frees everything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { createSharedMemory } from '../engine/executor/kernels/module.js';
import { MemoryBudget } from '../engine/executor/memory/budget.js';
import { decodeReply, REPLY_BYTES, sendReply, type PortReply } from '../engine/common/protocol/protocol.js';
import { WorkerSpans } from '../engine/driver/scheduler/worker-spans.js';

const MiB = 1 << 20;

class FakeThread extends EventEmitter {
  constructor(public threadId: number) {
    super();
  }

  /** The thread has stopped: as Node does, threadId reads -1, then 'exit'. */
  exit(): void {
    this.threadId = -1;
    this.emit('exit', 1);
  }
}

/** One worker, so three spans (two spares); `pool` is what piscina's `threads` would list. */
function setup(waitMs = 60_000): { spans: WorkerSpans; pool: FakeThread[]; ask: (t: FakeThread) => PortReply[]; budget: MemoryBudget } {
  const budget = new MemoryBudget(createSharedMemory(MiB), 65536, { driverBytes: MiB, workerBytes: 4 * MiB, workers: 1, shuffleBytes: MiB });
  const pool: FakeThread[] = [];
  const spans = new WorkerSpans(budget, () => pool, { waitMs });
  /** Asks for `t`'s span; the returned array receives the reply whenever it comes. */
  const ask = (t: FakeThread): PortReply[] => {
    const replies: PortReply[] = [];
    spans.request(t.threadId, (r) => replies.push(r));
    return replies;
  };
  return { spans, pool, ask, budget };
}

function start(pool: FakeThread[], id: number): FakeThread {
  const t = new FakeThread(id);
  pool.push(t);
  return t;
}

/** piscina destroying a worker: gone from the pool, but its thread may still run. */
function kill(pool: FakeThread[], t: FakeThread): void {
  pool.splice(pool.indexOf(t), 1);
}

function ptrOf(replies: PortReply[]): number {
  assert.is(replies.length, 1, 'one reply');
  const r = replies[0]!;
  assert.ok(r.ok, `granted, got ${JSON.stringify(r)}`);
  return r.ok ? r.ptr : -1;
}

test("a killed thread's span is not reused before the thread exits; a thread that asks meanwhile waits, then gets it", () => {
  const { spans, pool, ask } = setup();
  const [a, b, c] = [1, 2, 3].map((id) => start(pool, id)) as [FakeThread, FakeThread, FakeThread];
  const spanA = ptrOf(ask(a));
  assert.is(ptrOf(ask(a)), spanA, 'same thread, same span');
  kill(pool, a);
  const spanB = ptrOf(ask(b));
  const spanC = ptrOf(ask(c));
  assert.ok(spanB !== spanA && spanC !== spanA, 'the spares are used while the killed thread runs');
  const d = start(pool, 4);
  const waiting = ask(d);
  assert.is(waiting.length, 0, 'no span is free: the request waits');
  assert.is(spans.waitingCount, 1);
  a.exit();
  assert.is(ptrOf(waiting), spanA, "answered with the exited thread's span");
  assert.is(spans.waitingCount, 0);
});

test('a thread killed while it waits drops its request', () => {
  const { spans, pool, ask } = setup();
  const [a, b, c] = [1, 2, 3].map((id) => start(pool, id)) as [FakeThread, FakeThread, FakeThread];
  for (const t of [a, b, c]) ptrOf(ask(t));
  const d = start(pool, 4);
  const forD = ask(d);
  kill(pool, d);
  d.exit();
  assert.is(spans.waitingCount, 0);
  kill(pool, a);
  a.exit();
  assert.is(forD.length, 0, 'the exited thread is not answered');
  const e = start(pool, 5);
  ptrOf(ask(e));
});

test('a thread no longer in the pool gets no span', () => {
  const { pool, ask, budget } = setup();
  const a = start(pool, 1);
  kill(pool, a);
  assert.equal(ask(a), [{ ok: false, refusal: 'full' }]);
  assert.is(budget.workerSpan(99) !== undefined, true);
});

test('a wait is bounded: refused as stuck, later requests refused at once until a span comes free', async () => {
  const { spans, pool, ask } = setup(20);
  const [a, b, c] = [1, 2, 3].map((id) => start(pool, id)) as [FakeThread, FakeThread, FakeThread];
  for (const t of [a, b, c]) ptrOf(ask(t));
  kill(pool, a);
  const d = start(pool, 4);
  const forD = ask(d);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(forD, [{ ok: false, refusal: 'stuck' }]);
  assert.is(spans.waitingCount, 0);
  assert.equal(ask(d), [{ ok: false, refusal: 'stuck' }], 'no second wait while nothing came free');
  a.exit();
  ptrOf(ask(d));
});

test('close() refuses waiting requests and frees every span, killed threads still running included', () => {
  const { spans, pool, ask, budget } = setup();
  const [a, b, c] = [1, 2, 3].map((id) => start(pool, id)) as [FakeThread, FakeThread, FakeThread];
  for (const t of [a, b, c]) ptrOf(ask(t));
  kill(pool, a);
  const forD = ask(start(pool, 4));
  spans.close();
  assert.equal(forD, [{ ok: false, refusal: 'full' }]);
  assert.ok([10, 11, 12].every((id) => budget.workerSpan(id) !== undefined), 'all three spans are free');
  a.exit();
  assert.equal(ask(b), [{ ok: false, refusal: 'full' }], 'closed');
});

test("a refusal's reason crosses the reply buffer", () => {
  for (const reply of [{ ok: true, ptr: 3 * 2 ** 30, size: 64 }, { ok: false, refusal: 'full' }, { ok: false, refusal: 'stuck' }] as PortReply[]) {
    const buffer = new SharedArrayBuffer(REPLY_BYTES);
    sendReply(buffer, reply);
    assert.equal(decodeReply(new Int32Array(buffer)), reply);
  }
});

test.run();
