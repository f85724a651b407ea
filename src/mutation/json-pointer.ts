/** RFC 6901: "~" becomes "~0" and "/" becomes "~1" (in that order). */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

const children = new Map<string, Map<string, string>>();

/**
 * `parent` + '/' + the escaped `token`, remembered: parents and tokens here are a handful of
 * constants (paths by kind, the configured label and annotation keys) used on every request.
 */
export function childPointer(parent: string, token: string): string {
  let byToken = children.get(parent);
  if (!byToken) {
    byToken = new Map();
    children.set(parent, byToken);
  }
  let out = byToken.get(token);
  if (out === undefined) {
    if (byToken.size >= 64) byToken.clear(); // never grows without bound, whatever the callers pass
    out = parent + '/' + escapePointerToken(token);
    byToken.set(token, out);
  }
  return out;
}

export function pointer(...tokens: readonly string[]): string {
  let out = '';
  for (const token of tokens) out += '/' + escapePointerToken(token);
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
