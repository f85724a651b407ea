import { createHash } from 'node:crypto';
import type { WorkloadKind } from './types.js';

export const LABEL_VALUE_MAX = 63;
const HASH_LENGTH = 10;

/**
 * `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`, at most 63 characters, checked character by
 * character: the value is a freshly concatenated string, which a RegExp matches only through V8's
 * runtime, ~1 µs of an admission on a server whose caches went cold (`npm run bench:cold`).
 */
export function isValidLabelValue(value: string): boolean {
  const last = value.length - 1;
  if (last < 0) return true;
  if (last >= LABEL_VALUE_MAX || !isAlphanumeric(value.charCodeAt(0)) || !isAlphanumeric(value.charCodeAt(last))) return false;
  for (let i = 1; i < last; i++) {
    const c = value.charCodeAt(i);
    if (!isAlphanumeric(c) && c !== 0x2d /* - */ && c !== 0x5f /* _ */ && c !== 0x2e /* . */) return false;
  }
  return true;
}

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/**
 * Object names are DNS subdomains (lowercase alphanumerics, '-' and '.'), so they never contain '_'.
 * Prefixing Job and CronJob values with `job_` / `cronjob_` makes them impossible to equal a value
 * derived from a Deployment's name, which is what keeps their pods out of Deployment selectors.
 */
function prefixOf(kind: WorkloadKind): string {
  // A switch rather than a table: reading a table with three different keys is a megamorphic load in V8.
  switch (kind) {
    case 'Job': return 'job_';
    case 'CronJob': return 'cronjob_';
    default: return '';
  }
}

/**
 * The component label value for a workload, or undefined when neither name nor generateName gives one.
 * Deterministic: the same kind and name always give the same value. Values that would be too long
 * or invalid are shortened to a valid prefix plus a hash of the full candidate.
 */
export function componentLabelValue(kind: WorkloadKind, name: string | undefined, generateName: string | undefined): string | undefined {
  const base = name || trimGenerateName(generateName);
  if (!base) return undefined;
  const candidate = prefixOf(kind) + base;
  if (isValidLabelValue(candidate)) return candidate;
  return shorten(candidate);
}

/** generateName usually ends with '-', which a label value may not. */
function trimGenerateName(generateName: string | undefined): string | undefined {
  if (!generateName) return undefined;
  const trimmed = generateName.replace(/[^A-Za-z0-9]+$/, '');
  return trimmed || undefined;
}

function shorten(candidate: string): string {
  const hash = createHash('sha256').update(candidate).digest('hex').slice(0, HASH_LENGTH);
  const room = LABEL_VALUE_MAX - HASH_LENGTH - 1;
  const prefix = candidate
    .slice(0, room)
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}
