// The value codec: exact round trips on random nested values and on the edge cases
// (empty and astral strings, -0, NaN, huge numbers, bigint, v8 fallback), growth of
// the writer, and decoding from a view over shared memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../engine/common/codec/byte-writer.js';
import { ByteReader } from '../engine/common/codec/byte-reader.js';
import { readValue, writeValue, ValueTag } from '../engine/common/codec/value-codec.js';
import { KilnError } from '../engine/common/errors.js';
import { rng, randInt, randBytes } from './support/random.js';

function roundTrip(v: unknown, w = new ByteWriter(16)): unknown {
  w.reset();
  writeValue(w, v);
  const r = new ByteReader(w.bytes());
  const out = readValue(r);
  assert.ok(r.done, 'every byte consumed');
  return out;
}

/** Deep equality that tells -0 from 0 and NaN equals NaN (Object.is at the leaves). */
function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (a instanceof Map) return b instanceof Map && same([...a], [...b]);
  if (a instanceof Date) return b instanceof Date && Object.is(a.getTime(), b.getTime());
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    return same(ka, Object.keys(b)) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

const STRINGS = ['', 'a', 'word', 'héllo wörld', '日本語のテキスト', '😀 astral 𝄞', 'x'.repeat(42), 'é'.repeat(43), 'y'.repeat(200), '\0nul\0', 'z'.repeat(70000)];
const NUMBERS = [0, -0, 1, -1, 127, 128, -129, 2 ** 31, -(2 ** 31) - 1, 2 ** 52 - 1, -(2 ** 52) + 1, 2 ** 52, 2 ** 53, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e300, -1e-300, Number.MAX_VALUE, Number.MIN_VALUE, 0.1, NaN, Infinity, -Infinity];

function randValue(r: () => number, depth: number): unknown {
  switch (randInt(r, depth > 3 ? 9 : 12)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return r() < 0.5;
    case 3:
      return randInt(r, 2000) - 1000;
    case 4:
      return NUMBERS[randInt(r, NUMBERS.length)];
    case 5:
      return (r() - 0.5) * 10 ** randInt(r, 40);
    case 6:
      return STRINGS[randInt(r, STRINGS.length - 1)];
    case 7:
      return String.fromCodePoint(...Array.from({ length: randInt(r, 12) }, () => [randInt(r, 128), randInt(r, 0xd7ff), 0x10000 + randInt(r, 0xfffff)][randInt(r, 3)]!));
    case 8:
      return BigInt(randInt(r, 1e9)) ** BigInt(randInt(r, 5)) * (r() < 0.5 ? -1n : 1n);
    case 9:
      return randBytes(r, randInt(r, 20));
    case 10:
      return Array.from({ length: randInt(r, 6) }, () => randValue(r, depth + 1));
    default:
      return { id: randInt(r, 100), tags: [randValue(r, depth + 1)], at: new Date(randInt(r, 2e12)) };
  }
}

test('edge-case scalars round-trip exactly', () => {
  const w = new ByteWriter(4);
  for (const v of [...NUMBERS, ...STRINGS, null, undefined, true, false, 0n, 1n, -1n, 2n ** 64n, -(2n ** 64n) + 1n, 3n ** 200n, -(7n ** 99n)]) {
    assert.ok(same(roundTrip(v, w), v), `round trip of ${typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : String(v)}`);
  }
});

test('small integers take the varint tag, -0 and non-integers take f64', () => {
  const w = new ByteWriter();
  const tagOf = (v: unknown) => {
    w.reset();
    writeValue(w, v);
    return w.bytes()[0];
  };
  assert.is(tagOf(5), ValueTag.Int);
  assert.is(tagOf(-(2 ** 51)), ValueTag.Int);
  assert.is(tagOf(-0), ValueTag.F64);
  assert.is(tagOf(0.5), ValueTag.F64);
  assert.is(tagOf(2 ** 53), ValueTag.F64);
  w.reset();
  writeValue(w, -60);
  assert.is(w.length, 2, 'tag + one varint byte (zigzag 119)');
});

test('a non-canonical NaN keeps its bit pattern', () => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, 0x7ff00000 | 0x1234);
  dv.setUint32(4, 0xdeadbeef);
  const nan = dv.getFloat64(0);
  const back = roundTrip(nan) as number;
  const dv2 = new DataView(new ArrayBuffer(8));
  dv2.setFloat64(0, back);
  assert.is(dv2.getUint32(4), 0xdeadbeef);
});

test('lone surrogates are written as U+FFFD (documented), well-formed strings exactly', () => {
  assert.is(roundTrip('a\ud800b'), 'a\ufffdb');
  assert.is(roundTrip('\udc00'), '\ufffd');
  assert.is(roundTrip('😀'), '😀');
});

test('objects, Map, Date, Set and other typed arrays go through v8 and come back', () => {
  const m = new Map<unknown, unknown>([[1, 'a'], ['k', [1, 2]]]);
  const v = [{ a: 1, b: 'x' }, m, new Date(1234567890123), new Set([1, 2]), new Float32Array([1.5, 2]), /ab+c/g];
  const back = roundTrip(v) as unknown[];
  assert.ok(same(back[0], v[0]));
  assert.ok(same(back[1], m));
  assert.ok(same(back[2], v[2]));
  assert.equal([...(back[3] as Set<number>)], [1, 2]);
  assert.instance(back[4], Float32Array);
  assert.equal([...(back[4] as Float32Array)], [1.5, 2]);
  assert.is(String(back[5]), '/ab+c/g');
});

test('array holes decode as undefined; a Buffer decodes as a Uint8Array copy', () => {
  // eslint-disable-next-line no-sparse-arrays
  assert.equal(roundTrip([1, , 3]), [1, undefined, 3]);
  const back = roundTrip(Buffer.from('hi'));
  assert.is((back as object).constructor, Uint8Array);
  assert.equal([...(back as Uint8Array)], [104, 105]);
});

test('functions and symbols are rejected as usage errors', () => {
  for (const v of [() => 1, Symbol('s'), [1, { f() {} }]]) {
    try {
      roundTrip(v);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, KilnError);
      assert.is((e as KilnError).kind, 'usage');
    }
  }
});

test('random nested values round-trip, many per reused writer, read from shared memory', () => {
  const r = rng(11);
  const w = new ByteWriter(8);
  for (let round = 0; round < 40; round++) {
    w.reset();
    const values = Array.from({ length: 50 }, () => randValue(r, 0));
    for (const v of values) writeValue(w, v);
    const shared = new Uint8Array(new SharedArrayBuffer(w.length + 16), 8, w.length + 3);
    shared.set(w.bytes(), 3);
    const reader = new ByteReader(shared, 3, 3 + w.length);
    for (const v of values) {
      const back = readValue(reader);
      assert.ok(same(back, v), `value ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`);
    }
    assert.ok(reader.done);
  }
});

test('a truncated record is an internal error, not garbage', () => {
  const w = new ByteWriter();
  writeValue(w, 'hello world');
  const r = new ByteReader(w.bytes(), 0, w.length - 1);
  try {
    readValue(r);
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as KilnError).kind, 'internal');
  }
});

test.run();
