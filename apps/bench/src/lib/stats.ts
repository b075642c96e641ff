// Latency bookkeeping that merges across processes: log-spaced buckets, 1 % apart.
export interface Percentiles {
  count: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

const BASE = 0.01; // ms
const GROWTH = Math.log(1.01);

export class Histogram {
  counts = new Map<number, number>();
  count = 0;
  max = 0;

  record(ms: number): void {
    const bucket = ms <= BASE ? 0 : Math.ceil(Math.log(ms / BASE) / GROWTH);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramData): void {
    for (const [bucket, n] of other.counts) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  toJSON(): HistogramData {
    return { counts: [...this.counts], count: this.count, max: this.max };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) ?? 0;
      if (seen >= target) return Math.min(this.max, BASE * Math.exp(bucket * GROWTH));
    }
    return this.max;
  }

  summary(): Percentiles {
    const p = (q: number) => round(this.percentile(q));
    return { count: this.count, p50: p(50), p75: p(75), p90: p(90), p95: p(95), p99: p(99), p999: p(99.9), max: round(this.max) };
  }

  reset(): void {
    this.counts.clear();
    this.count = 0;
    this.max = 0;
  }
}

export interface HistogramData {
  counts: [number, number][];
  count: number;
  max: number;
}

export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
export const ratio = (a: number, b: number): number => round(a / b, 3);
