import type { Logger } from 'pino';
import type { Sources } from '../../serve.js';
import type { ReadinessCheck } from '../../server/health-server.js';
import type { TolerationSource } from '../types.js';
import { loadKubeConfig } from '../../kube/kubeconfig.js';
import { ControllerTolerationStore, controllerTarget } from './controller.js';
import { NamespaceModeStore, namespaceReader, namespaceTarget, type LookupResult } from './namespaces.js';
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
  /** A list page not answered within this is retried (default 60 s). */
  listTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A namespace the watch has not delivered yet is read live; an admission waits this long for it (default 1000). */
  namespaceLookupTimeoutMs?: number;
  /** How long such an answer stands in for the watch (default 30 s). */
  namespaceLookupRememberMs?: number;
  log: Logger;
  hooks?: Pick<ReflectorOptions, 'onRestart' | 'onSync'> & { onNamespaceLookup?: (result: LookupResult) => void };
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
    listTimeoutMs: opts.listTimeoutMs,
    backoffInitialMs: opts.backoffInitialMs,
    backoffMaxMs: opts.backoffMaxMs,
    onRestart: opts.hooks?.onRestart,
    onSync: opts.hooks?.onSync,
  };
  const namespaces = new NamespaceModeStore({
    read: namespaceReader(kc),
    timeoutMs: opts.namespaceLookupTimeoutMs ?? 1000,
    rememberMs: opts.namespaceLookupRememberMs ?? 30_000,
    ratePerSecond: 5,
    burst: 20,
    onLookup: (namespace, result, detail) => {
      opts.hooks?.onNamespaceLookup?.(result);
      // One line per read (a read slower than the timeout shows here with its ms); throttled
      // lookups come in floods, if at all: the metric counts them, the log only at debug.
      if (result === 'failed') opts.log.warn({ namespace, err: detail?.error, ms: detail?.ms }, 'namespace not in the cache yet, and reading it failed');
      else if (result === 'throttled') opts.log.debug({ namespace }, 'namespace not in the cache yet; over the lookup rate, not asked');
      else opts.log.info({ namespace, result, ms: detail?.ms }, 'namespace not in the cache yet; read it from the API server');
    },
  });
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
