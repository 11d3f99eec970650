// The tokenize kernels (tokenize, tokenizeHash, lowercaseAscii) and the Tokenizer
// wrapper against the plain-TS reference: random and edge-case input in both split
// modes, lowercasing that leaves bytes >= 0x80 alone, hashes against xxhash-wasm,
// chunked feeding at every split position and tiny capacities (STATUS_FULL loops).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import xxhash from 'xxhash-wasm';
import { KernelRuntime, SCAN_FLAGS, STATUS_CODES, tokenizeBytes, type TokenizerOptions } from '../engine/executor/kernels/index.js';
import { lowercaseReference, tokenizeReference } from './reference/tokenize.js';
import { xxh64Reference } from './reference/xxh64.js';
import { ascii, randBytes, randInt, rng } from './support/random.js';

const rt = KernelRuntime.create();
const lib = await xxhash();

/** Checks the kernel's tokens, text and hashes for `bytes` against the reference. */
function check(bytes: Uint8Array, options: TokenizerOptions, chunk?: number, label = ''): void {
  const got = tokenizeBytes(rt, bytes, options, chunk);
  const text = options.lowercase ? lowercaseReference(bytes) : bytes;
  const expected = tokenizeReference(text, options.split === 'nonAlnum');
  assert.equal(got.tokens, expected, `tokens ${label}`);
  assert.equal(got.text, text, `text ${label}`);
  if (options.hash) {
    assert.is(got.hashes.length, expected.length, `hash count ${label}`);
    expected.forEach(([s, e], i) => {
      if (got.hashes[i] !== lib.h64Raw(text.subarray(s, e), 0n)) assert.unreachable(`hash of token ${i} (${s}, ${e}) ${label}`);
    });
  } else {
    assert.is(got.hashes.length, 0);
  }
}

const allOptions: TokenizerOptions[] = [];
for (const split of ['whitespace', 'nonAlnum'] as const)
  for (const lowercase of [false, true]) for (const hash of [false, true]) allOptions.push({ split, lowercase, hash, capacity: 64 });

// Separator-heavy: every whitespace byte, punctuation, letters of both cases, a digit, a UTF-8 lead and continuation byte.
const alphabet = Uint8Array.from([0x20, 0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x41, 0x5a, 0x61, 0x7a, 0x2c, 0x2e, 0x30, 0x40, 0x5b, 0xc3, 0xa9, 0x80, 0xff]);

test('empty input, only whitespace, no trailing separator', () => {
  for (const o of allOptions) {
    check(new Uint8Array(0), o, undefined, 'empty');
    check(ascii(' \t\n\v\f\r  '), o, undefined, 'whitespace');
    check(ascii('Hello, World'), o, undefined, 'no trailing separator');
  }
  assert.equal(tokenizeBytes(rt, ascii(' ab  CD\te '), { split: 'whitespace', lowercase: false, hash: false }).tokens, [[1, 3], [5, 7], [8, 9]]);
  assert.equal(tokenizeBytes(rt, ascii('ab,cd e1'), { split: 'nonAlnum', lowercase: false, hash: false }).tokens, [[0, 2], [3, 5], [6, 8]]);
});

test('random input from a separator-heavy alphabet and from all byte values, every length 0..200, all modes', () => {
  const r = rng(21);
  for (let len = 0; len <= 200; len++) {
    const a = randBytes(r, len, alphabet);
    const b = randBytes(r, len);
    for (const o of allOptions) {
      check(a, o, undefined, `alphabet len ${len}`);
      check(b, o, undefined, `bytes len ${len}`);
    }
  }
  const big = randBytes(r, 1 << 20, alphabet);
  check(big, { split: 'whitespace', lowercase: true, hash: true, capacity: 4096 }, undefined, '1 MiB');
  check(big, { split: 'nonAlnum', lowercase: false, hash: true, capacity: 4096 }, 70_000, '1 MiB in 70 kB chunks');
});

