import { Memo } from './memo.js';

/** RFC 6901: "~" becomes "~0" and "/" becomes "~1" (in that order). */
export function escapePointerToken(token: string): string {
  if (token.indexOf('~') === -1 && token.indexOf('/') === -1) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parents and tokens here are a handful of constants (paths by kind, the configured keys). */
const children = new Memo(64, (parent: string) => new Memo(64, (token: string) => parent + '/' + escapePointerToken(token)));

/** `parent` + '/' + the escaped `token`, remembered: it is built on every request. */
export function childPointer(parent: string, token: string): string {
  return children.get(parent).get(token);
}

export function pointer(...tokens: readonly string[]): string {
  let out = '';
  for (const token of tokens) out += '/' + escapePointerToken(token);
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
