import { isPlainObject } from '../mutation/json-pointer.js';
import { getObjectAt, isOwnedByCronJob, podTemplateOf, stringField } from '../mutation/workload.js';
import type { WorkloadKind } from '../mutation/types.js';
import { labelSelector, mapSelector, stringMap, type Labels, type Selector } from './selector.js';

export type SelectingKind = WorkloadKind | 'Service';

/**
 * The only parts of an object collision detection keeps: a few strings and maps, not the object,
 * so thousands of workloads cost little memory.
 */
export interface WorkloadRecord {
  kind: SelectingKind;
  namespace: string;
  name: string;
  /** Labels of the pods it creates (Deployments, Jobs, CronJobs). */
  podLabels?: Labels;
  /** Pods it selects (Deployments, Services). */
  selector?: Selector;
}

/**
 * A record from a whole object, or undefined for objects that neither create nor select pods of
 * interest (and for Jobs created by a CronJob: their CronJob stands for them).
 */
export function recordOf(kind: SelectingKind, obj: unknown): WorkloadRecord | undefined {
  if (!isPlainObject(obj)) return undefined;
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : {};
  const name = stringField(metadata, 'name') ?? stringField(metadata, 'generateName') ?? '';
  const namespace = stringField(metadata, 'namespace') ?? '';
  if (kind === 'Service') {
    const selector = mapSelector(getObjectAt(obj, ['spec'])?.selector);
    return selector ? { kind, namespace, name, selector } : undefined;
  }
  if (kind === 'Job' && isOwnedByCronJob(metadata)) return undefined;
  const template = podTemplateOf(obj, kind);
  const podLabels = stringMap(isPlainObject(template?.metadata) ? (template?.metadata as Record<string, unknown>).labels : undefined);
  const record: WorkloadRecord = { kind, namespace, name, podLabels };
  if (kind === 'Deployment') record.selector = labelSelector(getObjectAt(obj, ['spec', 'selector']));
  return record;
}

export function sameObject(a: WorkloadRecord, b: WorkloadRecord): boolean {
  return a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

export function ref(r: WorkloadRecord): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}
