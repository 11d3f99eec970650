// The combiner table kernels against the plain-TS reference (test/reference/combiner.ts):
// random keys and values, growth through many GROW cycles, the fused word counter on
// chunked input, tables built by worker threads over one shared memory and merged, and
// the shuffle block round trip. This file is also the worker those tests start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CombinerTable, KernelError, KernelRuntime, hashBytes, kernelModule, type ValueKind } from '../engine/executor/kernels/index.js';
import type { Region } from '../engine/executor/memory/region.js';
import { ReferenceCombiner, keyString, referenceWordCount } from './reference/combiner.js';
import { ascii, randBytes, randInt, rng } from './support/random.js';

/** What a worker is asked to build: a word-count table over `text` plus keyed i64 values. */
interface WorkerJob {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  span: { base: number; limit: number };
  text: Uint8Array;
  keys: Uint8Array[];
  values: BigInt64Array;
}

/** Keys laid out in kernel memory as the insert kernel takes them. */
interface Laid {
  data: Region;
  offsets: Region;
  values?: Region;
  release(): void;
}

function layKeys(rt: KernelRuntime, keys: Uint8Array[], values?: BigInt64Array | Float64Array): Laid {
  const total = keys.reduce((n, k) => n + k.length, 0);
  const data = rt.allocator.alloc(total);
  const offsets = rt.allocator.alloc(4 * (keys.length + 1));
  const offs = rt.u32(offsets.ptr, keys.length + 1);
  let at = 0;
  keys.forEach((k, i) => {
    offs[i] = at;
    rt.u8.set(k, data.ptr + at);
    at += k.length;
  });
  offs[keys.length] = at;
  let vals: Region | undefined;
  if (values) {
    vals = rt.allocator.alloc(8 * keys.length, 8);
    new Uint8Array(rt.u8.buffer, vals.ptr, 8 * keys.length).set(new Uint8Array(values.buffer, values.byteOffset, 8 * keys.length));
  }
  return {
    data,
    offsets,
    ...(vals ? { values: vals } : {}),
    release: () => [data, offsets, ...(vals ? [vals] : [])].forEach((r) => rt.allocator.release(r)),
  };
}

function insertAll<K extends ValueKind>(rt: KernelRuntime, table: CombinerTable<K>, keys: Uint8Array[], values?: BigInt64Array | Float64Array, hashes?: BigUint64Array): void {
  const laid = layKeys(rt, keys, values);
  let h: Region | undefined;
  if (hashes) {
    h = rt.allocator.alloc(8 * keys.length, 8);
    rt.u64(h.ptr, keys.length).set(hashes);
  }
  table.insert({
    data: laid.data.ptr,
    offsets: laid.offsets.ptr,
    n: keys.length,
    ...(laid.values ? { values: laid.values.ptr } : {}),
    ...(h ? { hashes: h.ptr } : {}),
  });
  laid.release();
  if (h) rt.allocator.release(h);
}

/** Asserts the table holds exactly the reference's keys and aggregates. */
function assertSame<K extends ValueKind>(table: CombinerTable<K>, ref: ReferenceCombiner<bigint> | ReferenceCombiner<number>, what: string): void {
  assert.is(table.size, ref.map.size, `${what}: distinct keys`);
  let n = 0;
  for (const e of table.entries()) {
    const r = (ref.map as Map<string, { count: number; sum: unknown; min: unknown; max: unknown }>).get(keyString(e.key));
    if (!r) assert.unreachable(`${what}: unexpected key of ${e.key.length} bytes`);
    else if (e.count !== r.count || !Object.is(e.sum, r.sum) || !Object.is(e.min, r.min) || !Object.is(e.max, r.max)) {
      assert.equal({ count: e.count, sum: e.sum, min: e.min, max: e.max }, { count: r.count, sum: r.sum, min: r.min, max: r.max }, `${what}: key #${n}`);
    }
    n++;
  }
}

/** Asserts table word counts equal a reference word-count map. */
function assertCounts(table: CombinerTable, expected: Map<string, number>, what: string): void {
  const got = new Map<string, number>();
  for (const e of table.entries()) {
    got.set(keyString(e.key), e.count);
    if (e.sum !== BigInt(e.count) || (e.count > 0 && (e.min !== 1n || e.max !== 1n))) assert.unreachable(`${what}: aggregates of a word`);
  }
  assert.is(got.size, expected.size, `${what}: distinct words`);
  for (const [k, c] of expected) if (got.get(k) !== c) assert.is(got.get(k), c, `${what}: count of ${JSON.stringify(k.slice(0, 40))}`);
}

