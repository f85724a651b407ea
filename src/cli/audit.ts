import { formatHelp, parseOptions, UsageError, type OptionSpec } from './options.js';
import { CLUSTER_FLAGS, MUTATION_FLAGS, mutationSettings } from './flags.js';
import type { CommandIo } from './mutate.js';
import { findingsOf, formatTable, type Finding, type ObjectOfKind } from '../audit/findings.js';
import { mergeTolerationSets } from '../mutation/tolerations.js';
import { readControllerFile, controllerTolerations } from '../sources/controller-file.js';
import { MODE_LABEL, parseMode } from '../sources/types.js';
import type { Toleration } from '../mutation/types.js';

export const AUDIT_FLAGS: readonly OptionSpec[] = [
  ...MUTATION_FLAGS.filter((f) => f.name !== 'mode'),
  ...CLUSTER_FLAGS,
  { name: 'namespace', short: 'n', type: 'string', format: 'dns-label', description: 'Audit only this namespace' },
  { name: 'all-namespaces', short: 'A', type: 'boolean', default: false, description: 'Audit every namespace, opted in or not' },
  { name: 'output', short: 'o', type: 'string', default: 'table', choices: ['table', 'json'], description: 'Report format' },
];

const USAGE = 'fleet-webhook audit [--namespace NS | --all-namespaces] [-o table|json]';
const SUMMARY =
  'Report, for every opted-in namespace (or --namespace / --all-namespaces): workloads missing controller tolerations,\n' +
  'pod templates without the component label, Deployment selectors without it, selector collisions (both objects named),\n' +
  'and namespaces where Fleet runs workloads without the opt-in label. Read-only.\n' +
  'Exit codes: 0 clean, 1 findings, 2 errors (cluster unreachable, forbidden).';

/** Namespaces Fleet creates or runs workloads in (see fleet-facts): these should opt in. */
const FLEET_NAMESPACES = ['cattle-fleet-system', 'cattle-fleet-local-system', 'cattle-fleet-clusters-system', 'fleet-local', 'fleet-default'];
const GITJOB_LABEL = 'fleet.cattle.io/gitrepo-generation';

export async function auditCommand(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const { values: v, help } = parseOptions(AUDIT_FLAGS, argv, env);
  if (help) {
    io.stdout.write(formatHelp(USAGE, SUMMARY, AUDIT_FLAGS));
    return 0;
  }
  if (v.namespace && v['all-namespaces']) throw new UsageError('--namespace and --all-namespaces exclude each other');
  const settings = mutationSettings({ ...v, mode: 'enforce' });
  const k8s = await import('@kubernetes/client-node');
  const { loadKubeConfig } = await import('../kube/kubeconfig.js');
  const { controllerTarget } = await import('../sources/cluster/controller.js');
  let kc;
  try {
    kc = loadKubeConfig(v.kubeconfig as string | undefined, v.context as string | undefined);
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const notes: string[] = [];
  try {
    const controllerName = String(v['controller-name']);
    const controllerNamespace = String(v['controller-namespace']);
    let controller: Toleration[] = [];
    if (v['controller-file']) controller = await readControllerFile(String(v['controller-file']), controllerName);
    else {
      const list = await controllerTarget(kc, controllerNamespace, controllerName).list(undefined);
      if (list.items[0]) controller = controllerTolerations(list.items[0], `${controllerNamespace}/${controllerName}`);
      else notes.push(`controller ${controllerNamespace}/${controllerName} not found: toleration findings cover --extra-tolerations only`);
    }
    const wanted = mergeTolerationSets(controller, settings.extraTolerations);

    const all = (await core.listNamespace()).items;
    const targets = v.namespace
      ? [String(v.namespace)]
      : all.filter((ns) => v['all-namespaces'] || parseMode(ns.metadata?.labels?.[MODE_LABEL])).map((ns) => ns.metadata?.name ?? '');
    const findings: Finding[] = [];
    for (const namespace of targets) {
      const [deployments, jobs, cronjobs, services] = await Promise.all([
        apps.listNamespacedDeployment({ namespace }),
        batch.listNamespacedJob({ namespace }),
        batch.listNamespacedCronJob({ namespace }),
        core.listNamespacedService({ namespace }),
      ]);
      const objects: ObjectOfKind[] = [
        ...deployments.items.map((obj) => ({ kind: 'Deployment' as const, obj: withNamespace(obj, namespace) })),
        ...jobs.items.map((obj) => ({ kind: 'Job' as const, obj: withNamespace(obj, namespace) })),
        ...cronjobs.items.map((obj) => ({ kind: 'CronJob' as const, obj: withNamespace(obj, namespace) })),
        ...services.items.map((obj) => ({ kind: 'Service' as const, obj: withNamespace(obj, namespace) })),
      ];
      findings.push(...findingsOf(objects, wanted, settings.componentLabelKey, 'cluster'));
    }
    if (!v.namespace) {
      const gitjobNamespaces = new Set((await batch.listJobForAllNamespaces({ labelSelector: GITJOB_LABEL })).items.map((j) => j.metadata?.namespace));
      for (const ns of all) {
        const name = ns.metadata?.name ?? '';
        const labels = ns.metadata?.labels ?? {};
        const fleet = FLEET_NAMESPACES.includes(name) || labels['fleet.cattle.io/managed'] === 'true' || gitjobNamespaces.has(name);
        if (fleet && !parseMode(labels[MODE_LABEL])) {
          findings.push({ type: 'namespace-not-opted-in', namespace: name, detail: `Fleet runs workloads here but the namespace lacks ${MODE_LABEL}=enforce|audit: kubectl label namespace ${name} ${MODE_LABEL}=audit` });
        }
      }
    }
    if (v.output === 'json') io.stdout.write(JSON.stringify({ namespaces: targets, notes, findings }, null, 2) + '\n');
    else io.stdout.write(notes.map((n) => `note: ${n}\n`).join('') + formatTable(findings));
    return findings.length > 0 ? 1 : 0;
  } catch (err) {
    io.stderr.write(`error: ${explain(err, kc.getCurrentCluster()?.server ?? '?')}\n`);
    return 2;
  }
}

/** Namespaced lists omit nothing, but be sure every object names its namespace. */
function withNamespace<T extends { metadata?: { namespace?: string } }>(obj: T, namespace: string): T {
  return { ...obj, metadata: { ...obj.metadata, namespace: obj.metadata?.namespace ?? namespace } };
}

function explain(err: unknown, server: string): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (e?.code === 403) {
    return `forbidden: ${statusMessage(e.body) ?? 'the API server refused a list'}. The audit needs get/list on namespaces, deployments, jobs, cronjobs and services (see the README's RBAC section).`;
  }
  if (typeof e?.code === 'number') return `the API server answered ${e.code}: ${statusMessage(e.body) ?? e.message}`;
  return `cannot reach the API server at ${server}: ${(e?.message ?? String(err)).split('\n')[0]}`;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body).message;
    } catch {
      return body || undefined;
    }
  }
  return (body as { message?: string } | undefined)?.message;
}
