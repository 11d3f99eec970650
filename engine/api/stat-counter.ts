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

/** The empty state. */
export function emptyStatState(): StatState {
  return { n: 0, mu: 0, m2: 0, max: -Infinity, min: Infinity };
}

/** Count, mean, sum, min, max and variances of numbers (Spark's StatCounter). */
export class StatCounter {
  private n = 0;
  private mu = 0;
  private m2 = 0;
  private maxValue = -Infinity;
  private minValue = Infinity;

  /** A counter of `values` (none: empty). */
  constructor(values: Iterable<number> = []) {
    for (const v of values) this.merge(v);
  }

  /** A counter holding a partition's fold state. */
  static fromState(s: StatState): StatCounter {
    const c = new StatCounter();
    c.n = s.n;
    c.mu = s.mu;
    c.m2 = s.m2;
    c.maxValue = s.max;
    c.minValue = s.min;
    return c;
  }

  /** Adds one value (Welford). */
  merge(value: number): this {
    const delta = value - this.mu;
    this.n += 1;
    this.mu += delta / this.n;
    this.m2 += delta * (value - this.mu);
    this.maxValue = Math.max(this.maxValue, value);
    this.minValue = Math.min(this.minValue, value);
    return this;
  }

  /** Merges another counter into this one (Chan et al., as Spark's merge(StatCounter)). */
  mergeStats(other: StatCounter): this {
    if (other === this) return this.mergeStats(other.copy());
    if (this.n === 0) {
      this.n = other.n;
      this.mu = other.mu;
      this.m2 = other.m2;
      this.maxValue = other.maxValue;
      this.minValue = other.minValue;
    } else if (other.n !== 0) {
      const delta = other.mu - this.mu;
      const n = this.n + other.n;
      if (other.n * 10 < this.n) this.mu = this.mu + (delta * other.n) / n;
      else if (this.n * 10 < other.n) this.mu = other.mu - (delta * this.n) / n;
      else this.mu = (this.mu * this.n + other.mu * other.n) / n;
      this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
      this.n = n;
      this.maxValue = Math.max(this.maxValue, other.maxValue);
      this.minValue = Math.min(this.minValue, other.minValue);
    }
    return this;
  }

  /** A copy. */
  copy(): StatCounter {
    return StatCounter.fromState(this.state());
  }

  /** The counter as plain data. */
  state(): StatState {
    return { n: this.n, mu: this.mu, m2: this.m2, max: this.maxValue, min: this.minValue };
  }

  /** Number of values. */
  get count(): number {
    return this.n;
  }
  /** Mean (0 when empty, as Spark's). */
  get mean(): number {
    return this.mu;
  }
  /** Sum, as count x mean. */
  get sum(): number {
    return this.n * this.mu;
  }
  /** Largest value (-Infinity when empty). */
  get max(): number {
    return this.maxValue;
  }
  /** Smallest value (Infinity when empty). */
  get min(): number {
    return this.minValue;
  }
  /** Population variance (NaN when empty). */
  get variance(): number {
    return this.n === 0 ? NaN : this.m2 / this.n;
  }
  /** Sample variance, divided by n - 1 (NaN below two values). */
  get sampleVariance(): number {
    return this.n <= 1 ? NaN : this.m2 / (this.n - 1);
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
    return `(count: ${this.n}, mean: ${f(this.mean)}, stdev: ${f(this.stdev)}, max: ${f(this.max)}, min: ${f(this.min)})`;
  }

  /** The figures as a plain object (JSON.stringify). */
  toJSON(): Record<string, number> {
    return { count: this.count, mean: this.mean, sum: this.sum, min: this.min, max: this.max, variance: this.variance, stdev: this.stdev, sampleVariance: this.sampleVariance, sampleStdev: this.sampleStdev };
  }
}
