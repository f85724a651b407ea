import { DenseCounter, DenseHistogram, type Dimension } from '../../src/observability/dense-metrics.js';

const A: Dimension = { name: 'a', values: ['a0', 'a1', 'a2'] };
const B: Dimension = { name: 'b', values: ['b0', 'b1'] };
const C: Dimension = { name: 'c', values: ['c0', 'c1', 'c2', 'c3'] };
const D: Dimension = { name: 'd', values: ['d0', 'd1', 'd2', 'd3', 'd4'] };

test('every label combination of a four-label counter gets its own flat index and reads back as its labels', async () => {
  const counter = new DenseCounter('t_total', 'test', [A, B, C, D]);
  const seen = new Set<number>();
  let n = 0;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 5; d++) {
    const flat = counter.at(a, b, c, d);
    seen.add(flat);
    counter.inc(flat, ++n); // a distinct count per combination
  }
  expect(seen.size).toBe(3 * 2 * 4 * 5);
  expect(Math.max(...seen)).toBe(3 * 2 * 4 * 5 - 1);
  const { values } = await counter.get();
  n = 0;
  for (let a = 0; a < 3; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 5; d++) {
    const value = ++n;
    expect(values.find((v) => v.value === value)?.labels).toEqual({ a: `a${a}`, b: `b${b}`, c: `c${c}`, d: `d${d}` });
  }
});

test('a two-label histogram counts each observation into its own series and bucket', async () => {
  const histogram = new DenseHistogram('t_seconds', 'test', [A, B], [0.1, 1]);
  histogram.observe(histogram.at(2, 1), 0.05);
  histogram.observe(histogram.at(2, 1), 0.5);
  histogram.observe(histogram.at(0, 1), 5);
  const { values } = await histogram.get();
  const same = (x: Record<string, string>, y: Record<string, string>) => Object.keys(x).length === Object.keys(y).length && Object.entries(y).every(([k, v]) => x[k] === v);
  const sample = (metricName: string, labels: Record<string, string>) => values.find((v) => v.metricName === metricName && same(v.labels, labels))?.value;
  expect(sample('t_seconds_bucket', { a: 'a2', b: 'b1', le: '0.1' })).toBe(1);
  expect(sample('t_seconds_bucket', { a: 'a2', b: 'b1', le: '1' })).toBe(2);
  expect(sample('t_seconds_count', { a: 'a2', b: 'b1' })).toBe(2);
  expect(sample('t_seconds_sum', { a: 'a2', b: 'b1' })).toBeCloseTo(0.55);
  expect(sample('t_seconds_bucket', { a: 'a0', b: 'b1', le: '1' })).toBe(0);
  expect(sample('t_seconds_count', { a: 'a0', b: 'b1' })).toBe(1);
  expect(values.some((v) => v.labels.a === 'a1')).toBe(false);
});

test('more labels than the fixed-argument index supports are refused at construction', () => {
  expect(() => new DenseCounter('t_total', 'test', [A, B, C, D, A])).toThrow(/at most 4 labels/);
});
