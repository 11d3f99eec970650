// The split reader against a plain-TS reference of Hadoop's line rule: for every split
// of a file, the bytes handed to onChunk must be exactly the lines whose first byte lies
// in the split. Cut at every position and with tiny chunk buffers, on both backends;
// then a sparse file larger than 2 GiB, which the mmap binding cannot map past 2 GiB.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KilnError } from '../engine/common/errors.js';
import { mmapAvailable, SplitReader, type IoBackend } from '../engine/executor/io/split-reader.js';
import type { FileSplit } from '../engine/common/io/splits.js';
import { KernelRuntime } from '../engine/executor/kernels/runtime.js';
import { ascii, randInt, rng } from './support/random.js';
import { splitLinesReference } from './reference/split-lines.js';

const rt = KernelRuntime.create();
const root = mkdtempSync(join(tmpdir(), 'kiln-io-reader-'));
const mmap = mmapAvailable();
const backends: IoBackend[] = mmap.ok ? ['read', 'mmap'] : ['read'];
if (!mmap.ok) console.log(`  note: mmap backend not available, mmap cases skipped: ${mmap.reason}`);

/** Reads a split, checking each chunk holds whole lines; returns the concatenated bytes. */
// Only the last chunk may lack a final '\n'; equality with the reference then shows it
// ends at the end of the file.
function readSplit(reader: SplitReader, split: FileSplit): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const result = reader.read(split, (ptr, len) => {
    assert.ok(len > 0, 'no empty chunk');
    const last = parts[parts.length - 1];
    if (last) assert.is(last[last.length - 1], 0x0a, 'only the last chunk may end without a newline');
    parts.push(rt.u8.slice(ptr, ptr + len));
    total += len;
  });
  assert.is(result.bytesRead, total);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writeFile(name: string, bytes: Uint8Array): string {
  const path = join(root, name);
  writeFileSync(path, bytes);
  return path;
}

/** Checks every split of `cuts` (sorted offsets from 0 to the file size) against the reference. */
function checkCuts(reader: SplitReader, path: string, bytes: Uint8Array, cuts: number[], label: string): void {
  const all: number[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const split = { path, start: cuts[k]!, length: cuts[k + 1]! - cuts[k]!, fileSize: bytes.length };
    const got = readSplit(reader, split);
    const want = splitLinesReference(bytes, split.start, split.start + split.length);
    if (got.length !== want.length || !got.every((b, i) => b === want[i])) {
      assert.fixture(new TextDecoder().decode(got), new TextDecoder().decode(want), `${label}: split [${split.start}, ${split.start + split.length})`);
    }
    for (const b of got) all.push(b);
  }
  assert.is(all.length, bytes.length, `${label}: all splits together hold every byte once`);
  assert.ok(all.every((b, i) => b === bytes[i]), `${label}: all splits together equal the file`);
}

const longLine = 'L'.repeat(150);
const edgeText = `first line\r\n\r\n\nsecond\r\nshort\n${longLine}\n\nx\ny\r\nlast line without newline`;

