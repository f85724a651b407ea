import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { RecordIndex } from '../../collisions/record-index.js';
import { recordOf, type SelectingKind } from '../../collisions/workloads.js';
import type { KubeObject, ListWatchTarget, ReflectorStore } from './reflector.js';

type Lister = (token: string | undefined) => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string; _continue?: string } }>;

/** Cluster-wide list+watch targets of the four kinds whose selectors and pod labels collide. */
export function workloadTargets(kc: KubeConfig): { kind: SelectingKind; target: ListWatchTarget<KubeObject> }[] {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const limit = 500;
  const kinds: { kind: SelectingKind; path: string; list: Lister }[] = [
    { kind: 'Deployment', path: '/apis/apps/v1/deployments', list: (t) => apps.listDeploymentForAllNamespaces({ _continue: t, limit }) },
    { kind: 'Service', path: '/api/v1/services', list: (t) => core.listServiceForAllNamespaces({ _continue: t, limit }) },
    { kind: 'Job', path: '/apis/batch/v1/jobs', list: (t) => batch.listJobForAllNamespaces({ _continue: t, limit }) },
    { kind: 'CronJob', path: '/apis/batch/v1/cronjobs', list: (t) => batch.listCronJobForAllNamespaces({ _continue: t, limit }) },
  ];
  return kinds.map(({ kind, path, list }) => ({
    kind,
    target: {
      name: `${kind.toLowerCase()}s`,
      async list(token) {
        const l = await list(token);
        return { items: l.items as KubeObject[], resourceVersion: l.metadata?.resourceVersion ?? '', continueToken: l.metadata?._continue };
      },
      watchPath: path,
      watchQuery: {},
    },
  }));
}

/** Keeps only the small record of each object (see recordOf), never the object. */
export class WorkloadRecordStore implements ReflectorStore<KubeObject> {
  constructor(
    private readonly kind: SelectingKind,
    private readonly index: RecordIndex,
  ) {}

  replace(items: KubeObject[]): void {
    const records = [];
    for (const item of items) {
      const r = recordOf(this.kind, item);
      if (r) records.push(r);
    }
    this.index.replaceKind(this.kind, records);
  }

  upsert(item: KubeObject): void {
    const r = recordOf(this.kind, item);
    if (r) this.index.set(r);
    else this.remove(item);
  }

  remove(item: KubeObject): void {
    this.index.delete(this.kind, item.metadata?.namespace ?? '', item.metadata?.name ?? '');
  }
}
