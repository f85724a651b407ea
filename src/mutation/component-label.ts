import { createHash } from 'node:crypto';
import type { WorkloadKind } from './types.js';

export const LABEL_VALUE_MAX = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const HASH_LENGTH = 10;

export function isValidLabelValue(value: string): boolean {
  return value.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(value);
}

/**
 * Object names are DNS subdomains (lowercase alphanumerics, '-' and '.'), so they never contain '_'.
 * Prefixing Job and CronJob values with `job_` / `cronjob_` makes them impossible to equal a value
 * derived from a Deployment's name, which is what keeps their pods out of Deployment selectors.
 */
const PREFIX: Record<WorkloadKind, string> = { Deployment: '', Job: 'job_', CronJob: 'cronjob_' };

/**
 * The component label value for a workload, or undefined when neither name nor generateName gives one.
 * Deterministic: the same kind and name always give the same value. Values that would be too long
 * or invalid are shortened to a valid prefix plus a hash of the full candidate.
 */
export function componentLabelValue(kind: WorkloadKind, name: string | undefined, generateName: string | undefined): string | undefined {
  const base = name || trimGenerateName(generateName);
  if (!base) return undefined;
  const candidate = PREFIX[kind] + base;
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
