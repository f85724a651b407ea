import { AppsV1Api, type KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import type { Toleration } from '../../mutation/types.js';
import { tolerationIdentity } from '../../mutation/tolerations.js';
import { controllerTolerations } from '../controller-file.js';
import type { TolerationSnapshot, TolerationSource } from '../types.js';
import type { ListWatchTarget, ReflectorStore } from './reflector.js';

/** The one controller Deployment, listed and watched by a field selector on its name. */
export function controllerTarget(kc: KubeConfig, namespace: string, name: string): ListWatchTarget<V1Deployment> {
  const api = kc.makeApiClient(AppsV1Api);
  const fieldSelector = `metadata.name=${name}`;
  return {
    name: 'controller',
    async list(token) {
      const list = await api.listNamespacedDeployment({ namespace, fieldSelector, _continue: token, limit: 50 });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?._continue };
    },
    watchPath: `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
    watchQuery: { fieldSelector },
  };
}

/**
 * Keeps the controller's pod-template tolerations. Admissions read `snapshot()`, which returns the
 * same object until the tolerations really change, so the handler can cache its merged set.
 */
export class ControllerTolerationStore implements ReflectorStore<V1Deployment>, TolerationSource {
  private snap: TolerationSnapshot;
  private identity = '';

  constructor(
    private readonly namespace: string,
    private readonly name: string,
    /** `missing` says why there are none: `not found`, or `tolerations unreadable: ` and why. */
    private readonly onChange?: (tolerations: readonly Toleration[] | undefined, missing?: string) => void,
  ) {
    this.snap = { tolerations: [], warning: this.missingWarning('not synced yet') };
  }

  snapshot(): TolerationSnapshot {
    return this.snap;
  }

  replace(items: V1Deployment[]): void {
    const mine = items.find((d) => d.metadata?.name === this.name);
    if (mine) this.upsert(mine);
    else this.setMissing('not found');
  }

  upsert(item: V1Deployment): void {
    if (item.metadata?.name !== this.name) return;
    let tolerations: Toleration[];
    try {
      tolerations = controllerTolerations(item, `${this.namespace}/${this.name}`);
    } catch (err) {
      // Said in every admission's warning (which must stay short) and in the log with the detail,
      // rather than adding nothing silently.
      this.setMissing('tolerations unreadable', (err as Error).message);
      return;
    }
    const identity = 'found:' + tolerations.map(tolerationIdentity).join('\n');
    if (identity === this.identity) return;
    this.identity = identity;
    this.snap = { tolerations };
    this.onChange?.(tolerations);
  }

  remove(item: V1Deployment): void {
    if (item.metadata?.name === this.name) this.setMissing('not found');
  }

  private setMissing(why: string, detail?: string): void {
    const identity = `missing:${why}:${detail ?? ''}`;
    if (identity === this.identity) return;
    this.identity = identity;
    this.snap = { tolerations: [], warning: this.missingWarning(why) };
    this.onChange?.(undefined, detail ? `${why}: ${detail}` : why);
  }

  private missingWarning(why: string): string {
    return `fleet-webhook: controller ${this.namespace}/${this.name} ${why}; no controller tolerations added`;
  }
}