for (const backend of backends) {
  test(`${backend}: edge-case file split at every size 1..len, chunk buffers 1..4096`, () => {
    const bytes = ascii(edgeText);
    const path = writeFile(`edge-${backend}.txt`, bytes);
    for (const chunkBytes of [1, 2, 7, 64, 4096]) {
      const reader = new SplitReader(rt, { backend, chunkBytes });
      assert.is(reader.backend, backend);
      for (let size = 1; size <= bytes.length; size++) {
        const cuts: number[] = [];
        for (let at = 0; at < bytes.length; at += size) cuts.push(at);
        cuts.push(bytes.length);
        checkCuts(reader, path, bytes, cuts, `${backend} chunk ${chunkBytes} size ${size}`);
      }
      assert.is(reader.note, undefined, 'no mapping fell back to positional reads');
      reader.close();
    }
  });

  test(`${backend}: files with and without a final newline, empty lines only, one byte`, () => {
    const cases = ['\n', '\n\n\n', 'a', 'a\n', 'ab\ncd', '\r\n', 'abc\n\n', '\nabc'];
    const reader = new SplitReader(rt, { backend, chunkBytes: 2 });
    cases.forEach((text, c) => {
      const bytes = ascii(text);
      const path = writeFile(`small-${backend}-${c}.txt`, bytes);
      for (let size = 1; size <= bytes.length; size++) {
        const cuts: number[] = [];
        for (let at = 0; at < bytes.length; at += size) cuts.push(at);
        cuts.push(bytes.length);
        checkCuts(reader, path, bytes, cuts, `${backend} ${JSON.stringify(text)} size ${size}`);
      }
    });
    reader.close();
  });

  test(`${backend}: random files cut at random offsets`, () => {
    const r = rng(backend === 'read' ? 5 : 6);
    const reader = new SplitReader(rt, { backend, chunkBytes: 16 });
    for (let round = 0; round < 60; round++) {
      // Lines of 0..40 bytes, some much longer, some CRLF, some files without a final newline.
      let text = '';
      const lines = randInt(r, 40);
      for (let i = 0; i < lines; i++) {
        const len = randInt(r, 10) === 0 ? 50 + randInt(r, 300) : randInt(r, 40);
        for (let j = 0; j < len; j++) text += String.fromCharCode(32 + randInt(r, 90));
        text += randInt(r, 5) === 0 ? '\r\n' : '\n';
      }
      if (randInt(r, 2) === 0) text += 'tail';
      const bytes = ascii(text);
      const path = writeFile(`random-${backend}.txt`, bytes);
      const cuts = new Set([0, bytes.length]);
      const n = randInt(r, 12);
      for (let i = 0; i < n; i++) cuts.add(randInt(r, bytes.length + 1));
      checkCuts(reader, path, bytes, [...cuts].sort((a, b) => a - b), `${backend} random round ${round}`);
    }
    reader.close();
  });

  test(`${backend}: regions are reused across splits and released by close()`, () => {
    const before = rt.allocator.bytesInUse;
    const reader = new SplitReader(rt, { backend, chunkBytes: 4096 });
    const after = rt.allocator.bytesInUse;
    const bytes = ascii('a\nbb\nccc\n'.repeat(5000));
    const path = writeFile(`reuse-${backend}.txt`, bytes);
    for (let k = 0; k < 20; k++) readSplit(reader, { path, start: k * 100, length: 5000, fileSize: bytes.length });
    assert.is(rt.allocator.bytesInUse, after, 'no region per chunk or per split');
    reader.close();
    assert.is(rt.allocator.bytesInUse, before);
    try {
      reader.read({ path, start: 0, length: 1, fileSize: bytes.length }, () => {});
      assert.unreachable('read after close');
    } catch (error) {
      assert.instance(error, KilnError);
    }
  });
}

test('a missing file is an input error naming the file and range', () => {
  const reader = new SplitReader(rt);
  const path = join(root, 'missing.txt');
  try {
    reader.read({ path, start: 10, length: 20, fileSize: 30 }, () => {});
    assert.unreachable('expected an error');
  } catch (error) {
    assert.instance(error, KilnError);
    const e = error as KilnError;
    assert.is(e.kind, 'input');
    assert.is(e.context.file, path);
    assert.equal(e.context.range, [10, 30]);
    assert.match(e.message, /no such file/);
  } finally {
    reader.close();
  }
});

test('a file shorter than planned is an input error', () => {
  const path = writeFile('shrunk.txt', ascii('abc\ndef\n'));
  const reader = new SplitReader(rt);
  try {
    reader.read({ path, start: 0, length: 8, fileSize: 100 }, () => {});
    assert.unreachable('expected an error');
  } catch (error) {
    assert.is((error as KilnError).kind, 'input');
    assert.match((error as KilnError).message, /ended at byte 8 but was 100 bytes/);
  } finally {
    reader.close();
  }
});

