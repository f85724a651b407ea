/** RFC 6901: "~" becomes "~0" and "/" becomes "~1" (in that order). */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...tokens: readonly string[]): string {
  let out = '';
  for (const token of tokens) out += '/' + escapePointerToken(token);
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
