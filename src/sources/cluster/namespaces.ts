import { CoreV1Api, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { MODE_LABEL, parseMode, type Mode, type NamespaceModeSource } from '../types.js';
import type { ListWatchTarget, ReflectorStore } from './reflector.js';

/** Only namespaces carrying the opt-in label are listed and watched. */
export function namespaceTarget(kc: KubeConfig): ListWatchTarget<V1Namespace> {
  const api = kc.makeApiClient(CoreV1Api);
  const labelSelector = MODE_LABEL;
  return {
    name: 'namespaces',
    async list(token) {
      const list = await api.listNamespace({ labelSelector, _continue: token, limit: 500 });
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continueToken: list.metadata?._continue };
    },
    watchPath: '/api/v1/namespaces',
    watchQuery: { labelSelector },
  };
}

/** name -> mode of every opted-in namespace; a namespace not in the map is not mutated. */
export class NamespaceModeStore implements ReflectorStore<V1Namespace>, NamespaceModeSource {
  private modes = new Map<string, Mode>();

  modeFor(namespace: string): Mode | undefined {
    return this.modes.get(namespace);
  }

  replace(items: V1Namespace[]): void {
    const next = new Map<string, Mode>();
    for (const ns of items) {
      const mode = parseMode(ns.metadata?.labels?.[MODE_LABEL]);
      if (ns.metadata?.name && mode) next.set(ns.metadata.name, mode);
    }
    this.modes = next;
  }

  upsert(item: V1Namespace): void {
    const name = item.metadata?.name;
    if (!name) return;
    const mode = parseMode(item.metadata?.labels?.[MODE_LABEL]);
    if (mode) this.modes.set(name, mode);
    else this.modes.delete(name);
  }

  remove(item: V1Namespace): void {
    if (item.metadata?.name) this.modes.delete(item.metadata.name);
  }
}
