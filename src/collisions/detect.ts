import { describeSelector, matches } from './selector.js';
import { ref, sameObject, type WorkloadRecord } from './workloads.js';

export interface Collision {
  /** The object whose selector matches. */
  selector: WorkloadRecord;
  /** The workload whose pods it matches (not its own). */
  pods: WorkloadRecord;
  /** For a Service: the workload it is taken to serve, whose pods it also selects. */
  alsoSelects?: WorkloadRecord;
  /** The selector's terms, e.g. `app=fleet, chart=fleet`. */
  terms: string;
}

/** Anything holding the records of one namespace (a cluster cache, or manifests read offline). */
export interface WorkloadIndex {
  inNamespace(namespace: string): Iterable<WorkloadRecord>;
}

/**
 * Collisions that `subject` (a workload as it will be created, after mutation) takes part in:
 * a Deployment selecting the subject's pods; the subject (a Deployment) selecting other workloads'
 * pods; a Service selecting the subject's pods together with another workload's. A Service that
 * selects only the subject's pods is taken to be its own.
 */
export function collisionsOf(subject: WorkloadRecord, index: WorkloadIndex): Collision[] {
  const found: Collision[] = [];
  const others = [...index.inNamespace(subject.namespace)].filter((o) => !sameObject(o, subject));
  const podLabels = subject.podLabels;
  for (const other of others) {
    if (!other.selector) continue;
    if (other.kind === 'Deployment' && podLabels && matches(other.selector, podLabels)) {
      found.push({ selector: other, pods: subject, terms: describeSelector(other.selector) });
    }
    if (other.kind === 'Service' && podLabels && matches(other.selector, podLabels)) {
      const sel = other.selector;
      const alsoSelects = others.find((w) => w.podLabels && w.kind !== 'Service' && matches(sel, w.podLabels));
      if (alsoSelects) found.push({ selector: other, pods: subject, alsoSelects, terms: describeSelector(sel) });
    }
  }
  if (subject.kind === 'Deployment' && subject.selector) {
    for (const other of others) {
      if (other.kind !== 'Service' && other.podLabels && matches(subject.selector, other.podLabels)) {
        found.push({ selector: subject, pods: other, terms: describeSelector(subject.selector) });
      }
    }
  }
  return found;
}

/** Every collision among the records of one namespace, each pair once. */
export function collisionsAmong(records: readonly WorkloadRecord[]): Collision[] {
  const found: Collision[] = [];
  const workloads = records.filter((r) => r.kind !== 'Service' && r.podLabels);
  for (const owner of records) {
    if (!owner.selector) continue;
    const selected = workloads.filter((w) => !sameObject(w, owner) && matches(owner.selector!, w.podLabels!));
    if (owner.kind === 'Deployment') {
      for (const w of selected) found.push({ selector: owner, pods: w, terms: describeSelector(owner.selector) });
    } else if (selected.length > 1) {
      // A Service is taken to serve the first workload it selects (a Deployment if any).
      const served = selected.find((w) => w.kind === 'Deployment') ?? selected[0];
      for (const w of selected) if (w !== served) found.push({ selector: owner, pods: w, alsoSelects: served, terms: describeSelector(owner.selector) });
    }
  }
  return found;
}

/** One line for a warning or a table (kept under the API server's 120-character advice by the caller). */
export function describeCollision(c: Collision, componentLabelKey: string): string {
  if (c.selector.kind === 'Service') {
    return `${ref(c.selector)} (${c.terms}) selects pods of ${ref(c.pods)} and ${ref(c.alsoSelects!)}; add ${componentLabelKey} to its selector`;
  }
  return `${ref(c.selector)} selector (${c.terms}) matches pods of ${ref(c.pods)}`;
}

/**
 * The same collision as seen from the workload being admitted, short enough for an admission warning
 * (the API server advises under 120 characters): objects first, selector terms last.
 */
export function describeForSubject(c: Collision, subject: WorkloadRecord): string {
  const name = (r: WorkloadRecord) => `${r.kind} ${r.name}`;
  if (c.selector === subject) return `this selector also matches pods of ${name(c.pods)} (${c.terms})`;
  if (c.selector.kind === 'Service') return `${name(c.selector)} selects these pods and ${name(c.alsoSelects!)}'s (${c.terms})`;
  return `${name(c.selector)} also selects these pods (${c.terms})`;
}