/** Counts `bytes` with the kernel in two chunks split at `split`, carrying the partial word. */
function countSplit(rt: KernelRuntime, table: CombinerTable, buf: Region, bytes: Uint8Array, split: number, options: { lowercase?: boolean; nonAlnum?: boolean }): void {
  rt.u8.set(bytes.subarray(0, split), buf.ptr);
  const used = table.countWords(buf.ptr, split, options);
  assert.ok(used <= split);
  const carry = split - used;
  rt.u8.copyWithin(buf.ptr, buf.ptr + used, buf.ptr + split);
  rt.u8.set(bytes.subarray(split), buf.ptr + carry);
  const len = carry + bytes.length - split;
  assert.is(table.countWords(buf.ptr, len, { ...options, final: true }), len);
}

/** Random text: words of mixed case, digits, punctuation, UTF-8 and every whitespace byte. */
function randomText(r: () => number, bytes: number): Uint8Array {
  const parts: string[] = [];
  const pieces = ['the', 'The', 'THE', 'Quick', 'brown', 'fox', 'jumps', 'über', 'naïve', 'x', 'don\'t', 'e-mail', 'a1b2', '42', 'ÄÖÜ', 'a'.repeat(70)];
  const seps = [' ', ' ', ' ', '\n', '\t', '\r\n', '  ', '\v', '\f', ', ', '. '];
  let n = 0;
  while (n < bytes) {
    const w = randInt(r, 4) === 0 ? String.fromCharCode(...randBytes(r, 1 + randInt(r, 9), ascii('abcdefghijXYZ019_-'))) : pieces[randInt(r, pieces.length)]!;
    const s = seps[randInt(r, seps.length)]!;
    parts.push(w, s);
    n += w.length + s.length;
  }
  return ascii(parts.join(''));
}

function runWorker(job: WorkerJob): void {
  const rt = KernelRuntime.create({ module: job.module, memory: job.memory, span: job.span });
  const words = new CombinerTable(rt, { expectedKeys: 16 });
  const buf = rt.allocator.alloc(job.text.length);
  rt.u8.set(job.text, buf.ptr);
  words.countWords(buf.ptr, job.text.length, { lowercase: true, final: true });
  const keyed = new CombinerTable(rt, { expectedKeys: 16 });
  insertAll(rt, keyed, job.keys, job.values);
  // The tables stay in the shared memory; the parent merges them by header pointer.
  parentPort!.postMessage({ words: words.header, keyed: keyed.header });
}

