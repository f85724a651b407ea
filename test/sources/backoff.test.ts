import { Backoff, jittered } from '../../src/sources/cluster/backoff.js';

describe('Backoff', () => {
  test('doubles up to the cap, each delay drawn from [base/2, base)', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999);
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
  });

  test('reset starts over', () => {
    const b = new Backoff(100, 1000, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(50);
  });

  test('replicas with different random draws do not retry in step', () => {
    const delays = [0.1, 0.5, 0.9].map((r) => new Backoff(1000, 30_000, () => r).next());
    expect(new Set(delays).size).toBe(3);
  });

  test('jittered spreads a period by the given fraction either way', () => {
    expect(jittered(1000, 0.1, () => 0)).toBe(900);
    expect(jittered(1000, 0.1, () => 1)).toBe(1100);
  });
});
