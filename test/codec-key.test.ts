// The key encoding: byte order equals compareKeys order on thousands of random mixed
// keys, equal keys have identical bytes, keys round-trip, and non-keys are rejected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteWriter } from '../engine/common/codec/byte-writer.js';
import { ByteReader } from '../engine/common/codec/byte-reader.js';
import { compareKeys, encodeKey, readKey, writeKey, KeyTag } from '../engine/common/codec/key-codec.js';
import { KilnError } from '../engine/common/errors.js';
import { rng, randInt, randBytes } from './support/random.js';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const decode = (bytes: Uint8Array) => readKey(new ByteReader(bytes));

const NUMBERS = [0, -0, 1, -1, 1.5, -1.5, 1e-300, -1e-300, 5e-324, -5e-324, 2 ** 53, -(2 ** 53), 1e300, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, NaN, 0.1, 0.2, 255, 256];
const STRINGS = ['', 'a', 'a\0', 'a\0b', '\0', 'ab', 'b', 'A', 'é', '\uffff', '\ue000', '\ud7ff', '😀', '𝄞', 'a😀', 'a\uffff', 'a\ud800', '\ufffd', 'zzz'];

function randString(r: () => number): string {
  if (r() < 0.4) return STRINGS[randInt(r, STRINGS.length)]!;
  const pool = [0, 1, 0x41, 0x61, 0x62, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff];
  return String.fromCodePoint(...Array.from({ length: randInt(r, 5) }, () => pool[randInt(r, pool.length)]!));
}

function randKey(r: () => number, depth: number): unknown {
  switch (randInt(r, depth > 2 ? 8 : 10)) {
    case 0:
      return [null, undefined, true, false][randInt(r, 4)];
    case 1:
      return NUMBERS[randInt(r, NUMBERS.length)];
    case 2:
      return randInt(r, 21) - 10;
    case 3:
      return (r() - 0.5) * 10 ** (randInt(r, 20) - 10);
    case 4:
      return [0n, 1n, -1n, 255n, 256n, -256n, 2n ** 64n, -(2n ** 64n), 10n ** 700n, -(10n ** 700n), 10n ** 700n + 1n][randInt(r, 11)];
    case 5:
    case 6:
      return randString(r);
    case 7:
      return randBytes(r, randInt(r, 4), new Uint8Array([0, 1, 0xfe, 0xff]));
    default:
      return Array.from({ length: randInt(r, 4) }, () => randKey(r, depth + 1));
  }
}

test('byte order equals compareKeys on random mixed keys (pairs and full sort)', () => {
  const r = rng(42);
  const keys = Array.from({ length: 4000 }, () => randKey(r, 0));
  const enc = keys.map(encodeKey);
  for (let i = 0; i < 20000; i++) {
    const a = randInt(r, keys.length);
    const b = randInt(r, keys.length);
    const byBytes = sign(Buffer.compare(enc[a]!, enc[b]!));
    const byKeys = sign(compareKeys(keys[a], keys[b]));
    if (byBytes !== byKeys) assert.unreachable(`order differs for ${fmt(keys[a])} vs ${fmt(keys[b])}: bytes ${byBytes}, keys ${byKeys}`);
  }
  const idx = keys.map((_, i) => i);
  const sortedByBytes = [...idx].sort((a, b) => Buffer.compare(enc[a]!, enc[b]!));
  for (let i = 1; i < sortedByBytes.length; i++) {
    const c = compareKeys(keys[sortedByBytes[i - 1]!], keys[sortedByBytes[i]!]);
    assert.ok(c <= 0, `bytes-sorted list out of compareKeys order at ${i}`);
    const equalBytes = Buffer.compare(enc[sortedByBytes[i - 1]!]!, enc[sortedByBytes[i]!]!) === 0;
    assert.is(equalBytes, c === 0, 'equal keys <=> identical bytes');
  }
});

