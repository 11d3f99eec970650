// How many heap bytes decoded records take (Spark's SizeEstimator + SizeTracker), to
// charge a decoded copy to storageMemory before it grows. Policy: V8's object sizes
// on 64-bit Node without pointer compression (Node's default build): 8-byte slots,
// a 16-byte string header, a 32-byte JSArray plus a 16-byte elements header, 16-byte
// heap numbers; small integers live in their slot. Shared strings (internalized
// keys, the same string in two records) are counted each time, so the estimate errs
// high. Records are sampled, as Spark's SizeTracker does: every record of the first
// EXACT_RECORDS, then one in SAMPLE_EVERY, scaled to the count; the bench checks the
// estimate against the heap (bench/README.md, "Persistence").

/** Records estimated one by one before sampling starts. */
const EXACT_RECORDS = 256;
/** Then one record in this many is estimated. */
const SAMPLE_EVERY = 8;
/** Deepest nesting walked; deeper values count as one slot (cycles end here too). */
const MAX_DEPTH = 8;

/** Heap bytes of one value (its slot in its container not included). */
export function estimateValue(x: unknown, depth = 0): number {
  switch (typeof x) {
    case 'string':
      return stringBytes(x);
    case 'number':
      return Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31 ? 0 : 16;
    case 'bigint':
      return 16 + 8 * Math.ceil(x.toString(16).length / 16);
    case 'object': {
      if (x === null || depth >= MAX_DEPTH) return 0;
      if (Array.isArray(x)) {
        let n = 32 + 16 + 8 * x.length;
        for (let i = 0; i < x.length; i++) n += estimateValue(x[i], depth + 1);
        return n;
      }
      if (ArrayBuffer.isView(x)) return 96 + x.byteLength;
      if (x instanceof Map || x instanceof Set) {
        let n = 64 + 24 * x.size;
        for (const e of x) n += estimateValue(e, depth + 1);
        return n;
      }
      if (x instanceof Date) return 32;
      let n = 24;
      for (const k in x as object) n += 8 + estimateValue((x as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 0;
  }
}

function stringBytes(s: string): number {
  // One byte per char when every char is Latin-1 (checked on the first 64: a guess, cheaply).
  let wide = false;
  for (let i = 0, n = Math.min(s.length, 64); i < n; i++) if (s.charCodeAt(i) > 0xff) wide = true;
  return (16 + (wide ? 2 : 1) * s.length + 7) & ~7;
}

/** Tracks the estimated bytes of a growing list of records. */
export class SizeTracker {
  private records = 0;
  private sampled = 0;
  private sampledBytes = 0;

  /** Counts one more record (estimating it if it is sampled). */
  add(record: unknown): void {
    const i = this.records++;
    if (i < EXACT_RECORDS || i % SAMPLE_EVERY === 0) {
      this.sampled++;
      this.sampledBytes += estimateValue(record);
    }
  }

  /** Estimated heap bytes so far: the records, scaled from the sample, plus their slots in the list. */
  get bytes(): number {
    if (this.sampled === 0) return 0;
    return Math.ceil((this.sampledBytes * this.records) / this.sampled) + 8 * this.records;
  }
}