test('mmapAvailable reports a reason when unavailable; a reader asked for mmap says what it uses', () => {
  const status = mmapAvailable();
  if (!status.ok) assert.ok(status.reason.length > 0);
  const reader = new SplitReader(rt, { backend: 'mmap' });
  assert.is(reader.backend, status.ok ? 'mmap' : 'read');
  if (!status.ok) assert.ok(reader.note);
  reader.close();
});

// A sparse file a little over 2.2 GiB: ftruncate, then two blocks of lines, one across
// the 2 GiB mark and one at the end. Each block is preceded by '\n', so splits inside it
// see it as a file of its own; the zeros between blocks are never read.
test('files larger than 2 GiB: splits around, across and past the 2 GiB mark, both backends', () => {
  const GiB2 = 2 ** 31;
  const size = Math.floor(2.2 * 2 ** 30);
  const path = join(root, 'sparse.bin');
  const fd = openSync(path, 'w');
  const r = rng(9);
  const block = (n: number): Uint8Array => {
    let text = '';
    while (text.length < n) text += 'w'.repeat(randInt(r, 90)) + (randInt(r, 4) === 0 ? '\r\n' : '\n');
    return ascii(text);
  };
  const across = block(48 * 1024);
  const acrossAt = GiB2 - 20 * 1024;
  const tail = block(16 * 1024).subarray(0, 16 * 1024 - 3); // may end mid-line: no final newline
  const tailAt = size - tail.length;
  try {
    ftruncateSync(fd, size);
    writeSync(fd, ascii('\n'), 0, 1, acrossAt - 1);
    writeSync(fd, across, 0, across.length, acrossAt);
    writeSync(fd, ascii('\n'), 0, 1, tailAt - 1);
    writeSync(fd, tail, 0, tail.length, tailAt);
  } finally {
    closeSync(fd);
  }
  assert.ok(across[across.length - 1] === 0x0a, 'the block across 2 GiB ends a line');
  const blockCuts = (at: number, len: number, extra: number[]): number[] => {
    const cuts = new Set([at, at + len, ...extra.filter((c) => c > at && c < at + len)]);
    for (let c = at; c < at + len; c += 7919) cuts.add(c);
    return [...cuts].sort((a, b) => a - b);
  };
  for (const backend of backends) {
    for (const chunkBytes of [100, 4096, 1 << 20]) {
      const reader = new SplitReader(rt, { backend, chunkBytes });
      const cases: Array<[Uint8Array, number, number[]]> = [
        [across, acrossAt, [GiB2 - 1, GiB2, GiB2 + 1, GiB2 + 4096, GiB2 - 4096]],
        [tail, tailAt, [size - 1, size - 100]],
      ];
      for (const [bytes, at, extra] of cases) {
        const cuts = blockCuts(at, bytes.length, extra);
        for (let k = 0; k + 1 < cuts.length; k++) {
          const split = { path, start: cuts[k]!, length: cuts[k + 1]! - cuts[k]!, fileSize: size };
          const got = readSplit(reader, split);
          const want = splitLinesReference(bytes, split.start - at, split.start - at + split.length);
          assert.is(got.length, want.length, `${backend} chunk ${chunkBytes} split [${split.start}, ${split.start + split.length}) length`);
          assert.ok(got.every((b, i) => b === want[i]), `${backend} chunk ${chunkBytes} split at ${split.start} bytes`);
        }
      }
      // One split across the mark, as a task would get it.
      const one = readSplit(reader, { path, start: acrossAt, length: across.length, fileSize: size });
      assert.is(one.length, across.length);
      // Ranges past 2 GiB are read positionally by design; no mapping below it failed.
      assert.is(reader.note, undefined, 'no mapping fell back to positional reads');
      reader.close();
    }
  }
});

test.after(() => rmSync(root, { recursive: true, force: true }));

test.run();
