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
