import type { Logger } from 'pino';
import type { Sources } from '../../serve.js';
import type { ReadinessCheck } from '../../server/health-server.js';
import type { TolerationSource } from '../types.js';
import { loadKubeConfig } from './kubeconfig.js';
import { ControllerTolerationStore, controllerTarget } from './controller.js';
import { NamespaceModeStore, namespaceTarget } from './namespaces.js';
import { Reflector, type KubeObject, type ReflectorOptions } from './reflector.js';
import { WorkloadRecordStore, workloadTargets } from './workloads.js';
import { RecordIndex } from '../../collisions/record-index.js';

export interface ClusterSourceOptions {
  kubeconfig?: string;
  context?: string;
  controllerNamespace: string;
  controllerName: string;
  /** When set (from --controller-file), tolerations come from here and only namespaces are watched. */
  staticTolerations?: TolerationSource;
  resyncMs: number;
  watchTimeoutSeconds: number;
  /** Silence after which a watch is presumed dead; default: the watch timeout plus 30 s. */
  watchdogMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  log: Logger;
  hooks?: Pick<ReflectorOptions, 'onRestart' | 'onSync'>;
  /** Also cache Deployment/Service selectors and pod labels cluster-wide (needs list/watch on them). */
  detectCollisions?: boolean;
}

export interface ClusterSources extends Sources {
  reflectors: Reflector<KubeObject>[];
  controller?: ControllerTolerationStore;
  namespaces: NamespaceModeStore;
  workloads?: RecordIndex;
}

/**
 * Starts the list+watch loops and returns at once: readiness (not this call) waits for the first
 * list, so a webhook started while the API server is down comes up as soon as it answers.
 */
export function startClusterSources(opts: ClusterSourceOptions): ClusterSources {
  const kc = loadKubeConfig(opts.kubeconfig, opts.context);
  const reflectorOptions: ReflectorOptions = {
    kubeConfig: kc,
    log: opts.log,
    watchTimeoutSeconds: opts.watchTimeoutSeconds,
    resyncMs: opts.resyncMs,
    watchdogMs: opts.watchdogMs ?? opts.watchTimeoutSeconds * 1000 + 30_000,
    backoffInitialMs: opts.backoffInitialMs,
    backoffMaxMs: opts.backoffMaxMs,
    ...opts.hooks,
  };
  const namespaces = new NamespaceModeStore();
  const reflectors: Reflector<KubeObject>[] = [new Reflector(namespaceTarget(kc), namespaces, reflectorOptions) as Reflector<KubeObject>];
  let controller: ControllerTolerationStore | undefined;
  if (!opts.staticTolerations) {
    const { controllerNamespace: ns, controllerName: name } = opts;
    controller = new ControllerTolerationStore(ns, name, (t, missing) =>
      t
        ? opts.log.info({ namespace: ns, name, tolerations: t.length }, 'controller tolerations updated')
        : opts.log.warn({ namespace: ns, name, reason: missing }, 'no controller tolerations to add'),
    );
    reflectors.push(new Reflector(controllerTarget(kc, ns, name), controller, reflectorOptions) as Reflector<KubeObject>);
  }
  let workloads: RecordIndex | undefined;
  if (opts.detectCollisions) {
    const index = (workloads = new RecordIndex());
    for (const { kind, target } of workloadTargets(kc)) {
      reflectors.push(new Reflector(target, new WorkloadRecordStore(kind, index), reflectorOptions));
    }
  }
  for (const r of reflectors) r.start();

  const checks: ReadinessCheck[] = reflectors.map((r) => ({
    name: `source ${r.name}`,
    check: () => {
      const st = r.status();
      if (!st.synced) return { ok: false, detail: `not synced${st.lastError ? ` (${st.lastError})` : ''}` };
      const age = Math.round((Date.now() - st.lastContactMs) / 1000);
      // After the first sync, a lost API server keeps the last known state: ready, but say it is stale.
      const detail = r.inContact() ? `synced, last contact ${age}s ago` : `stale for ${age}s (${st.lastError})`;
      return { ok: true, detail };
    },
  }));
  return {
    tolerations: opts.staticTolerations ?? (controller as ControllerTolerationStore),
    modes: namespaces,
    checks,
    connections: () => reflectors.map((r) => ({ name: r.name, connected: r.inContact() })),
    reflectors,
    controller,
    namespaces,
    workloads,
    stop: () => reflectors.forEach((r) => r.stop()),
  };
}
