/**
 * Counters and histograms over a small, fixed label space, counted in typed arrays: recording costs
 * an index computation and an addition, with no label hashing or allocation per request (prom-client's
 * own Counter/Histogram hash the label object on every call: measured at several µs per request).
 * prom-client's registry reads them through `get()` at scrape time, like any other metric.
 */
export interface Dimension {
  name: string;
  values: readonly string[];
}

interface MetricValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

/** At most this many labels per metric, so that `at` takes fixed arguments (no array per call). */
const MAX_DIMENSIONS = 4;

abstract class DenseMetric {
  protected readonly size: number;
  /** How far one step in each dimension moves the flat index; 0 past the last dimension. */
  private readonly strides: number[];
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly dims: readonly Dimension[],
  ) {
    if (dims.length > MAX_DIMENSIONS) throw new Error(`${name}: at most ${MAX_DIMENSIONS} labels`);
    this.size = dims.reduce((n, d) => n * d.values.length, 1);
    this.strides = Array.from({ length: MAX_DIMENSIONS }, (_, d) => (d < dims.length ? dims.slice(d + 1).reduce((n, x) => n * x.values.length, 1) : 0));
  }

  /** Flat index of a label combination, from each dimension's value index (see indexOf), in order. */
  at(a: number, b = 0, c = 0, d = 0): number {
    const s = this.strides;
    return a * s[0] + b * s[1] + c * s[2] + d * s[3];
  }

  protected labelsOf(flat: number): Record<string, string> {
    const labels: Record<string, string> = {};
    for (let d = this.dims.length - 1; d >= 0; d--) {
      const n = this.dims[d].values.length;
      labels[this.dims[d].name] = this.dims[d].values[flat % n];
      flat = Math.floor(flat / n);
    }
    return labels;
  }
}

export class DenseCounter extends DenseMetric {
  readonly type = 'counter' as const;
  private readonly counts: Float64Array;

  constructor(name: string, help: string, dims: readonly Dimension[]) {
    super(name, help, dims);
    this.counts = new Float64Array(this.size);
  }

  inc(flat: number, by = 1): void {
    this.counts[flat] += by;
  }

  value(flat: number): number {
    return this.counts[flat];
  }

  async get() {
    const values: MetricValue[] = [];
    for (let i = 0; i < this.size; i++) if (this.counts[i] > 0) values.push({ labels: this.labelsOf(i), value: this.counts[i] });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class DenseHistogram extends DenseMetric {
  readonly type = 'histogram' as const;
  private readonly bucketCounts: Float64Array;
  private readonly sums: Float64Array;
  private readonly totals: Float64Array;

  constructor(name: string, help: string, dims: readonly Dimension[], private readonly buckets: readonly number[]) {
    super(name, help, dims);
    this.bucketCounts = new Float64Array(this.size * buckets.length);
    this.sums = new Float64Array(this.size);
    this.totals = new Float64Array(this.size);
  }

  observe(flat: number, value: number): void {
    this.sums[flat] += value;
    this.totals[flat] += 1;
    const base = flat * this.buckets.length;
    for (let b = 0; b < this.buckets.length; b++) {
      if (value <= this.buckets[b]) {
        this.bucketCounts[base + b] += 1;
        return;
      }
    }
  }

  async get() {
    const values: MetricValue[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.totals[i] === 0) continue;
      const labels = this.labelsOf(i);
      let cumulative = 0;
      for (let b = 0; b < this.buckets.length; b++) {
        cumulative += this.bucketCounts[i * this.buckets.length + b];
        values.push({ labels: { ...labels, le: String(this.buckets[b]) }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: this.totals[i], metricName: `${this.name}_bucket` });
      values.push({ labels, value: this.sums[i], metricName: `${this.name}_sum` });
      values.push({ labels, value: this.totals[i], metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
