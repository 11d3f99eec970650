// Numeric stats over text lines: the fused kernel of `textFile(f).map(Number).stats()`.
// Each line is parsed as a decimal number and folded into a Welford state, with no JS
// string or number per line. Exactness: only lines of the form [+-]digits[.digits]
// (at least one digit, at most 19, fraction at most 22 digits) are parsed here, by
// Clinger's fast path (W. D. Clinger, "How to Read Floating Point Numbers Accurately",
// PLDI 1990): when the digits, as an integer m, are at most 2^53 and the fraction has
// k <= 22 digits, m and 10^k are exact doubles and m / 10^k is the correctly rounded
// value, which is what JS Number() returns. Any other line (empty, exponent, spaces,
// hex, Infinity, too many digits, non-ASCII) is handed back to the caller, which
// applies Number() and the same update, so the state is folded in line order and
// equals the JS path's bit for bit (WASM f64 arithmetic is IEEE, no fused ops; f64.max
// and f64.min propagate NaN and order -0 below +0, as Math.max and Math.min do).
// ABI (owned by engine/executor/kernels/stats.ts):
//   statsLines(src, len, state, ctl) -> status
//     Lines as the JS line reader cuts them: '\n' ends a line, one '\r' before it (or
//     at the very end) is dropped, the bytes after the last '\n' are a last line.
//     state: f64[5] = [n, mean, m2, max, min], updated in place.
//     ctl: u32[4] out = [line start, line end, next line start, lines folded here].
//     STATUS_OK: every line was folded. STATUS_FULL: the line [ctl[0], ctl[1]) needs
//     the caller (Number() + the update); resume at src + ctl[2] with len - ctl[2].
import { STATUS_FULL, STATUS_OK } from "./status";

/** Largest integer every smaller integer of which is an exact double. */
// @ts-ignore: decorator
@inline const EXACT: u64 = 9007199254740992;

// @ts-ignore: decorator
@inline function update(state: usize, x: f64): void {
  let n = load<f64>(state);
  let mu = load<f64>(state, 8);
  const delta = x - mu;
  n += 1;
  mu += delta / n;
  store<f64>(state, n);
  store<f64>(state, mu, 8);
  store<f64>(state, load<f64>(state, 16) + delta * (x - mu), 16);
  store<f64>(state, max<f64>(load<f64>(state, 24), x), 24);
  store<f64>(state, min<f64>(load<f64>(state, 32), x), 32);
}

/** Folds the lines of [src, src + len) into `state`; see the ABI above. */
export function statsLines(src: usize, len: u32, state: usize, ctl: usize): i32 {
  const end = src + <usize>len;
  let p = src;
  let folded: u32 = 0;
  while (p < end) {
    // Find the line's end.
    let q = p;
    while (q < end && load<u8>(q) != 0x0a) q++;
    const next = q < end ? q + 1 : end;
    let e = q;
    if (e > p && load<u8>(e - 1) == 0x0d) e--;
    // Parse [+-]digits[.digits].
    let i = p;
    let negative = false;
    if (i < e) {
      const c = load<u8>(i);
      if (c == 0x2d) { negative = true; i++; }
      else if (c == 0x2b) i++;
    }
    let m: u64 = 0;
    let digits: u32 = 0;
    let frac: u32 = 0;
    let dot = false;
    let sawDigit = false;
    let ok = true;
    for (; i < e; i++) {
      const c = <u32>load<u8>(i);
      if (c - 0x30 < 10) {
        if (digits == 19) { ok = false; break; }
        // Leading zeros do not count toward the 19 digits.
        if (m != 0 || c != 0x30) digits++;
        sawDigit = true;
        m = m * 10 + <u64>(c - 0x30);
        if (dot) frac++;
      } else if (c == 0x2e && !dot) {
        dot = true;
      } else {
        ok = false;
        break;
      }
    }
    // At least one digit: "", "-", "." and "-." are not numbers here.
    if (!ok || !sawDigit || m > EXACT || frac > 22) {
      store<u32>(ctl, <u32>(p - src));
      store<u32>(ctl, <u32>(e - src), 4);
      store<u32>(ctl, <u32>(next - src), 8);
      store<u32>(ctl, folded, 12);
      return STATUS_FULL;
    }
    let x = <f64>m;
    if (frac > 0) {
      let pow: f64 = 1;
      for (let k: u32 = 0; k < frac; k++) pow *= 10;
      x /= pow;
    }
    update(state, negative ? -x : x);
    folded++;
    p = next;
  }
  store<u32>(ctl, <u32>len, 8);
  store<u32>(ctl, folded, 12);
  return STATUS_OK;
}
