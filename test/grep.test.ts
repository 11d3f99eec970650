// The grepScan and hasByte kernels and their LiteralSearch wrapper against the plain-TS
// reference (test/reference/grep.ts): random input over small alphabets so needles
// occur often, every needle length around the 16-byte vector width, case folding,
// CRLF and NUL bytes, lines longer than a vector, tiny output capacities that force
// the STATUS_FULL resume loop, and the needles the kernel must refuse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ByteRangeSearch, KernelRuntime, LiteralSearch, literalUnsupported, rangeUnsupported } from '../engine/executor/kernels/index.js';
import { grepCountReference, grepLinesReference, grepRangeReference } from './reference/grep.js';
import { ascii, randBytes, randInt, rng } from './support/random.js';

const rt = KernelRuntime.create();
const input = rt.allocator.alloc(1 << 20);

/** Runs the kernel over `bytes` in both modes. */
function search(bytes: Uint8Array, literal: string, ignoreCase: boolean, capacity = 64): { lines: Array<[number, number]>; count: number } {
  const s = new LiteralSearch(rt, literal, ignoreCase, 'utf8', capacity);
  try {
    rt.u8.set(bytes, input.ptr);
    const lines: Array<[number, number]> = [];
    s.lines(input.ptr, bytes.length, (count, offset) => {
      const p = s.pairs;
      for (let i = 0; i < count; i++) lines.push([offset + p[2 * i]!, offset + p[2 * i + 1]!]);
    });
    return { lines, count: s.count(input.ptr, bytes.length) };
  } finally {
    s.release();
  }
}

function check(bytes: Uint8Array, literal: string, ignoreCase: boolean, capacity = 64, what = ''): void {
  const needle = Buffer.from(literal, 'utf8');
  const got = search(bytes, literal, ignoreCase, capacity);
  const label = `${what} needle ${JSON.stringify(literal)} icase ${ignoreCase} cap ${capacity} input ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}`;
  assert.equal(got.lines, grepLinesReference(bytes, needle, ignoreCase), `lines: ${label}`);
  assert.is(got.count, grepCountReference(bytes, needle, ignoreCase), `count: ${label}`);
}

test('edge cases: empty input, no trailing newline, CRLF, a match at either end, NUL segments', () => {
  check(new Uint8Array(0), 'a', false);
  check(ascii('a'), 'a', false);
  check(ascii('ab'), 'ab', false);
  check(ascii('xab'), 'ab', false);
  check(ascii('ab\r\n'), 'ab', false);
  check(ascii('ab\r'), 'b', false);
  check(ascii('\n\nab\n\n'), 'ab', false);
  check(ascii('ab\0ab\nab\n'), 'ab', false);
  check(ascii('a\0b\nab\0\n'), 'ab', false);
  check(ascii('the cat\nThe dog\nTHE END\nother\n'), 'the', true);
  check(ascii('the cat\nThe dog\nTHE END\nother\n'), 'the', false);
  // Folding touches letters only: '@' (0x40) and '`' (0x60) differ by the case bit.
  check(ascii('@b\n`b\nAB\n'), '`b', true);
  check(ascii('[x\n{x\n'), '[x', true);
  assert.equal(search(ascii('one\ntwo\n'), 'zz', false), { lines: [], count: 0 });
});

test('random input: every needle length from 1 to 40, lines of every length, both cases', () => {
  const r = rng(909);
  const alphabets = [ascii('ab\n'), ascii('abAB \n\r'), ascii('xyXY\n\0z'), ascii('abcdefgh\n')];
  for (let round = 0; round < 600; round++) {
    const alphabet = alphabets[round % alphabets.length]!;
    const bytes = randBytes(r, randInt(r, 400), alphabet);
    const nlen = 1 + (round % 40);
    // Needles from the alphabet's letters, so they occur.
    const letters = [...Buffer.from(alphabet).toString('latin1')].filter((c) => /[a-zA-Z]/.test(c));
    let literal = '';
    for (let k = 0; k < Math.min(nlen, 6 + (round % 3)); k++) literal += letters[randInt(r, letters.length)]!;
    check(bytes, literal, round % 2 === 1, 1 + randInt(r, 5), `round ${round}`);
  }
});

