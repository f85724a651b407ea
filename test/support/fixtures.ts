/**
 * Objects shaped like what Fleet 0.12 and the FleetDM chart really create (see ../shared/fleet-facts.md):
 * chart Jobs/CronJobs with pod label `app: fleet-job`, gitjob Jobs with no pod-template labels,
 * shard Deployments that all select `app: fleet-controller`, FleetDM's `app: fleet` everywhere.
 */
import type { Toleration } from '../../src/mutation/types.js';

type Obj = Record<string, any>;

export const CATTLE_OS: Toleration = { key: 'cattle.io/os', operator: 'Equal', value: 'linux', effect: 'NoSchedule' };
export const UNINITIALIZED: Toleration = { key: 'node.cloudprovider.kubernetes.io/uninitialized', operator: 'Equal', value: 'true', effect: 'NoSchedule' };
export const CONTROL_PLANE: Toleration = { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' };
export const DEDICATED: Toleration = { key: 'dedicated', operator: 'Equal', value: 'fleet', effect: 'NoExecute' };

/** The tolerations of examples/fleet-controller.yaml, in order. */
export const CONTROLLER_TOLERATIONS: Toleration[] = [CATTLE_OS, CONTROL_PLANE, DEDICATED];

export function fleetControllerDeployment(tolerations: Toleration[] = CONTROLLER_TOLERATIONS, name = 'fleet-controller'): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'cattle-fleet-system', labels: { app: 'fleet-controller' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'fleet-controller' } },
      template: {
        metadata: { labels: { app: 'fleet-controller', 'fleet.cattle.io/shard-id': '', 'fleet.cattle.io/shard-default': 'true' } },
        spec: {
          serviceAccountName: 'fleet-controller',
          containers: [{ name: 'fleet-controller', image: 'rancher/fleet:v0.12.3', command: ['fleetcontroller'] }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: tolerations.map((t) => ({ ...t })),
        },
      },
    },
  };
}

/** `fleet-controller-shard-<id>`: same selector as the unsharded controller (a real overlap). */
export function shardDeployment(id: string): Obj {
  const d = fleetControllerDeployment([CATTLE_OS], `fleet-controller-shard-${id}`);
  d.spec.template.metadata.labels = { app: 'fleet-controller', 'fleet.cattle.io/shard-id': id };
  return d;
}

export function cleanupClusterRegistrationsJob(): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'fleet-cleanup-clusterregistrations',
      namespace: 'cattle-fleet-system',
      annotations: { 'helm.sh/hook': 'post-install, post-upgrade', 'helm.sh/hook-delete-policy': 'hook-succeeded, before-hook-creation' },
    },
    spec: {
      template: {
        metadata: { labels: { app: 'fleet-job' } },
        spec: {
          serviceAccountName: 'fleet-controller',
          restartPolicy: 'Never',
          containers: [{ name: 'cleanup', image: 'rancher/fleet:v0.12.3', command: ['fleet', 'cleanup', 'clusterregistration'] }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ ...CATTLE_OS }],
        },
      },
      backoffLimit: 1,
    },
  };
}

export function cleanupGitrepoJobsCronJob(): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'fleet-cleanup-gitrepo-jobs', namespace: 'cattle-fleet-system' },
    spec: {
      schedule: '@daily',
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels: { app: 'fleet-job' } },
            spec: {
              serviceAccountName: 'gitjob',
              restartPolicy: 'OnFailure',
              containers: [{ name: 'cleanup', image: 'rancher/fleet:v0.12.3', command: ['fleet', 'cleanup', 'gitjob'] }],
              tolerations: [{ ...CATTLE_OS }],
            },
          },
        },
      },
    },
  };
}

