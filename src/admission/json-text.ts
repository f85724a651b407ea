/**
 * JSON text for the small values built on every admission (label values, annotation maps, the uid).
 * Same output as JSON.stringify, which has a fixed cost per call (measured ~80 ns for a short string,
 * ~170 ns for a one-key object on this machine) that dominated encoding these.
 */

/**
 * Quoted as it is unless it has a character JSON.stringify escapes (quote, backslash, control
 * characters) or rewrites (lone surrogates). Scanned by hand rather than with a RegExp: most strings
 * here are fresh concatenations, which V8 matches only through its runtime.
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 /* " */ || c === 0x5c /* \\ */ || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** Strings and plain objects of strings are written here; anything else goes to JSON.stringify. */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return jsonString(value);
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return JSON.stringify(value);
  let out = '';
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v !== 'string' && (typeof v !== 'object' || v === null || Array.isArray(v))) return JSON.stringify(value);
    out += (out === '' ? '{' : ',') + jsonString(key) + ':' + jsonText(v);
  }
  return out === '' ? '{}' : out + '}';
}
