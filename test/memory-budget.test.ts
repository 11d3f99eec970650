// The memory map of a context: the driver's span, every worker span (inline mode's
// thread included) and the shuffle arena are disjoint, lie above the kernels' static
// area, inside the memory, and a returned worker span is handed out again only once
// its thread is gone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryBudget } from '../engine/executor/memory/budget.js';
import { createSharedMemory } from '../engine/executor/kernels/module.js';
import type { Region } from '../engine/executor/memory/region.js';

const MiB = 1 << 20;

function disjoint(regions: readonly Region[], what: string): void {
  const sorted = [...regions].sort((a, b) => a.ptr - b.ptr);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i - 1]!.ptr + sorted[i - 1]!.size <= sorted[i]!.ptr, `${what}: [${sorted[i - 1]!.ptr}, +${sorted[i - 1]!.size}) overlaps [${sorted[i]!.ptr}, +${sorted[i]!.size})`);
  }
}

for (const workers of [0, 1, 2, 3]) {
  test(`layout with ${workers} workers: driver, worker spans and shuffle arena are disjoint`, () => {
    const memory = createSharedMemory(MiB);
    const heapBase = 65536;
    const budget = new MemoryBudget(memory, heapBase, { driverBytes: 8 * MiB, workerBytes: 16 * MiB, workers, shuffleBytes: 32 * MiB });
    const driver = { ptr: budget.driver.base, size: budget.driver.limit - budget.driver.base };
    assert.ok(driver.ptr >= heapBase, 'driver span above the static area');
    // Inline mode asks for thread 0's span; workers have ids >= 1; the budget has 2 spares.
    const spans = Array.from({ length: workers + 2 }, (_, id) => id).map((id) => budget.workerSpan(id)!);
    assert.equal(budget.workerSpan(0), spans[0], 'same thread, same span');
    assert.is(budget.workerSpan(workers + 2), undefined, 'no span while every one is held');
    const shuffle: Region[] = [];
    for (;;) {
      const r = budget.reserveShuffle(3 * MiB + 5);
      if (!r) break;
      shuffle.push(r);
    }
    assert.ok(shuffle.length >= 9, 'the shuffle arena holds its budget');
    const all = [driver, ...spans, ...shuffle];
    disjoint(all, `workers=${workers}`);
    for (const r of all) assert.ok(r.ptr + r.size <= memory.buffer.byteLength, 'inside the memory');
    for (const s of spans) assert.is(s.size, 16 * MiB);
    // A dead thread's span goes back and is the next thread's; live spans are untouched.
    budget.releaseWorker(1);
    const next = budget.workerSpan(7)!;
    assert.equal(next, spans[1], "the dead thread's span is reused");
    disjoint([driver, next, ...spans.filter((_, i) => i !== 1), ...shuffle], 'after a thread was replaced');
    for (const r of shuffle) budget.releaseShuffle(r);
    assert.is(budget.shuffleBytesInUse, 0);
  });
}

test.run();