if (!isMainThread) {
  runWorker(workerData as WorkerJob);
} else {
  const rt = KernelRuntime.create({ initialBytes: 256 << 20 });

  test('random keys of 0..1024 bytes over all 256 byte values, i64 values incl. negatives', () => {
    const r = rng(11);
    const distinct = Array.from({ length: 3000 }, (_, i) => {
      const len = i === 0 ? 0 : i < 5 ? 1024 : randInt(r, 8) === 0 ? randInt(r, 300) : randInt(r, 24);
      return randBytes(r, len);
    });
    distinct.push(Uint8Array.from({ length: 256 }, (_, i) => i));
    const keys = Array.from({ length: 20000 }, () => distinct[randInt(r, distinct.length)]!);
    const values = BigInt64Array.from(keys, () => BigInt(randInt(r, 2 ** 40)) - 2n ** 39n);
    values[0] = -(2n ** 63n);
    values[1] = 2n ** 63n - 1n;
    const ref = new ReferenceCombiner<bigint>('i64');
    keys.forEach((k, i) => ref.add(k, values[i]!));
    const table = new CombinerTable(rt, { expectedKeys: 16, expectedKeyBytes: 64 });
    insertAll(rt, table, keys, values);
    assertSame(table, ref, 'i64');
    // Insertion order is kept: entries come out in first-seen order.
    const firstSeen = [...ref.map.values()].map((e) => keyString(e.key));
    assert.equal([...table.entries()].map((e) => keyString(e.key)), firstSeen);
    // Hashes are XXH64 seed 0, as everywhere else in kiln.
    for (const e of [...table.entries()].slice(0, 50)) assert.is(e.hash, hashBytes(rt, e.key));
    table.free();
  });

  test('f64 values: sum/min/max incl. negatives; caller-given hashes; value 1 when omitted', () => {
    const r = rng(12);
    const distinct = Array.from({ length: 500 }, () => randBytes(r, randInt(r, 40)));
    const keys = Array.from({ length: 8000 }, () => distinct[randInt(r, distinct.length)]!);
    const values = Float64Array.from(keys, () => (r() - 0.5) * 1e6);
    values[3] = -0;
    const ref = new ReferenceCombiner<number>('f64');
    keys.forEach((k, i) => ref.add(k, values[i]!));
    const table = new CombinerTable(rt, { valueKind: 'f64', expectedKeys: 16 });
    const hashes = BigUint64Array.from(keys, (k) => hashBytes(rt, k));
    insertAll(rt, table, keys, values, hashes);
    assertSame(table, ref, 'f64');

    const ones = new CombinerTable(rt, { valueKind: 'f64' });
    const oneRef = new ReferenceCombiner<number>('f64');
    keys.forEach((k) => oneRef.add(k, 1));
    insertAll(rt, ones, keys);
    assertSame(ones, oneRef, 'f64 ones');
    assert.throws(() => ones.mergeFrom(new CombinerTable(rt) as unknown as CombinerTable<'f64'>), (e: unknown) => e instanceof KernelError);
    table.free();
    ones.free();
  });

  test('2 million distinct keys grow the table through many GROW cycles', () => {
    const r = rng(13);
    const n = 2_000_000;
    // Keys are distinct by construction: a 4-byte index, then 2..11 random bytes.
    const lens = Uint8Array.from({ length: n }, () => 6 + randInt(r, 10));
    const total = lens.reduce((a, b) => a + b, 0);
    const data = rt.allocator.alloc(total);
    const offsets = rt.allocator.alloc(4 * (n + 1));
    const offs = rt.u32(offsets.ptr, n + 1);
    const u8 = rt.u8;
    const dv = rt.dv;
    let at = 0;
    for (let i = 0; i < n; i++) {
      offs[i] = at;
      dv.setUint32(data.ptr + at, i, true);
      for (let j = 4; j < lens[i]!; j++) u8[data.ptr + at + j] = randInt(r, 256);
      at += lens[i]!;
    }
    offs[n] = at;
    const table = new CombinerTable(rt, { expectedKeys: 16, expectedKeyBytes: 1024 });
    const batch = 250_000;
    // Twice: the second pass must find every key and add none.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < n; i += batch) table.insert({ data: data.ptr, offsets: offsets.ptr + 4 * i, n: Math.min(batch, n - i) });
    }
    assert.is(table.size, n);
    let j = 0;
    for (const e of table.entries()) {
      const want = rt.u8.subarray(data.ptr + offs[j]!, data.ptr + offs[j + 1]!);
      if (e.count !== 2 || e.key.length !== want.length || !e.key.every((b, k) => b === want[k])) assert.unreachable(`entry ${j}: count ${e.count}`);
      j++;
    }
    table.free();
    rt.allocator.release(data);
    rt.allocator.release(offsets);
  });

  test('wordCount in two chunks at every split position: no word lost or counted twice', () => {
    const text = ascii('  Hello, World!\tfoo-bar  BAZ\nqux über ÄÖÜ\r\ndon\'t a1b2 x  y\vz\f the end');
    const buf = rt.allocator.alloc(text.length + 64);
    for (const options of [{}, { lowercase: true }, { nonAlnum: true }, { lowercase: true, nonAlnum: true }]) {
      const expected = referenceWordCount(text, options);
      for (let split = 0; split <= text.length; split++) {
        const table = new CombinerTable(rt, { expectedKeys: 16 });
        countSplit(rt, table, buf, text, split, options);
        assertCounts(table, expected, `split ${split} ${JSON.stringify(options)}`);
        table.free();
      }
    }
    rt.allocator.release(buf);
  });

  test('wordCount: words of every length 1..40 differing only in the last byte; hashes are XXH64', () => {
    const words: string[] = [];
    for (let len = 1; len <= 40; len++) for (const last of 'abcXY') words.push('q'.repeat(len - 1) + last);
    const text = ascii(words.join(' ') + ' ' + words.slice(0, 50).join('\n'));
    const buf = rt.allocator.alloc(text.length);
    for (const lowercase of [false, true]) {
      rt.u8.set(text, buf.ptr);
      const table = new CombinerTable(rt, { expectedKeys: 16 });
      table.countWords(buf.ptr, text.length, { lowercase, final: true });
      assertCounts(table, referenceWordCount(text, { lowercase }), `lowercase ${lowercase}`);
      for (const e of table.entries()) if (e.hash !== hashBytes(rt, e.key)) assert.unreachable(`hash of a ${e.key.length}-byte word`);
      table.free();
    }
    rt.allocator.release(buf);
  });

  test('wordCount on random text in random chunks, growing from a tiny table', () => {
    const r = rng(14);
    const text = randomText(r, 300_000);
    const buf = rt.allocator.alloc(text.length + 4096);
    for (const options of [{ lowercase: true }, { nonAlnum: true }, {}]) {
      const expected = referenceWordCount(text, options);
      const table = new CombinerTable(rt, { expectedKeys: 16, expectedKeyBytes: 16 });
      let carry = 0;
      let at = 0;
      while (at < text.length) {
        const take = Math.min(text.length - at, 1 + randInt(r, 5000));
        rt.u8.set(text.subarray(at, at + take), buf.ptr + carry);
        at += take;
        const len = carry + take;
        const used = table.countWords(buf.ptr, len, { ...options, final: at === text.length });
        carry = len - used;
        rt.u8.copyWithin(buf.ptr, buf.ptr + used, buf.ptr + len);
      }
      assert.is(carry, 0);
      assertCounts(table, expected, JSON.stringify(options));
      table.free();
    }
    rt.allocator.release(buf);
  });

  test('wordCount edge cases: empty input, only whitespace, a single 1 MB word', () => {
    const table = new CombinerTable(rt, { expectedKeys: 16, expectedKeyBytes: 64 });
    const buf = rt.allocator.alloc(1 << 21);
    assert.is(table.countWords(buf.ptr, 0, { final: true }), 0);
    assert.is(table.countWords(buf.ptr, 0), 0);
    const spaces = ascii(' \t\n\r\v\f'.repeat(50));
    rt.u8.set(spaces, buf.ptr);
    assert.is(table.countWords(buf.ptr, spaces.length), spaces.length);
    assert.is(table.countWords(buf.ptr, spaces.length, { final: true }), spaces.length);
    assert.is(table.size, 0);

    const word = randBytes(rng(15), 1 << 20, ascii('abcdefghijklmnopqrstuvwxyzABC\u0080'.replace('\u0080', 'Z')));
    rt.u8.set(word, buf.ptr);
    // Not final: the whole range is one partial word, nothing consumed.
    assert.is(table.countWords(buf.ptr, word.length), 0);
    assert.is(table.size, 0);
    assert.is(table.countWords(buf.ptr, word.length, { final: true }), word.length);
    rt.u8.set(word, buf.ptr);
    rt.u8[buf.ptr + word.length] = 0x20;
    assert.is(table.countWords(buf.ptr, word.length + 1), word.length + 1);
    const entries = [...table.entries()];
    assert.is(entries.length, 1);
    assert.is(entries[0]!.count, 2);
    assert.is(keyString(entries[0]!.key), keyString(word));

    // clear() keeps the regions and forgets the keys.
    const held = table.bytesHeld;
    table.clear();
    assert.is(table.size, 0);
    rt.u8.set(ascii('a b a'), buf.ptr);
    table.countWords(buf.ptr, 5, { final: true });
    assertCounts(table, new Map([['a', 2], ['b', 1]]), 'after clear');
    assert.is(table.bytesHeld, held);
    table.free();
    rt.allocator.release(buf);
  });

  test('tables built by worker threads over one shared memory, merged into one', async () => {
    const r = rng(16);
    const workers = 3;
    const text = randomText(r, 90_000);
    const distinct = Array.from({ length: 2000 }, () => randBytes(r, randInt(r, 30)));
    const keys = Array.from({ length: 30000 }, () => distinct[randInt(r, distinct.length)]!);
    const values = BigInt64Array.from(keys, () => BigInt(randInt(r, 2000)) - 1000n);
    const spans = Array.from({ length: workers }, () => rt.allocator.alloc(24 << 20));
    // Split the text at whitespace so no word is cut, and the keys in disjoint slices.
    const cuts = [0];
    for (let w = 1; w < workers; w++) {
      let c = Math.floor((text.length * w) / workers);
      while (text[c] !== 0x20) c++;
      cuts.push(c);
    }
    cuts.push(text.length);
    const module = kernelModule();
    const built = await Promise.all(
      spans.map((span, w) => {
        const lo = Math.floor((keys.length * w) / workers);
        const hi = Math.floor((keys.length * (w + 1)) / workers);
        const job: WorkerJob = {
          module,
          memory: rt.memory,
          span: { base: span.ptr, limit: span.ptr + span.size },
          text: text.slice(cuts[w]!, cuts[w + 1]!),
          keys: keys.slice(lo, hi),
          values: values.slice(lo, hi),
        };
        return new Promise<{ words: number; keyed: number }>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: job });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        });
      }),
    );
    const words = new CombinerTable(rt, { expectedKeys: 16 });
    const keyed = new CombinerTable(rt, { expectedKeys: 16 });
    for (const b of built) {
      words.mergeFrom({ header: b.words });
      keyed.mergeFrom({ header: b.keyed });
    }
    assertCounts(words, referenceWordCount(text, { lowercase: true }), 'merged words');
    const ref = new ReferenceCombiner<bigint>('i64');
    keys.forEach((k, i) => ref.add(k, values[i]!));
    assertSame(keyed, ref, 'merged keyed');
    words.free();
    keyed.free();
    spans.forEach((s) => rt.allocator.release(s));
  });

  test('word counts waiting in the word index reach every reader: entries, inserts, emit, merge; i64 and f64', () => {
    const r = rng(18);
    const vocabulary = ['a', 'B', 'b', 'cc', 'seven77', 'fifteen-bytes-x', 'sixteen-bytes-xx', 'a-much-longer-word-of-34-bytes-abc'];
    const text = ascii(Array.from({ length: 3000 }, () => vocabulary[randInt(r, vocabulary.length)]!).join(' '));
    const words = referenceWordCount(text, { lowercase: true });
    const buf = rt.allocator.alloc(text.length);
    for (const kind of ['i64', 'f64'] as const) {
      const ref = kind === 'i64' ? new ReferenceCombiner<bigint>('i64') : new ReferenceCombiner<number>('f64');
      const countText = (table: CombinerTable<typeof kind>): void => {
        rt.u8.set(text, buf.ptr);
        table.countWords(buf.ptr, text.length, { lowercase: true, final: true });
        // c occurrences of value 1 each.
        for (const [w, c] of words) {
          const agg = kind === 'i64' ? { count: c, sum: BigInt(c), min: 1n, max: 1n } : { count: c, sum: c, min: 1, max: 1 };
          (ref as ReferenceCombiner<bigint | number>).combine(ascii(w), agg);
        }
      };
      // Words counted (pending in the word index), then keyed values for some of the
      // same keys and for new ones, then words again.
      const table = new CombinerTable(rt, { valueKind: kind, expectedKeys: 16, expectedKeyBytes: 16 });
      countText(table);
      const keys = ['a', 'cc', 'new-key', 'a-much-longer-word-of-34-bytes-abc', 'b'].map(ascii);
      const values = kind === 'i64' ? BigInt64Array.from([5n, -3n, 7n, 100n, 0n]) : Float64Array.from([5.5, -3, 7, 100, 0.25]);
      keys.forEach((k, i) => (ref as ReferenceCombiner<bigint | number>).add(k, values[i]!));
      insertAll(rt, table, keys, values);
      countText(table);
      assertSame(table, ref, `${kind}: entries`);
      assert.is(table.wordsCounted, 2 * [...words.values()].reduce((a, b) => a + b, 0));
      countText(table);
      // Emitted while counts are pending: the block carries them.
      const out = table.emit(3);
      const reduced = new CombinerTable(rt, { valueKind: kind, expectedKeys: 16 });
      reduced.insertBlock(out.block.ptr, out.bytes);
      assertSame(reduced, ref, `${kind}: emitted`);
      // Merged from while counts are pending: the merge carries them.
      countText(table);
      const merged = new CombinerTable(rt, { valueKind: kind, expectedKeys: 16 });
      merged.mergeFrom(table);
      assertSame(merged, ref, `${kind}: merged`);
      // clear() forgets pending counts too.
      countText(table);
      table.clear();
      rt.u8.set(ascii('x y x'), buf.ptr);
      table.countWords(buf.ptr, 5, { final: true });
      assert.equal(new Map([...table.entries('utf8')].map((e) => [e.key, e.count])), new Map([['x', 2], ['y', 1]]), `${kind}: after clear`);
      for (const t of [table, reduced, merged]) t.free();
      rt.allocator.release(out.block);
      rt.allocator.release(out.offsets);
    }
    rt.allocator.release(buf);
  });

  test('emit + insertBlock round trip; every record lands in partition hash % R', () => {
    const r = rng(17);
    const distinct = Array.from({ length: 3000 }, (_, i) => randBytes(r, i === 0 ? 0 : randInt(r, i < 3 ? 1024 : 40)));
    const keys = Array.from({ length: 12000 }, () => distinct[randInt(r, distinct.length)]!);
    for (const kind of ['i64', 'f64'] as const) {
      const values = kind === 'i64' ? BigInt64Array.from(keys, () => BigInt(randInt(r, 1e9)) - 500_000_000n) : Float64Array.from(keys, () => randInt(r, 1e6) - 5e5);
      const ref = kind === 'i64' ? new ReferenceCombiner<bigint>('i64') : new ReferenceCombiner<number>('f64');
      keys.forEach((k, i) => (ref as ReferenceCombiner<bigint | number>).add(k, values[i]!));
      const table = new CombinerTable(rt, { valueKind: kind, expectedKeys: 16 });
      insertAll(rt, table, keys, values);
      for (const partitions of [1, 7, 8]) {
        const out = table.emit(partitions);
        const offs = Array.from(rt.u32(out.offsets.ptr, partitions + 1));
        assert.is(offs[0], 0);
        assert.is(offs[partitions], out.bytes);
        const dv = rt.dv;
        let records = 0;
        for (let p = 0; p < partitions; p++) {
          for (let at = out.block.ptr + offs[p]!; at < out.block.ptr + offs[p + 1]!; ) {
            const klen = dv.getUint32(at, true);
            const hash = dv.getBigUint64(at + 4 + klen, true);
            if (hash % BigInt(partitions) !== BigInt(p)) assert.unreachable(`record in partition ${p} has hash % ${partitions} = ${hash % BigInt(partitions)}`);
            at += 44 + klen;
            records++;
          }
        }
        assert.is(records, table.size);
        // Reduce side: every partition's segment into one table, in reverse order.
        const reduced = new CombinerTable(rt, { valueKind: kind, expectedKeys: 16, expectedKeyBytes: 16 });
        for (let p = partitions - 1; p >= 0; p--) reduced.insertBlock(out.block.ptr + offs[p]!, offs[p + 1]! - offs[p]!);
        assertSame(reduced, ref, `${kind} R=${partitions}`);
        // Inserting the whole block again doubles every aggregate but min/max.
        reduced.insertBlock(out.block.ptr, out.bytes);
        for (const e of reduced.entries()) {
          const x = ref.map.get(keyString(e.key))!;
          if (e.count !== 2 * x.count) assert.unreachable('second insertBlock');
        }
        reduced.free();
        rt.allocator.release(out.block);
        rt.allocator.release(out.offsets);
      }
      table.free();
    }
  });

  test('a corrupt block is reported as a KernelError, not a hang or a trap', () => {
    const table = new CombinerTable(rt);
    const buf = rt.allocator.alloc(64);
    rt.dv.setUint32(buf.ptr, 1000, true); // key longer than the block
    assert.throws(() => table.insertBlock(buf.ptr, 60), (e: unknown) => e instanceof KernelError && /tableInsertBlock/.test(String(e)));
    rt.allocator.release(buf);
    table.free();
  });

  test.run();
}
