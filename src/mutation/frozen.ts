const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes a JSON value and everything in it, and remembers that it did: such a value can never
 * change, so whoever serializes it may keep the result (see admission/patch-encoding).
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !deeplyFrozen.has(value)) {
    for (const v of Object.values(value)) freezeDeep(v);
    Object.freeze(value);
    deeplyFrozen.add(value);
  }
  return value;
}

export function isDeeplyFrozen(value: unknown): value is object {
  return typeof value === 'object' && value !== null && deeplyFrozen.has(value);
}
