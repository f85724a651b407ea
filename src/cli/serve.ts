import { basename, dirname, relative } from 'node:path';
import type { Logger } from 'pino';
import { formatHelp, parseOptions, UsageError, type OptionSpec } from './options.js';
import { CLUSTER_FLAGS, LOGGING_FLAGS, MUTATION_FLAGS, mutationSettings } from './flags.js';
import { createLogger, type LogLevel } from '../observability/log.js';
import { Metrics } from '../observability/metrics.js';
import { startServe, type RunningWebhook, type ServeConfig, type Sources } from '../serve.js';
import { ensureCertificates, LOCALHOST_HOSTS } from '../certs/files.js';
import { EXAMPLE_CONTROLLER_FILE, EXAMPLE_REVIEW_FILE } from '../paths.js';
import { readControllerFile } from '../sources/controller-file.js';
import { GlobalModeSource, StaticTolerationSource } from '../sources/static.js';
import type { TolerationSource } from '../sources/types.js';

export const SERVE_FLAGS: readonly OptionSpec[] = [
  { name: 'port', type: 'number', default: 8443, integer: true, min: 0, max: 65535, description: 'HTTPS port of POST /mutate' },
  { name: 'health-port', type: 'number', default: 8080, integer: true, min: 0, max: 65535, description: 'Plain HTTP port of /healthz, /readyz and /metrics' },
  { name: 'host', type: 'string', default: '0.0.0.0', description: 'Address to listen on' },
  { name: 'tls-cert', type: 'string', default: 'certs/tls.crt', description: 'Serving certificate (PEM); reloaded when the file changes' },
  { name: 'tls-key', type: 'string', default: 'certs/tls.key', description: 'Serving private key (PEM); reloaded when the file changes' },
  { name: 'client-ca', type: 'string', description: 'Require callers to present a client certificate signed by this CA (PEM)' },
  { name: 'standalone', type: 'boolean', default: false, description: 'No cluster: generate missing localhost certificates, read tolerations from --controller-file, treat every namespace with --mode' },
  ...MUTATION_FLAGS,
  ...CLUSTER_FLAGS,
  { name: 'namespace', type: 'string', default: '', format: 'dns-label', description: 'The webhook\'s own namespace, never mutated (set from the pod\'s namespace in deploy/)' },
  { name: 'detect-collisions', type: 'boolean', default: false, description: 'Warn when a workload\'s pods are selected by another Deployment or Service (caches their selectors cluster-wide; needs list/watch on deployments, services, jobs, cronjobs)' },
  { name: 'resync-seconds', type: 'number', default: 300, min: 1, description: 'Full relist period of the cluster caches (jittered)' },
  { name: 'watch-timeout-seconds', type: 'number', default: 290, min: 1, description: 'Server-side bound of each watch request (jittered)' },
  { name: 'self-managed-certs', type: 'boolean', default: false, description: 'Issue and renew the serving certificate in-cluster: the Secret --tls-secret is the source of truth, the pair is written to the --tls-cert/--tls-key directory, the webhook\'s caBundle is kept in sync (needs --namespace)' },
  { name: 'tls-secret', type: 'string', default: 'fleet-webhook-tls', format: 'dns-subdomain', description: 'Secret holding the certificate, with --self-managed-certs' },
  { name: 'service-name', type: 'string', default: 'fleet-webhook', format: 'dns-1035-label', description: 'Service the certificate is for, with --self-managed-certs' },
  { name: 'webhook-name', type: 'string', default: 'fleet-webhook', format: 'dns-subdomain', description: 'MutatingWebhookConfiguration whose caBundle is kept in sync, with --self-managed-certs' },
  { name: 'cert-check-seconds', type: 'number', default: 3600, min: 1, description: 'How often the Secret is checked for renewal, with --self-managed-certs' },
  { name: 'cert-reload-seconds', type: 'number', default: 10, min: 1, description: 'How often the certificate files are checked for changes' },
  { name: 'deadline-ms', type: 'number', default: 4000, min: 1, max: 30_000, description: 'A request that waited longer is allowed unchanged with a warning (keep below the webhook timeoutSeconds)' },
  { name: 'max-in-flight', type: 'number', default: 512, integer: true, min: 1, description: 'Requests handled at once beyond which new ones get a fast 503' },
  { name: 'shutdown-delay-ms', type: 'number', min: 0, defaultText: '5000, 0 with --standalone', description: 'After SIGTERM, keep serving with readiness failing this long before closing' },
  ...LOGGING_FLAGS,
];

const USAGE = 'fleet-webhook serve [flags]';
const SUMMARY = 'Serve the mutating admission webhook over HTTPS.';

