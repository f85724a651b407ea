/**
 * Values computed once per key and kept. Emptied when it reaches `limit` entries, so that keys from
 * outside (configured label keys, object shapes) can never make it grow without bound.
 */
export class Memo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(
    private readonly limit: number,
    private readonly compute: (key: K) => V,
  ) {}

  get(key: K): V {
    let value = this.values.get(key);
    if (value === undefined) {
      if (this.values.size >= this.limit) this.values.clear();
      value = this.compute(key);
      this.values.set(key, value);
    }
    return value;
  }
}
