// The combiner table's consistency tripwire: it holds on a real table and trips when
// the key arena is overwritten behind the table's back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CombinerTable, KernelRuntime } from '../engine/executor/kernels/index.js';

test('keysConsistent: true for a built table, false once the arena is overwritten', () => {
  const rt = KernelRuntime.create();
  const text = Buffer.from('It was the best of times, it was the worst of times\n');
  const src = rt.allocator.alloc(text.length + 64);
  rt.u8.set(text, src.ptr);
  const table = new CombinerTable(rt, { valueKind: 'i64' });
  table.countWords(src.ptr, text.length, { lowercase: true, final: true });
  assert.ok(table.keysConsistent());
  const first = [...table.entries('utf8')][0]!;
  assert.is(first.key, 'it');
  // Overwrite the first key's bytes in the arena with the input's original case.
  const arena = rt.dv.getUint32(table.header + 20, true);
  rt.u8.set(Buffer.from('It'), arena);
  assert.not.ok(table.keysConsistent());
  table.free();
});

test.run();