export async function serveCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v, help } = parseOptions(SERVE_FLAGS, argv, env);
  if (help) {
    process.stdout.write(formatHelp(USAGE, SUMMARY, SERVE_FLAGS));
    return 0;
  }
  const settings = mutationSettings(v);
  const standalone = v.standalone === true;
  const log = createLogger(v['log-level'] as LogLevel);
  const tlsCert = String(v['tls-cert']);
  const tlsKey = String(v['tls-key']);
  if (standalone && (await ensureCertificates(dirname(tlsCert), tlsCert, tlsKey, LOCALHOST_HOSTS))) {
    log.info({ dir: dirname(tlsCert) }, 'generated a CA and a localhost serving certificate');
  }
  const certificates = v['self-managed-certs'] ? await startCertificateManager(v, standalone, tlsCert, tlsKey, log) : undefined;
  const config: ServeConfig = {
    host: String(v.host),
    port: Number(v.port),
    healthPort: Number(v['health-port']),
    tlsCert,
    tlsKey,
    clientCa: (v['client-ca'] as string | undefined) || undefined,
    certReloadIntervalMs: Number(v['cert-reload-seconds']) * 1000,
    mode: settings.mode,
    componentLabelKey: settings.componentLabelKey,
    extraTolerations: settings.extraTolerations,
    ownNamespace: (v.namespace as string) || undefined,
    deadlineMs: Number(v['deadline-ms']),
    maxInFlight: Number(v['max-in-flight']),
    shutdownDelayMs: v['shutdown-delay-ms'] !== undefined ? Number(v['shutdown-delay-ms']) : standalone ? 0 : 5000,
  };
  const metrics = new Metrics();
  const sources = await buildSources(v, standalone, settings.mode, log, metrics);
  let running: RunningWebhook;
  try {
    running = await startServe(config, { sources, log, metrics });
  } catch (err) {
    sources.stop();
    certificates?.stop();
    throw err;
  }
  if (standalone) printTryIt(running.port, tlsCert);
  await waitForSignal(running, log);
  return 0;
}

async function buildSources(v: Record<string, unknown>, standalone: boolean, mode: ServeConfig['mode'], log: Logger, metrics: Metrics): Promise<Sources> {
  const controllerName = String(v['controller-name']);
  let controllerFile = v['controller-file'] as string | undefined;
  if (standalone && !controllerFile) controllerFile = EXAMPLE_CONTROLLER_FILE;
  let tolerations: TolerationSource | undefined;
  if (controllerFile) {
    tolerations = new StaticTolerationSource(await readControllerFile(controllerFile, controllerName));
    log.info({ controllerFile, tolerations: tolerations.snapshot().tolerations.length }, 'controller tolerations read from file');
  }
  if (standalone) {
    return { tolerations: tolerations as TolerationSource, modes: new GlobalModeSource(mode), checks: [], stop: () => {} };
  }
  const { startClusterSources } = await import('../sources/cluster/index.js');
  return startClusterSources({
    kubeconfig: v.kubeconfig as string | undefined,
    context: v.context as string | undefined,
    controllerNamespace: String(v['controller-namespace']),
    controllerName,
    staticTolerations: tolerations,
    resyncMs: Number(v['resync-seconds']) * 1000,
    watchTimeoutSeconds: Number(v['watch-timeout-seconds']),
    log: log.child({ component: 'sources' }),
    detectCollisions: v['detect-collisions'] === true,
    hooks: {
      onRestart: (source, reason) => metrics.sourceRestarted(source, reason),
      onSync: (source) => metrics.sourceSynced(source),
      onNamespaceLookup: (result) => metrics.namespaceLookedUp(result),
    },
  });
}

/**
 * --self-managed-certs: the first check must succeed before serving (with retries, since the API
 * server may be briefly unreachable at start); later checks run in the background.
 */
async function startCertificateManager(v: Record<string, unknown>, standalone: boolean, tlsCert: string, tlsKey: string, log: Logger) {
  if (standalone) throw new UsageError('--self-managed-certs needs a cluster; it cannot be used with --standalone');
  const namespace = String(v.namespace ?? '');
  if (!namespace) throw new UsageError('--self-managed-certs needs --namespace (the webhook\'s own namespace, where the Secret lives)');
  if (dirname(tlsCert) !== dirname(tlsKey) || basename(tlsCert) !== 'tls.crt' || basename(tlsKey) !== 'tls.key') {
    throw new UsageError('--self-managed-certs writes tls.crt and tls.key into one directory: set --tls-cert DIR/tls.crt and --tls-key DIR/tls.key');
  }
  const { CertificateManager, DEFAULT_RENEW_BEFORE_MS } = await import('../certs/self-managed.js');
  const { loadKubeConfig } = await import('../kube/kubeconfig.js');
  const manager = new CertificateManager({
    kubeConfig: loadKubeConfig(v.kubeconfig as string | undefined, v.context as string | undefined),
    namespace,
    secretName: String(v['tls-secret']),
    webhookName: String(v['webhook-name']),
    service: String(v['service-name']),
    dir: dirname(tlsCert),
    renewBeforeMs: DEFAULT_RENEW_BEFORE_MS,
    log: log.child({ component: 'certificates' }),
  });
  for (let attempt = 1; ; attempt++) {
    try {
      await manager.ensure();
      break;
    } catch (err) {
      if (attempt >= 8) throw new Error(`cannot obtain a serving certificate: ${(err as Error).message}`);
      const delay = Math.min(15_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      log.warn({ err: (err as Error).message, retryInMs: Math.round(delay) }, 'certificate check failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  manager.start(Number(v['cert-check-seconds']) * 1000);
  return manager;
}

function printTryIt(port: number, tlsCert: string): void {
  const ca = relative(process.cwd(), `${dirname(tlsCert)}/ca.crt`) || 'ca.crt';
  const review = relative(process.cwd(), EXAMPLE_REVIEW_FILE);
  process.stderr.write(
    `\nfleet-webhook is serving https://localhost:${port}/mutate (standalone). Try it:\n\n` +
      `  curl --cacert ${ca} -H 'Content-Type: application/json' --data @${review} https://localhost:${port}/mutate\n\n` +
      `The answer's response.patch is base64; decode it with:\n` +
      `  curl -s --cacert ${ca} -H 'Content-Type: application/json' --data @${review} https://localhost:${port}/mutate | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify(JSON.parse(Buffer.from(JSON.parse(s).response.patch,'base64')),null,2)))"\n\n`,
  );
}

function waitForSignal(running: RunningWebhook, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'signal received');
      running.shutdown().then(() => {
        log.flush();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
