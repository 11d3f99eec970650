// Plain-TypeScript combiner and word counter, the references the combiner kernels are
// checked against. A Map keyed by the key's bytes (as a latin1 string); i64 values wrap
// like the kernel's (BigInt.asIntN), f64 values add in insertion order like the kernel.
// Slow on purpose, for clarity.

/** One key's aggregate, as the reference keeps it. */
export interface RefAggregate<V> {
  key: Uint8Array;
  count: number;
  sum: V;
  min: V;
  max: V;
}

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

/** The bytes of a key as a Map key (one char per byte). */
export function keyString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/** Count/sum/min/max per key, with the kernel's starting values (sum 0, min/max at the limits). */
export class ReferenceCombiner<V extends bigint | number> {
  readonly map = new Map<string, RefAggregate<V>>();

  constructor(readonly kind: V extends bigint ? 'i64' : 'f64') {}

  /** Adds one value for `key`. */
  add(key: Uint8Array, value: V, count = 1): void {
    this.combine(key, { count, sum: value, min: value, max: value });
  }

  /** Combines a whole aggregate into `key`'s (as merge and block insertion do). */
  combine(key: Uint8Array, agg: Omit<RefAggregate<V>, 'key'>): void {
    const k = keyString(key);
    let e = this.map.get(k);
    if (!e) {
      const f = this.kind === 'f64';
      e = {
        key: key.slice(),
        count: 0,
        sum: (f ? 0 : 0n) as V,
        min: (f ? Infinity : I64_MAX) as V,
        max: (f ? -Infinity : I64_MIN) as V,
      };
      this.map.set(k, e);
    }
    e.count += agg.count;
    if (this.kind === 'f64') {
      e.sum = ((e.sum as number) + (agg.sum as number)) as V;
      e.min = Math.min(e.min as number, agg.min as number) as V;
      e.max = Math.max(e.max as number, agg.max as number) as V;
    } else {
      e.sum = BigInt.asIntN(64, (e.sum as bigint) + (agg.sum as bigint)) as V;
      if ((agg.min as bigint) < (e.min as bigint)) e.min = agg.min;
      if ((agg.max as bigint) > (e.max as bigint)) e.max = agg.max;
    }
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/** True when byte `c` separates words: ASCII whitespace, or in nonAlnum mode every ASCII non-[0-9A-Za-z]. */
export function isSeparator(c: number, nonAlnum: boolean): boolean {
  if (c >= 0x80) return false;
  if (!nonAlnum) return WS.has(c);
  return !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
}

/** Word counts of `bytes` (whole input), byte by byte: the reference for wordCount. */
export function referenceWordCount(bytes: Uint8Array, options: { lowercase?: boolean; nonAlnum?: boolean } = {}): Map<string, number> {
  const counts = new Map<string, number>();
  let start = -1;
  const flush = (end: number): void => {
    if (start < 0) return;
    let word = bytes.slice(start, end);
    if (options.lowercase) word = word.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c));
    const k = keyString(word);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    start = -1;
  };
  for (let i = 0; i < bytes.length; i++) {
    if (isSeparator(bytes[i]!, options.nonAlnum ?? false)) flush(i);
    else if (start < 0) start = i;
  }
  flush(bytes.length);
  return counts;
}