test('keys round-trip (equal by compareKeys, same bytes again)', () => {
  const r = rng(7);
  for (let i = 0; i < 3000; i++) {
    const k = randKey(r, 0);
    const bytes = encodeKey(k);
    const back = decode(bytes);
    assert.is(compareKeys(back, k), 0, `round trip of ${fmt(k)}`);
    assert.equal([...encodeKey(back)], [...bytes]);
  }
  assert.equal(decode(encodeKey(['a\0b', new Uint8Array([0, 255, 0]), [[]], 'x'])), ['a\0b', new Uint8Array([0, 255, 0]), [[]], 'x']);
  assert.is(decode(encodeKey('plain')), 'plain');
  assert.ok(Number.isNaN(decode(encodeKey(NaN))));
});

test('equal keys have identical bytes: 1 and 1.0, -0 and 0, NaN payloads', () => {
  assert.equal([...encodeKey(1)], [...encodeKey(1.0)]);
  assert.equal([...encodeKey(-0)], [...encodeKey(0)]);
  assert.is(Object.is(decode(encodeKey(-0)), 0), true);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setUint32(0, 0xfff00001);
  assert.equal([...encodeKey(dv.getFloat64(0))], [...encodeKey(NaN)]);
  assert.equal([...encodeKey([1, -0, 'x'])], [...encodeKey([1.0, 0, 'x'])]);
  assert.equal([...encodeKey(Buffer.from([1, 2]))], [...encodeKey(new Uint8Array([1, 2]))]);
});

test('top-level strings are the tag plus raw UTF-8; nested strings are escaped and terminated', () => {
  assert.equal([...encodeKey('ab')], [KeyTag.String, 0x61, 0x62]);
  assert.equal([...encodeKey('a\0')], [KeyTag.String, 0x61, 0]);
  assert.equal([...encodeKey(['a\0'])], [KeyTag.Array, KeyTag.String, 0x61, 0, 0xff, 0, KeyTag.End]);
  assert.equal([...encodeKey(['ab', 1])], [0x0b, 0x09, 0x61, 0x62, 0x00, 0x05, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0, 0x00]);
});

test('code point order, not UTF-16 order, for astral characters (documented)', () => {
  assert.ok('😀' < '\uffff', 'JS < says the astral character is smaller');
  assert.ok(compareKeys('\uffff', '😀') < 0, 'keys order by code point');
  assert.ok(Buffer.compare(encodeKey('\uffff'), encodeKey('😀')) < 0);
  assert.is(compareKeys('a\ud800', 'a\ufffd'), 0, 'lone surrogates count as U+FFFD');
});

test('type order: null < undefined < false < true < numbers < bigint < strings < bytes < arrays', () => {
  const ordered = [null, undefined, false, true, -Infinity, 0, NaN, -(10n ** 300n), -1n, 0n, 1n, '', 'a', new Uint8Array(0), new Uint8Array([0]), [], [null], [1, 'a'], [1, 'a', null]];
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(compareKeys(ordered[i - 1], ordered[i]) < 0, `compareKeys ${i}`);
    assert.ok(Buffer.compare(encodeKey(ordered[i - 1]), encodeKey(ordered[i])) < 0, `bytes ${i}`);
  }
});

test('many keys in one writer, each read back by its frame', () => {
  const r = rng(3);
  const w = new ByteWriter(8);
  const keys = Array.from({ length: 500 }, () => randKey(r, 0));
  const ends: number[] = [];
  for (const k of keys) {
    writeKey(w, k);
    ends.push(w.length);
  }
  const reader = new ByteReader(w.bytes());
  for (let i = 0; i < keys.length; i++) assert.is(compareKeys(readKey(reader, ends[i]), keys[i]), 0);
  assert.ok(reader.done);
});

test('objects and other non-keys are rejected with a usage error that lists the key types', () => {
  for (const bad of [{ a: 1 }, new Date(0), new Map(), [1, { x: 1 }], Symbol('s'), () => 1, new Float64Array(1)]) {
    for (const f of [() => encodeKey(bad), () => compareKeys(bad, 1)]) {
      try {
        f();
        assert.unreachable('should throw');
      } catch (e) {
        assert.instance(e, KilnError);
        assert.is((e as KilnError).kind, 'usage');
        assert.match((e as Error).message, 'keys must be strings, numbers, booleans, bigint, null, Uint8Array or arrays of those');
      }
    }
  }
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  assert.throws(() => encodeKey(cyclic), /nested more than/);
});

function fmt(k: unknown): string {
  return JSON.stringify(k, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes[${[...v]}]` : v === undefined ? 'undefined' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

test.run();
