import type { WorkloadIndex } from './detect.js';
import type { SelectingKind, WorkloadRecord } from './workloads.js';

/** Records by namespace: a lookup touches only the namespace of the workload being admitted. */
export class RecordIndex implements WorkloadIndex {
  private readonly byNamespace = new Map<string, Map<string, WorkloadRecord>>();

  inNamespace(namespace: string): Iterable<WorkloadRecord> {
    return this.byNamespace.get(namespace)?.values() ?? [];
  }

  set(record: WorkloadRecord): void {
    let ns = this.byNamespace.get(record.namespace);
    if (!ns) this.byNamespace.set(record.namespace, (ns = new Map()));
    ns.set(`${record.kind}/${record.name}`, record);
  }

  delete(kind: SelectingKind, namespace: string, name: string): void {
    const ns = this.byNamespace.get(namespace);
    ns?.delete(`${kind}/${name}`);
    if (ns?.size === 0) this.byNamespace.delete(namespace);
  }

  /** Replaces every record of one kind (after a full list). */
  replaceKind(kind: SelectingKind, records: Iterable<WorkloadRecord>): void {
    for (const [namespace, ns] of this.byNamespace) {
      for (const [key, r] of ns) if (r.kind === kind) ns.delete(key);
      if (ns.size === 0) this.byNamespace.delete(namespace);
    }
    for (const r of records) this.set(r);
  }
}
