import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { MutatingHandler, DEFAULT_PROTECTED_NAMESPACES } from './admission/handler.js';
import type { Toleration } from './mutation/types.js';
import { CHANGE_ANNOTATION } from './mutation/mutate.js';
import { createAdmissionServer } from './server/https-server.js';
import type { Metrics } from './observability/metrics.js';
import type { WorkloadIndex } from './collisions/detect.js';
import { createHealthServer, type ReadinessCheck } from './server/health-server.js';
import { CertificateReloader, loadTlsMaterial } from './server/tls.js';
import { nudgeMemoryReducerWhenIdle } from './runtime/memory-reducer.js';
import type { Mode, NamespaceModeSource, TolerationSource } from './sources/types.js';

export interface ServeConfig {
  host: string;
  port: number;
  healthPort: number;
  tlsCert: string;
  tlsKey: string;
  clientCa?: string;
  certReloadIntervalMs: number;
  mode: Mode;
  componentLabelKey: string;
  extraTolerations: Toleration[];
  /** The webhook's own namespace: never mutated. */
  ownNamespace?: string;
  deadlineMs: number;
  maxInFlight: number;
  /** After SIGTERM: keep serving (readiness failing) this long so endpoints drop the pod first. */
  shutdownDelayMs: number;
}

/** Where tolerations and namespace modes come from, with what readiness and metrics need of them. */
export interface Sources {
  tolerations: TolerationSource;
  modes: NamespaceModeSource;
  checks: readonly ReadinessCheck[];
  /** Per cluster source: synced and in contact. Empty without a cluster. */
  connections?: () => { name: string; connected: boolean }[];
  /** Existing selectors and pod labels, when collision detection is on. */
  workloads?: WorkloadIndex;
  stop(): void;
}

export interface RunningWebhook {
  port: number;
  healthPort: number;
  handler: MutatingHandler;
  reloader: CertificateReloader;
  isReady(): boolean;
  /** Stop accepting, finish in-flight requests, close everything. */
  shutdown(): Promise<void>;
}

export interface ServeDependencies {
  sources: Sources;
  log: Logger;
  metrics?: Metrics;
}

export async function startServe(config: ServeConfig, deps: ServeDependencies): Promise<RunningWebhook> {
  const { log, sources } = deps;
  const tlsPaths = { certFile: config.tlsCert, keyFile: config.tlsKey, clientCaFile: config.clientCa };
  const tls = await loadTlsMaterial(tlsPaths);
  const protectedNamespaces = new Set(DEFAULT_PROTECTED_NAMESPACES);
  if (config.ownNamespace) protectedNamespaces.add(config.ownNamespace);

  const handler = new MutatingHandler({
    componentLabelKey: config.componentLabelKey,
    changeAnnotationKey: CHANGE_ANNOTATION,
    globalMode: config.mode,
    extraTolerations: config.extraTolerations,
    tolerationSource: sources.tolerations,
    modeSource: sources.modes,
    protectedNamespaces,
    log: log.child({ component: 'admission' }),
    workloads: sources.workloads,
  });
  const server = createAdmissionServer({
    handler,
    tls,
    requireClientCert: Boolean(config.clientCa),
    log: log.child({ component: 'https' }),
    deadlineMs: config.deadlineMs,
    maxInFlight: config.maxInFlight,
    observer: deps.metrics,
  });
  const reloader = new CertificateReloader(tlsPaths, tls, (m) => server.setTls(m), log.child({ component: 'tls' }));

  let shuttingDown = false;
  let listening = false;
  const tlsCheck: ReadinessCheck = {
    name: 'certificate',
    check: () => ({ ok: listening, detail: `expires ${reloader.material().notAfter.toISOString()}` }),
  };
  const checks = [tlsCheck, ...sources.checks];
  const metrics = deps.metrics;
  metrics?.track({
    certificateNotAfter: () => reloader.material().notAfter,
    inFlight: () => server.inFlight(),
    sources: sources.connections,
    controllerTolerations: () => {
      const snap = sources.tolerations.snapshot();
      return snap.warning ? undefined : snap.tolerations.length;
    },
  });
  const health: HttpServer = createHealthServer({ checks: () => checks, shuttingDown: () => shuttingDown, metrics: metrics && (() => metrics.expose()) });

  await server.app.listen({ host: config.host, port: config.port });
  listening = true;
  await new Promise<void>((resolve, reject) => {
    health.once('error', reject);
    health.listen(config.healthPort, config.host, () => resolve());
  });
  reloader.start(config.certReloadIntervalMs);
  const memoryReducer = nudgeMemoryReducerWhenIdle(() => server.requestsReceived());
  const port = (server.app.server.address() as AddressInfo).port;
  const healthPort = (health.address() as AddressInfo).port;

  const isReady = () => !shuttingDown && checks.every((c) => c.check().ok);
  log.info({ port, healthPort, mode: config.mode, startupMs: Math.round(performance.now()) }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    healthPort,
    handler,
    reloader,
    isReady,
    shutdown() {
      closing ??= (async () => {
        shuttingDown = true;
        log.info({ delayMs: config.shutdownDelayMs, inFlight: server.inFlight() }, 'shutting down');
        if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
        reloader.stop();
        memoryReducer.stop();
        sources.stop();
        await server.app.close();
        const healthClosed = new Promise<void>((resolve) => health.close(() => resolve()));
        health.closeAllConnections();
        await healthClosed;
        log.info('shut down');
      })();
      return closing;
    },
  };
}
