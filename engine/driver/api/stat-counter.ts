// StatCounter: count, mean, variance, max and min of numbers in one pass (Spark's
// org.apache.spark.util.StatCounter). Policy: Welford's update per value and Chan et
// al.'s parallel merge per partition result, with Spark's guard for very unequal
// counts (when one side is more than ten times the other, the mean moves from the
// larger side by the weighted delta, which loses less precision); the sum is n x mean,
// as Spark's. An empty counter has mean 0 and sum 0, max -Infinity, min Infinity and
// NaN variances, as Spark's.

/** The state a partition's fold carries: plain data, so it crosses postMessage. */
export interface StatState {
  n: number;
  mu: number;
  m2: number;
  max: number;
  min: number;
}

/**
 * Welford's update of a state by one value. Self-contained (no free variables), so the
 * same function is shipped to the workers as source (engine/driver/api/numeric.ts).
 */
export function welford(s: StatState, x: number): StatState {
  const delta = x - s.mu;
  s.n += 1;
  s.mu += delta / s.n;
  s.m2 += delta * (x - s.mu);
  s.max = Math.max(s.max, x);
  s.min = Math.min(s.min, x);
  return s;
}

/** The empty state. */
export function emptyStatState(): StatState {
  return { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };
}

/** Count, mean, sum, min, max and variances of numbers (Spark's StatCounter). */
export class StatCounter {
  private s: StatState = emptyStatState();

  /** A counter of `values` (none: empty). */
  constructor(values: Iterable<number> = []) {
    for (const v of values) this.merge(v);
  }

  /** A counter holding a partition's fold state. */
  static fromState(s: StatState): StatCounter {
    const c = new StatCounter();
    c.s = { ...s };
    return c;
  }

  /** Adds one value (Welford). */
  merge(value: number): this {
    welford(this.s, value);
    return this;
  }

  /** Merges another counter into this one (Chan et al., as Spark's merge(StatCounter)). */
  mergeStats(other: StatCounter): this {
    if (other === this) return this.mergeStats(other.copy());
    const a = this.s;
    const b = other.s;
    if (a.n === 0) this.s = { ...b };
    else if (b.n !== 0) {
      const delta = b.mu - a.mu;
      const n = a.n + b.n;
      if (b.n * 10 < a.n) a.mu = a.mu + (delta * b.n) / n;
      else if (a.n * 10 < b.n) a.mu = b.mu - (delta * a.n) / n;
      else a.mu = (a.mu * a.n + b.mu * b.n) / n;
      a.m2 += b.m2 + (delta * delta * a.n * b.n) / n;
      a.n = n;
      a.max = Math.max(a.max, b.max);
      a.min = Math.min(a.min, b.min);
    }
    return this;
  }

  /** A copy. */
  copy(): StatCounter {
    return StatCounter.fromState(this.s);
  }

  /** The counter as plain data. */
  state(): StatState {
    return { ...this.s };
  }

  /** Number of values. */
  get count(): number {
    return this.s.n;
  }
  /** Mean (0 when empty, as Spark's). */
  get mean(): number {
    return this.s.mu;
  }
  /** Sum, as count x mean. */
  get sum(): number {
    return this.s.n * this.s.mu;
  }
  /** Largest value (-Infinity when empty). */
  get max(): number {
    return this.s.max;
  }
  /** Smallest value (Infinity when empty). */
  get min(): number {
    return this.s.min;
  }
  /** Population variance (NaN when empty). */
  get variance(): number {
    return this.s.n === 0 ? NaN : this.s.m2 / this.s.n;
  }
  /** Sample variance, divided by n - 1 (NaN below two values). */
  get sampleVariance(): number {
    return this.s.n <= 1 ? NaN : this.s.m2 / (this.s.n - 1);
  }
  /** Population standard deviation. */
  get stdev(): number {
    return Math.sqrt(this.variance);
  }
  /** Sample standard deviation. */
  get sampleStdev(): number {
    return Math.sqrt(this.sampleVariance);
  }

  /** Spark's format: "(count: 3, mean: 2.000000, stdev: 0.816497, max: 3.000000, min: 1.000000)". */
  toString(): string {
    const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : String(x));
    return `(count: ${this.count}, mean: ${f(this.mean)}, stdev: ${f(this.stdev)}, max: ${f(this.max)}, min: ${f(this.min)})`;
  }

  /** The figures as a plain object (JSON.stringify). */
  toJSON(): Record<string, number> {
    return { count: this.count, mean: this.mean, sum: this.sum, min: this.min, max: this.max, variance: this.variance, stdev: this.stdev, sampleVariance: this.sampleVariance, sampleStdev: this.sampleStdev };
  }
}
