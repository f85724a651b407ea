import type { Toleration } from './types.js';
import { isPlainObject } from './json-pointer.js';
import { scalarText } from './workload.js';

/**
 * Identity of a toleration as the API server compares them: an absent operator means Equal,
 * absent strings mean "", an absent tolerationSeconds means forever.
 */
export function tolerationIdentity(t: Toleration): string {
  return `${scalarText(t.key)}\u0000${operator(t)}\u0000${scalarText(t.value)}\u0000${scalarText(t.effect)}\u0000${seconds(t.tolerationSeconds)}`;
}

/** Keeps the first of each identity, in order. Fleet appends controller tolerations without dedupe; we do not. */
export function mergeTolerationSets(...sets: readonly (readonly Toleration[])[]): Toleration[] {
  const seen = new Set<string>();
  const out: Toleration[] = [];
  for (const set of sets) {
    for (const t of set) {
      const id = tolerationIdentity(t);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(t);
    }
  }
  return out;
}

/** Identities of a wanted set, computed once per set (the set changes only with the controller). */
const wantedIdentities = new WeakMap<readonly Toleration[], string[]>();

function identitiesOf(wanted: readonly Toleration[]): string[] {
  let ids = wantedIdentities.get(wanted);
  if (!ids) {
    ids = wanted.map(tolerationIdentity);
    wantedIdentities.set(wanted, ids);
  }
  return ids;
}

/** tolerationIdentity(a) === tolerationIdentity(b), without building either string. */
export function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    scalarText(a.key) === scalarText(b.key) &&
    operator(a) === operator(b) &&
    scalarText(a.value) === scalarText(b.value) &&
    scalarText(a.effect) === scalarText(b.effect) &&
    seconds(a.tolerationSeconds) === seconds(b.tolerationSeconds)
  );
}

// One normalization per field (scalarText for the strings), shared by tolerationIdentity and sameToleration.
function operator(t: Toleration): string {
  return t.operator ? scalarText(t.operator) : 'Equal';
}
function seconds(v: unknown): string {
  return typeof v === 'number' ? String(v) : '';
}

/** Below this many pairs, comparing each pair beats hashing identities into a set. */
const PAIRWISE_MAX = 64;

/**
 * The wanted tolerations that `existing` lacks, in the wanted order. When it lacks all of them the
 * answer is `wanted` itself (no copy), which lets the patch encoder reuse its encoding.
 */
export function missingTolerations(existing: readonly unknown[], wanted: readonly Toleration[]): readonly Toleration[] {
  if (wanted.length === 0 || existing.length === 0) return wanted;
  if (existing.length * wanted.length <= PAIRWISE_MAX) return missingPairwise(existing, wanted);
  const ids = identitiesOf(wanted);
  const present = new Set<string>();
  for (const t of existing) if (isPlainObject(t)) present.add(tolerationIdentity(t as Toleration));
  const missing: Toleration[] = [];
  for (let i = 0; i < wanted.length; i++) {
    if (!present.has(ids[i])) missing.push(wanted[i]);
  }
  return missing.length === wanted.length ? wanted : missing;
}

function missingPairwise(existing: readonly unknown[], wanted: readonly Toleration[]): readonly Toleration[] {
  const missing: Toleration[] = [];
  // Indexed loops: `for...of` over a frozen array is not inlined and showed up in profiles.
  for (let i = 0; i < wanted.length; i++) {
    let found = false;
    for (let j = 0; j < existing.length; j++) {
      const e = existing[j];
      if (isPlainObject(e) && sameToleration(e as Toleration, wanted[i])) {
        found = true;
        break;
      }
    }
    if (!found) missing.push(wanted[i]);
  }
  return missing.length === wanted.length ? wanted : missing;
}

/** `key=value:Effect` style, as kubectl prints taints; used in summaries and warnings. */
export function describeToleration(t: Toleration): string {
  const op = t.operator || 'Equal';
  let s = t.key ?? '*';
  if (op === 'Equal') s += `=${t.value ?? ''}`;
  else s += ` ${op}`;
  if (t.effect) s += `:${t.effect}`;
  if (typeof t.tolerationSeconds === 'number') s += ` for ${t.tolerationSeconds}s`;
  return s;
}

/**
 * Validates untrusted toleration input (from a manifest or --extra-tolerations) into the narrow type.
 * Throws with a message naming the offending entry.
 */
export function parseTolerationList(value: unknown, source: string): Toleration[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${source}: tolerations must be a list`);
  return value.map((item, i) => {
    if (!isPlainObject(item)) throw new Error(`${source}: toleration ${i} is not an object`);
    const t: Toleration = {};
    for (const field of ['key', 'operator', 'value', 'effect'] as const) {
      const v = item[field];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') throw new Error(`${source}: toleration ${i} field ${field} must be a string`);
      t[field] = v;
    }
    const secs = item.tolerationSeconds;
    if (secs !== undefined && secs !== null) {
      if (typeof secs !== 'number' || !Number.isInteger(secs)) {
        throw new Error(`${source}: toleration ${i} tolerationSeconds must be an integer`);
      }
      t.tolerationSeconds = secs;
    }
    return t;
  });
}