test('all byte values 0..255, in order and shuffled', () => {
  const all = Uint8Array.from({ length: 512 }, (_, i) => i & 255);
  const r = rng(22);
  const shuffled = all.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randInt(r, i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  for (const o of allOptions) {
    check(all, o, undefined, 'in order');
    check(shuffled, o, undefined, 'shuffled');
  }
});

test('a single 1 MB word: whole, padded, and chunked through a small growing buffer', () => {
  const word = new Uint8Array(1_000_000).fill(0x41);
  const o: TokenizerOptions = { split: 'whitespace', lowercase: true, hash: true };
  check(word, o, undefined, 'whole');
  const padded = new Uint8Array(1_000_004).fill(0x20);
  padded.set(word, 2);
  check(padded, o, undefined, 'padded');
  check(padded, o, 65536, 'chunked');
  assert.is(tokenizeBytes(rt, word, o).hashes[0], xxh64Reference(lowercaseReference(word)));
});

test('hashes of words of every length 1..40, far from and at the end of the range (both hash paths)', () => {
  const r = rng(26);
  const letters = ascii('aBcDeFgHiJ\xc3\xa9');
  for (let len = 1; len <= 40; len++) {
    const word = randBytes(r, len, letters);
    for (const pad of [0, 1, 7, 15, 16, 40]) {
      const bytes = new Uint8Array(1 + len + pad).fill(0x20);
      bytes.set(word, 1);
      check(bytes, { split: 'whitespace', lowercase: false, hash: true }, undefined, `len ${len} pad ${pad}`);
      check(bytes, { split: 'nonAlnum', lowercase: true, hash: true }, undefined, `len ${len} pad ${pad}`);
    }
  }
});

test('chunked feeding at every split position loses and duplicates nothing', () => {
  const r = rng(23);
  for (let round = 0; round < 8; round++) {
    const bytes = randBytes(r, 130, alphabet);
    for (const o of allOptions) {
      for (let split = 1; split < bytes.length; split++) check(bytes, { ...o, capacity: 1 + (split % 4) }, split, `round ${round} chunk ${split}`);
    }
  }
});

test('tiny capacities loop on STATUS_FULL and resume exactly', () => {
  const r = rng(24);
  for (const capacity of [1, 2, 3]) {
    for (let round = 0; round < 40; round++) {
      const bytes = randBytes(r, randInt(r, 300), alphabet);
      for (const o of allOptions) check(bytes, { ...o, capacity }, undefined, `cap ${capacity} round ${round}`);
    }
  }
});

test('lowercaseAscii: only A-Z change, bytes >= 0x80 intact, in place and to another region, every length 0..100', () => {
  const src = rt.allocator.alloc(256);
  const dst = rt.allocator.alloc(256);
  const r = rng(25);
  for (let len = 0; len <= 100; len++) {
    const bytes = randBytes(r, len);
    rt.u8.set(bytes, src.ptr);
    rt.u8.fill(0xee, dst.ptr, dst.ptr + 256);
    assert.is(rt.exports.lowercaseAscii(src.ptr, len, dst.ptr), STATUS_CODES.ok);
    assert.equal(rt.u8.slice(dst.ptr, dst.ptr + len), lowercaseReference(bytes), `to dst, len ${len}`);
    assert.is(rt.u8[dst.ptr + len], 0xee, `no write past the end, len ${len}`);
    assert.equal(rt.u8.slice(src.ptr, src.ptr + len), bytes, 'source untouched');
    rt.exports.lowercaseAscii(src.ptr, len, src.ptr);
    assert.equal(rt.u8.slice(src.ptr, src.ptr + len), lowercaseReference(bytes), `in place, len ${len}`);
  }
  const high = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
  rt.u8.set(high, src.ptr);
  rt.exports.lowercaseAscii(src.ptr, 128, src.ptr);
  assert.equal(rt.u8.slice(src.ptr, src.ptr + 128), high);
  rt.allocator.release(src);
  rt.allocator.release(dst);
});

test('raw kernel: a word touching the end of a non-final range is held back', () => {
  const ex = rt.exports;
  const buf = rt.allocator.alloc(64);
  const out = rt.allocator.alloc(64);
  const hashes = rt.allocator.alloc(64);
  const ctl = rt.allocator.alloc(8);
  const bytes = ascii('ab cd ef');
  rt.u8.set(bytes, buf.ptr);
  const ctlView = () => [...rt.u32(ctl.ptr, 2)];
  assert.is(ex.tokenize(buf.ptr, bytes.length, 0, out.ptr, 8, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [2, 6]);
  assert.is(ex.tokenize(buf.ptr, 6, 0, out.ptr, 8, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [2, 6], 'a range ending in a separator is consumed whole');
  assert.is(ex.tokenizeHash(buf.ptr, bytes.length, SCAN_FLAGS.final, out.ptr, hashes.ptr, 1, ctl.ptr), STATUS_CODES.full);
  assert.equal(ctlView(), [1, 3], 'full: consumed stops at the next token');
  assert.is(rt.u64(hashes.ptr, 1)[0], lib.h64Raw(ascii('ab'), 0n));
  assert.is(ex.tokenize(buf.ptr, bytes.length, SCAN_FLAGS.final, out.ptr, 3, ctl.ptr), STATUS_CODES.ok);
  assert.equal(ctlView(), [3, 8]);
  assert.equal([...rt.u32(out.ptr, 6)], [0, 2, 3, 5, 6, 8]);
  [buf, out, hashes, ctl].forEach((reg) => rt.allocator.release(reg));
});

test.run();
