import type { JsonObject, WorkloadKind } from './types.js';
import { isPlainObject } from './json-pointer.js';

/** The group/version/kind triples the webhook mutates. Anything else passes through. */
export const SUPPORTED: ReadonlyArray<{ group: string; version: string; kind: WorkloadKind }> = [
  { group: 'batch', version: 'v1', kind: 'Job' },
  { group: 'batch', version: 'v1', kind: 'CronJob' },
  { group: 'apps', version: 'v1', kind: 'Deployment' },
];

export function supportedKind(group: string, version: string, kind: string): WorkloadKind | undefined {
  for (const s of SUPPORTED) if (s.group === group && s.version === version && s.kind === kind) return s.kind;
  return undefined;
}

/** Same, from an object's own apiVersion/kind (offline manifests carry no request GVK). */
export function supportedKindOfObject(obj: JsonObject): WorkloadKind | undefined {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  if (slash === -1) return undefined;
  return supportedKind(apiVersion.slice(0, slash), apiVersion.slice(slash + 1), typeof obj.kind === 'string' ? obj.kind : '');
}

const CRONJOB_TEMPLATE: readonly string[] = Object.freeze(['spec', 'jobTemplate', 'spec', 'template']);
const TEMPLATE: readonly string[] = Object.freeze(['spec', 'template']);

/** Path tokens from the object root to its pod template. */
export function podTemplatePath(kind: WorkloadKind): readonly string[] {
  return kind === 'CronJob' ? CRONJOB_TEMPLATE : TEMPLATE;
}

/**
 * The pod template of a workload (getObjectAt with podTemplatePath, spelled out: these property reads
 * run on every admission and each gets its own inline cache instead of one shared megamorphic one).
 */
export function podTemplateOf(obj: JsonObject, kind: WorkloadKind): JsonObject | undefined {
  const spec = obj.spec;
  if (!isPlainObject(spec)) return undefined;
  let holder: JsonObject = spec;
  if (kind === 'CronJob') {
    const jobTemplate = spec.jobTemplate;
    if (!isPlainObject(jobTemplate) || !isPlainObject(jobTemplate.spec)) return undefined;
    holder = jobTemplate.spec;
  }
  const template = holder.template;
  return isPlainObject(template) ? template : undefined;
}

/** Follows `tokens` through plain objects; undefined when any step is missing or not an object. */
export function getObjectAt(root: unknown, tokens: readonly string[]): JsonObject | undefined {
  let cur: unknown = root;
  for (const t of tokens) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[t];
  }
  return isPlainObject(cur) ? cur : undefined;
}

/** How logs and reports name an object: its name, or `generateName*` before the API server picks one. */
export function displayName(metadata: unknown): string | undefined {
  if (!isPlainObject(metadata)) return undefined;
  if (typeof metadata.name === 'string' && metadata.name) return metadata.name;
  return typeof metadata.generateName === 'string' ? `${metadata.generateName}*` : undefined;
}

/**
 * A scalar JSON value as text, the way Kubernetes compares such fields ('' when null or absent). An
 * object or list gets a text no valid field has (label keys and values, toleration fields and
 * selector terms hold no spaces or parentheses), without String(): a parsed `{"toString": 1}` makes
 * String() throw, and such values reach the webhook from direct callers and from manifests. It is
 * printable, since warnings and findings may show it.
 */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? NOT_SCALAR : String(v);
}

const NOT_SCALAR = '(not a string)';

export function stringField(obj: JsonObject | undefined, field: string): string | undefined {
  const v = obj?.[field];
  return typeof v === 'string' ? v : undefined;
}

/** A Job created by a CronJob already got its labels from the CronJob's jobTemplate. */
export function isOwnedByCronJob(metadata: JsonObject | undefined): boolean {
  const refs = metadata?.ownerReferences;
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => isPlainObject(r) && r.kind === 'CronJob' && typeof r.apiVersion === 'string' && r.apiVersion.startsWith('batch/'));
}