test('long lines and long needles, matches straddling every vector offset', () => {
  const r = rng(4242);
  for (let round = 0; round < 200; round++) {
    const needle = Array.from({ length: 1 + randInt(r, 30) }, () => 'ab'[randInt(r, 2)]).join('');
    const filler = Buffer.from(randBytes(r, 200 + randInt(r, 300), ascii('abc'))).toString('latin1');
    const at = randInt(r, filler.length);
    const line = filler.slice(0, at) + needle + filler.slice(at);
    const text = `${'c'.repeat(randInt(r, 40))}\n${line}\n${filler}${round % 3 === 0 ? '' : '\n'}`;
    check(ascii(text), needle, false, 2, `round ${round}`);
  }
});

test('UTF-8 needles and input are bytes: non-ASCII letters are not folded', () => {
  const text = 'café crème\nCAFÉ\nnaïve\n日本語のテキスト\n\u{1F600} smile\n';
  for (const needle of ['café', 'é', 'テキ', '\u{1F600}', 'ï']) check(ascii(text), needle, false);
  check(ascii(text), 'CAF', true);
});

test('many matching lines through a tiny output capacity resume exactly', () => {
  const text = Array.from({ length: 500 }, (_, i) => (i % 3 === 0 ? `line ${i} has kiln` : `line ${i}`)).join('\n');
  for (const cap of [1, 2, 7, 1000]) check(ascii(text), 'kiln', false, cap);
});

test('hasByte finds a byte anywhere, in the vector body and the tail', () => {
  const s = new LiteralSearch(rt, 'x', false);
  try {
    for (const len of [0, 1, 15, 16, 63, 64, 65, 200]) {
      rt.u8.fill(0x61, input.ptr, input.ptr + len);
      assert.is(s.hasByte(input.ptr, len, 0), false, `len ${len} without`);
      for (const at of [0, len >> 1, len - 1]) {
        if (len === 0) continue;
        rt.u8[input.ptr + at] = 0;
        assert.is(s.hasByte(input.ptr, len, 0), true, `len ${len} NUL at ${at}`);
        rt.u8[input.ptr + at] = 0x61;
      }
    }
  } finally {
    s.release();
  }
});

test('needles the kernel cannot search exactly are refused, with the reason', () => {
  for (const [literal, icase] of [['', false], ['a\nb', false], ['a\rb', false], ['a\0', false], ['\ud800', false], ['\ufffd', false], ['é', true]] as const) {
    assert.type(literalUnsupported(literal, icase), 'string', JSON.stringify(literal));
    assert.throws(() => new LiteralSearch(rt, literal, icase), /cannot search/);
  }
  assert.is(literalUnsupported('é', false), undefined);
  assert.is(literalUnsupported('The', true), undefined);
  assert.type(literalUnsupported('\u0100', false, 'latin1'), 'string', 'latin1 text has no char above U+00FF');
  assert.is(literalUnsupported('caf\u00e9', false, 'latin1'), undefined);
});

test('grepRange: the lines holding a byte of a range, against the reference, every capacity', () => {
  const r = rng(31337);
  const alphabets = [ascii('ab01\n'), ascii('xyz \r\n9'), ascii('abc\n')];
  for (let round = 0; round < 400; round++) {
    const bytes = randBytes(r, randInt(r, 300), alphabets[round % alphabets.length]);
    const [lo, hi] = [[0x30, 0x39], [0x61, 0x62], [0x7a, 0x7a], [0x20, 0x20]][round % 4]!;
    const s = new ByteRangeSearch(rt, lo!, hi!, 1 + randInt(r, 4));
    try {
      rt.u8.set(bytes, input.ptr);
      const lines: Array<[number, number]> = [];
      s.lines(input.ptr, bytes.length, (count, offset) => {
        for (let i = 0; i < count; i++) lines.push([offset + s.pairs[2 * i]!, offset + s.pairs[2 * i + 1]!]);
      });
      assert.equal(lines, grepRangeReference(bytes, lo!, hi!), `round ${round} range ${lo}-${hi}`);
    } finally {
      s.release();
    }
  }
  assert.type(rangeUnsupported(0, 0x20), 'string', 'a range holding the line break');
  assert.type(rangeUnsupported(0x30, 0x80), 'string', 'a range beyond ASCII');
  assert.throws(() => new ByteRangeSearch(rt, 9, 11), /line break/);
});

test('the flag numbers agree with the kernel module', () => {
  const ex = rt.exports;
  assert.is(ex.GREP_ICASE.value, 1);
  assert.is(ex.GREP_COUNT.value, 2);
});

test.run();
