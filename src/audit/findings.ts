import { collisionsAmong, describeCollision } from '../collisions/detect.js';
import { recordOf, type SelectingKind, type WorkloadRecord } from '../collisions/workloads.js';
import { isPlainObject } from '../mutation/json-pointer.js';
import { CHANGE_ANNOTATION, summaryAddsTolerations } from '../mutation/mutate.js';
import { describeToleration, missingTolerations } from '../mutation/tolerations.js';
import type { JsonObject, Toleration } from '../mutation/types.js';
import { getObjectAt, podTemplateOf, stringField } from '../mutation/workload.js';

export type FindingType =
  | 'missing-tolerations'
  | 'missing-component-label'
  | 'selector-without-component-label'
  | 'selector-collision'
  | 'namespace-not-opted-in';

export interface Finding {
  type: FindingType;
  namespace: string;
  /** `Kind name` of the object the finding is about (absent for namespace findings). */
  object?: string;
  /** The other object of a collision. */
  other?: string;
  detail: string;
}

export interface ObjectOfKind {
  kind: SelectingKind;
  obj: unknown;
}

/** Live objects read from a cluster (`audit`), or manifests about to be deployed (`mutate --check`). */
export type ObjectSource = 'cluster' | 'manifests';

/**
 * What is wrong in a set of objects (one namespace, or any manifests): pod templates that lack
 * some wanted toleration or the component label, Deployment selectors without it, and every
 * selector collision with both objects named. Read-only.
 */
export function findingsOf(objects: readonly ObjectOfKind[], wanted: readonly Toleration[], componentLabelKey: string, source: ObjectSource): Finding[] {
  const findings: Finding[] = [];
  const records: WorkloadRecord[] = [];
  for (const { kind, obj } of objects) {
    const record = recordOf(kind, obj);
    if (!record) continue;
    records.push(record);
    // recordOf has already left out non-objects and Jobs created by a CronJob.
    if (kind === 'Service' || !isPlainObject(obj)) continue;
    const template = podTemplateOf(obj, kind);
    const podSpec = isPlainObject(template?.spec) ? template.spec : {};
    const missing = missingTolerations(Array.isArray(podSpec.tolerations) ? podSpec.tolerations : [], wanted);
    const base = { namespace: record.namespace, object: `${kind} ${record.name}` };
    if (missing.length > 0) {
      // A CronJob's Jobs are admitted on their own, so the webhook still gives them what the CronJob lacks.
      const effect = kind === 'CronJob' ? "its Jobs' pods get them only from the webhook, at each Job's creation in a namespace it mutates" : 'its pods will not schedule on nodes with those taints';
      const detail = `lacks ${missing.length} controller toleration(s): ${missing.map(describeToleration).join(', ')}; ${effect}`;
      findings.push({ ...base, type: 'missing-tolerations', detail: detail + whyMissing(source, kind, podSpec, obj) });
    }
    if (!record.podLabels || !Object.hasOwn(record.podLabels, componentLabelKey)) {
      findings.push({ ...base, type: 'missing-component-label', detail: `pod template has no ${componentLabelKey} label` });
    }
    if (kind === 'Deployment' && record.selector && !constrains(record, componentLabelKey)) {
      findings.push({ ...base, type: 'selector-without-component-label', detail: `selector does not use ${componentLabelKey}; selectors are immutable: fixable only by re-creating the Deployment` });
    }
  }
  const byNamespace = new Map<string, WorkloadRecord[]>();
  for (const r of records) byNamespace.set(r.namespace, [...(byNamespace.get(r.namespace) ?? []), r]);
  for (const [namespace, rs] of byNamespace) {
    for (const c of collisionsAmong(rs)) {
      findings.push({ type: 'selector-collision', namespace, object: `${c.selector.kind} ${c.selector.name}`, other: `${c.pods.kind} ${c.pods.name}`, detail: describeCollision(c, componentLabelKey) });
    }
  }
  return findings;
}

const RESET_BY_UPGRADES =
  '; the manifest sets a tolerations list, which every upgrade or apply puts back whole, dropping what fleet-webhook' +
  ' added at creation: give the manifest these tolerations';

const REMOVED_SINCE =
  `; fleet-webhook added tolerations when it was created (${CHANGE_ANNOTATION}), so an update has since replaced the list` +
  ' (an upgrade or apply of a manifest that sets tolerations) or the controller gained tolerations';

/** What the objects tell of why the tolerations are missing, or nothing. */
function whyMissing(source: ObjectSource, kind: SelectingKind, podSpec: JsonObject, obj: JsonObject): string {
  // A CronJob's list does not matter as much: its Jobs are admitted on their own.
  if (source === 'manifests') return kind === 'Deployment' && Array.isArray(podSpec.tolerations) ? RESET_BY_UPGRADES : '';
  return recordsAddedTolerations(obj) ? REMOVED_SINCE : '';
}

/** The webhook's record on the workload says it added tolerations when the workload was created. */
function recordsAddedTolerations(obj: JsonObject): boolean {
  const record = stringField(getObjectAt(obj, ['metadata', 'annotations']), CHANGE_ANNOTATION);
  return record !== undefined && summaryAddsTolerations(record);
}

function constrains(r: WorkloadRecord, key: string): boolean {
  return r.selector !== undefined && (Object.hasOwn(r.selector.matchLabels, key) || r.selector.expressions.some((e) => e.key === key));
}

export function formatTable(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No findings.\n';
  const rows = findings.map((f) => [f.namespace || '-', f.type, f.object ?? '-', f.detail]);
  const header = ['NAMESPACE', 'FINDING', 'OBJECT', 'DETAIL'];
  const widths = [0, 1, 2].map((i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + `\n\n${findings.length} finding(s).\n`;
}