/** A gitjob Job: `<gitrepo>-<5 hex>` in a workspace namespace, no pod-template labels, the two built-in tolerations. */
export function gitjobJob(gitrepo = 'fleet-examples', suffix = '3c4f2', namespace = 'fleet-default'): Obj {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: `${gitrepo}-${suffix}`,
      namespace,
      labels: { 'fleet.cattle.io/gitrepo-generation': '1', 'fleet.cattle.io/force-sync-generation': '0' },
      ownerReferences: [{ apiVersion: 'fleet.cattle.io/v1alpha1', kind: 'GitRepo', name: gitrepo, uid: '0f9d9a53-2a7e-4d1c-9c55-6b1f3f7f2c01', controller: true }],
    },
    spec: {
      backoffLimit: 1,
      template: {
        metadata: {},
        spec: {
          serviceAccountName: `git-${gitrepo}`,
          restartPolicy: 'Never',
          containers: [{ name: 'fleet', image: 'rancher/fleet:v0.12.3', args: ['fleet', 'apply', gitrepo] }],
          tolerations: [{ ...CATTLE_OS }, { ...UNINITIALIZED }],
        },
      },
    },
  };
}

/** A Job the CronJob controller created: owned by the CronJob, labels copied from its jobTemplate. */
export function jobCreatedByCronJob(): Obj {
  const cron = cleanupGitrepoJobsCronJob();
  const template = structuredClone(cron.spec.jobTemplate.spec.template);
  template.metadata.labels['app.kubernetes.io/component'] = 'cronjob_fleet-cleanup-gitrepo-jobs';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'fleet-cleanup-gitrepo-jobs-29100480',
      namespace: 'cattle-fleet-system',
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'fleet-cleanup-gitrepo-jobs', uid: 'a1', controller: true }],
    },
    spec: { template },
  };
}

const FLEETDM_LABELS = { app: 'fleet', chart: 'fleet', heritage: 'Helm', release: 'fleet' };

/** FleetDM chart before 6.6.6: the Deployment, its Service, the migration Job and vulnprocessing CronJob share four labels. */
export function fleetdmManifests(namespace = 'fleetdm'): Obj[] {
  const podSpec = (name: string) => ({ containers: [{ name, image: 'fleetdm/fleet:v4.60.0' }], restartPolicy: name === 'fleet' ? 'Always' : 'Never' });
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fleet', namespace, labels: { ...FLEETDM_LABELS } }, spec: { selector: { ...FLEETDM_LABELS }, ports: [{ port: 8080 }] } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fleet', namespace, labels: { ...FLEETDM_LABELS } },
      spec: { replicas: 3, selector: { matchLabels: { ...FLEETDM_LABELS } }, template: { metadata: { labels: { ...FLEETDM_LABELS } }, spec: podSpec('fleet') } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fleet-migration', namespace, labels: { ...FLEETDM_LABELS }, annotations: { 'helm.sh/hook': 'pre-install,pre-upgrade' } },
      spec: { template: { metadata: { labels: { ...FLEETDM_LABELS } }, spec: podSpec('fleet-migration') } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'fleet-vulnprocessing', namespace, labels: { ...FLEETDM_LABELS } },
      spec: {
        schedule: '0 * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: { spec: { template: { metadata: { labels: { ...FLEETDM_LABELS } }, spec: podSpec('fleet-vulnprocessing') } } },
      },
    },
  ];
}

const GVK: Record<string, { group: string; version: string; kind: string }> = {
  Job: { group: 'batch', version: 'v1', kind: 'Job' },
  CronJob: { group: 'batch', version: 'v1', kind: 'CronJob' },
  Deployment: { group: 'apps', version: 'v1', kind: 'Deployment' },
};

let uidCounter = 0;

/** An AdmissionReview as the API server sends it for `obj`. */
export function admissionReview(obj: Obj, opts: { version?: string; operation?: string; uid?: string; dryRun?: boolean; namespace?: string; subResource?: string } = {}): Obj {
  const kind = GVK[obj.kind] ?? { group: '', version: 'v1', kind: obj.kind };
  const plural = `${String(obj.kind).toLowerCase()}s`;
  return {
    apiVersion: opts.version ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, '0')}`,
      kind,
      resource: { group: kind.group, version: kind.version, resource: plural },
      requestKind: kind,
      name: obj.metadata?.name,
      namespace: opts.namespace ?? obj.metadata?.namespace,
      operation: opts.operation ?? 'CREATE',
      subResource: opts.subResource,
      userInfo: { username: 'system:serviceaccount:cattle-fleet-system:fleet-controller' },
      object: obj,
      oldObject: null,
      dryRun: opts.dryRun ?? false,
    },
  };
}
