// adviseHugePages: marks a shared kernel memory for transparent huge pages where the
// optional binding and the OS allow it, never throws, and leaves contents intact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mmapAvailable } from '../engine/executor/io/mmap.js';
import { adviseHugePages } from '../engine/executor/memory/huge-pages.js';
import { Kiln } from '../engine/index.js';

test('advice is taken on Linux with the binding, and the memory keeps its bytes', () => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const u8 = new Uint8Array(memory.buffer);
  for (let i = 0; i < u8.length; i += 4093) u8[i] = i & 0xff;
  const taken = adviseHugePages(memory);
  assert.is(taken, process.platform === 'linux' && mmapAvailable().ok);
  for (let i = 0; i < u8.length; i += 4093) if (u8[i] !== (i & 0xff)) assert.unreachable(`byte ${i} changed`);
  u8[u8.length - 1] = 7;
  assert.is(u8[u8.length - 1], 7);
});

test('a context runs the same with and without huge pages', async () => {
  const results: unknown[] = [];
  for (const hugePages of [true, false]) {
    const kiln = await Kiln.start({ workers: 1, memory: '64m', workerMemory: '64m', hugePages });
    try {
      results.push(await kiln.parallelize(['b', 'a', 'b', 'c', 'b'], 2).valueCounts(2).sortByKey().collect());
    } finally {
      await kiln.stop();
    }
  }
  assert.equal(results[0], [['a', 1], ['b', 3], ['c', 1]]);
  assert.equal(results[1], results[0]);
});

test.run();
