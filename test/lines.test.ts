// The lineSplit kernel and its LineSplitter wrapper against the plain-TS reference:
// random and edge-case input, CRLF and lone CR, chunked feeding at every split
// position, and tiny output capacities that force the STATUS_FULL resume loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KernelRuntime, LineSplitter, SCAN_FLAGS, STATUS_CODES, carryTail, splitLines } from '../engine/executor/kernels/index.js';
import { linesReference } from './reference/lines.js';
import { ascii, randBytes, randInt, rng } from './support/random.js';

const rt = KernelRuntime.create();
const splitters = new Map<number, LineSplitter>();
const splitter = (capacity: number): LineSplitter => {
  let s = splitters.get(capacity);
  if (!s) splitters.set(capacity, (s = new LineSplitter(rt, capacity)));
  return s;
};
const input = rt.allocator.alloc(4 << 20);

/** Lines of `bytes` fed `chunk` bytes at a time through a buffer, carrying partial lines over as the engine does. */
function chunkedLines(bytes: Uint8Array, chunk: number, capacity = 64): Array<[number, number]> {
  const s = splitter(capacity);
  const lines: Array<[number, number]> = [];
  let fed = 0;
  let held = 0;
  let bufStart = 0;
  for (;;) {
    const take = Math.min(chunk, bytes.length - fed);
    rt.u8.set(bytes.subarray(fed, fed + take), input.ptr + held);
    fed += take;
    held += take;
    const final = fed === bytes.length;
    const consumed = s.scan(input.ptr, held, final, (count, offset) => {
      const p = s.pairs;
      for (let i = 0; i < count; i++) lines.push([bufStart + offset + p[2 * i]!, bufStart + offset + p[2 * i + 1]!]);
    });
    if (final) {
      assert.is(consumed, held, 'a final scan consumes everything');
      return lines;
    }
    held = carryTail(rt, input.ptr, held, consumed);
    bufStart += consumed;
  }
}

const alphabet = ascii('\n\n\n\r\ra b');

test('empty input, no trailing newline, empty lines', () => {
  assert.equal(splitLines(rt, new Uint8Array(0)), []);
  assert.equal(splitLines(rt, ascii('abc')), [[0, 3]]);
  assert.equal(splitLines(rt, ascii('abc\n')), [[0, 3]]);
  assert.equal(splitLines(rt, ascii('\n')), [[0, 0]]);
  assert.equal(splitLines(rt, ascii('\n\n\nx')), [[0, 0], [1, 1], [2, 2], [3, 4]]);
  assert.equal(splitLines(rt, ascii('a\n\nb\n')), [[0, 1], [2, 2], [3, 4]]);
});

test('CRLF, lone CR as data, final lone CR dropped', () => {
  assert.equal(splitLines(rt, ascii('ab\r\ncd\r\n')), [[0, 2], [4, 6]]);
  assert.equal(splitLines(rt, ascii('a\rb\n')), [[0, 3]]);
  assert.equal(splitLines(rt, ascii('\r\n')), [[0, 0]]);
  assert.equal(splitLines(rt, ascii('a\r\r\n')), [[0, 2]], 'only the CR right before LF is dropped');
  assert.equal(splitLines(rt, ascii('ab\r')), [[0, 2]], 'final line ending in a lone CR');
  assert.equal(splitLines(rt, ascii('\r')), [[0, 0]]);
  assert.equal(splitLines(rt, ascii('\n\r')), [[0, 0], [1, 1]]);
});

test('random input from a newline-heavy alphabet and from all 256 byte values, every length 0..300', () => {
  const r = rng(11);
  for (let len = 0; len <= 300; len++) {
    const a = randBytes(r, len, alphabet);
    assert.equal(splitLines(rt, a, 1 + randInt(r, 8)), linesReference(a), `alphabet len ${len}`);
    const b = randBytes(r, len);
    assert.equal(splitLines(rt, b), linesReference(b), `bytes len ${len}`);
  }
  const big = randBytes(r, 1 << 20, alphabet);
  assert.equal(splitLines(rt, big, 1000), linesReference(big), '1 MiB, capacity 1000');
});

test('all byte values 0..255 (twice, newline at 10 and 266)', () => {
  const all = Uint8Array.from({ length: 512 }, (_, i) => i & 255);
  assert.equal(splitLines(rt, all), linesReference(all));
});

test('a single 1 MB line, with and without the newline', () => {
  const line = new Uint8Array(1_000_000).fill(0x61);
  assert.equal(splitLines(rt, line), [[0, 1_000_000]]);
  const withNl = new Uint8Array(1_000_002).fill(0x61);
  withNl[1_000_000] = 0x0d;
  withNl[1_000_001] = 0x0a;
  assert.equal(splitLines(rt, withNl), [[0, 1_000_000]]);
});

test('chunked feeding at every split position loses and duplicates nothing', () => {
  const r = rng(12);
  for (let round = 0; round < 20; round++) {
    const bytes = randBytes(r, 150, alphabet);
    const expected = linesReference(bytes);
    for (let split = 0; split <= bytes.length; split++) {
      // Two chunks: [0, split) then the rest (the buffer is big enough for both).
      assert.equal(chunkedLines(bytes, split === 0 ? bytes.length : split, 1 + (split % 5)), expected, `round ${round} split ${split}`);
    }
    for (let chunk = 1; chunk <= 70; chunk++) assert.equal(chunkedLines(bytes, chunk, 3), expected, `round ${round} chunk ${chunk}`);
  }
});

test('tiny capacities loop on STATUS_FULL and resume exactly', () => {
  const r = rng(13);
  for (const cap of [1, 2, 3, 7]) {
    for (let round = 0; round < 30; round++) {
      const bytes = randBytes(r, randInt(r, 400), alphabet);
      assert.equal(splitLines(rt, bytes, cap), linesReference(bytes), `cap ${cap} round ${round}`);
    }
  }
});

test('raw kernel: ctl on FULL and on a non-final chunk', () => {
  const ex = rt.exports;
  const out = rt.allocator.alloc(64);
  const ctl = rt.allocator.alloc(8);
  const bytes = ascii('ab\ncd\r\nef\r');
  rt.u8.set(bytes, input.ptr);
  const ctlView = () => [...rt.u32(ctl.ptr, 2)];
  assert.is(ex.lineSplit(input.ptr, bytes.length, 0, out.ptr, 1, ctl.ptr), STATUS_CODES.full);
  assert.equal(ctlView(), [1, 3], 'one line written, consumed up to the next line');
  assert.is(ex.lineSplit(input.ptr, bytes.length, 0, out.ptr, 8, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [2, 7], 'non-final: the trailing "ef\\r" is left for the next chunk');
  assert.equal([...rt.u32(out.ptr, 4)], [0, 2, 3, 5]);
  assert.is(ex.lineSplit(input.ptr, bytes.length, SCAN_FLAGS.final, out.ptr, 2, ctl.ptr), STATUS_CODES.full);
  assert.equal(ctlView(), [2, 7], 'final, but no room for the last line');
  assert.is(ex.lineSplit(input.ptr, bytes.length, SCAN_FLAGS.final, out.ptr, 3, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [3, 10]);
  assert.equal([...rt.u32(out.ptr + 16, 2)], [7, 9]);
  assert.is(ex.lineSplit(input.ptr, 0, SCAN_FLAGS.final, out.ptr, 0, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [0, 0]);
  rt.allocator.release(out);
  rt.allocator.release(ctl);
});

test.run();
