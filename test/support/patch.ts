import fjp, { type Operation } from 'fast-json-patch';

/** Decodes response.patch as strictly as the API server (Go's base64.StdEncoding): padded, no '=' inside. */
export function decodePatch(response: { patch?: string }): any[] {
  if (!response.patch) return [];
  const bytes = Buffer.from(response.patch, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response.patch) || response.patch.length % 4 !== 0 || bytes.toString('base64') !== response.patch) {
    throw new Error(`response.patch is not standard base64: ${response.patch}`);
  }
  return JSON.parse(bytes.toString('utf8'));
}

/**
 * `obj` after `patch`, as the API server leaves it: the whole patch is checked against the object
 * first (one operation that does not apply fails it), then applied to a copy. `obj` is not touched.
 */
export function afterPatch(obj: unknown, patch: readonly unknown[]): any {
  const invalid = fjp.validate(patch as Operation[], structuredClone(obj));
  if (invalid) throw invalid;
  return fjp.applyPatch(structuredClone(obj), patch as Operation[], true, false).newDocument;
}

/**
 * Throws unless every value in `before` is unchanged in `after` (lists may only grow at their end).
 * `nullsAbsent`: a null in `before` may be replaced, as the API server treats it as absent.
 */
export function expectOnlyAdds(before: unknown, after: unknown, opts: { nullsAbsent?: boolean } = {}, path = ''): void {
  if (before === null && opts.nullsAbsent) return;
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) throw new Error(`${path} was a list and is not any more`);
    before.forEach((v, i) => expectOnlyAdds(v, after[i], opts, `${path}/${i}`));
  } else if (typeof before === 'object' && before !== null) {
    if (typeof after !== 'object' || after === null || Array.isArray(after)) throw new Error(`${path} was an object and is not any more`);
    for (const [k, v] of Object.entries(before)) expectOnlyAdds(v, (after as Record<string, unknown>)[k], opts, `${path}/${k}`);
  } else if (before !== after) {
    throw new Error(`${path} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`);
  }
}
