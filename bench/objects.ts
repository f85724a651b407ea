import { admissionReview, cleanupGitrepoJobsCronJob, fleetControllerDeployment, gitjobJob } from '../test/support/fixtures.js';

/** What a controller-created object carries on CREATE besides its spec: managedFields, env, mounts, resources. */
function realistic(obj: any, fieldManager: string): any {
  obj.metadata.managedFields = [
    { manager: fieldManager, operation: 'Update', apiVersion: obj.apiVersion, time: '2026-11-20T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {} } } } } },
  ];
  const podSpec = obj.kind === 'CronJob' ? obj.spec.jobTemplate.spec.template.spec : obj.spec.template.spec;
  for (const c of podSpec.containers) {
    c.env = Array.from({ length: 12 }, (_, i) => ({ name: `FLEET_SETTING_${i}`, value: `value-${i}-${'x'.repeat(20)}` }));
    c.resources = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } };
    c.securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
    c.volumeMounts = [{ name: 'tmp', mountPath: '/tmp' }, { name: 'config', mountPath: '/run/config', readOnly: true }];
  }
  podSpec.volumes = [{ name: 'tmp', emptyDir: {} }, { name: 'config', configMap: { name: 'fleet-config' } }];
  podSpec.securityContext = { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } };
  return obj;
}

export const REALISTIC: Record<string, () => string> = {
  'gitjob Job': () => JSON.stringify(admissionReview(realistic(gitjobJob(), 'fleetcontroller'))),
  'cleanup CronJob': () => JSON.stringify(admissionReview(realistic(cleanupGitrepoJobsCronJob(), 'helm'))),
  'fleet-controller Deployment': () => JSON.stringify(admissionReview(realistic(fleetControllerDeployment([]), 'helm'))),
};

/**
 * A Deployment review of about `bytes` bytes (from the bare fleet-controller Deployment, ~1.1 KB):
 * sidecars with realistic env vars, mounts and resources as it grows, then an annotation for the rest.
 */
export function reviewOfSize(bytes: number): string {
  const d = fleetControllerDeployment([]);
  const sizeOf = () => JSON.stringify(admissionReview(d)).length;
  const sidecar = realistic(fleetControllerDeployment([]), 'helm').spec.template.spec.containers[0];
  const perSidecar = JSON.stringify(sidecar).length + 20;
  const sidecars = Math.floor(Math.max(0, bytes - sizeOf()) / perSidecar);
  for (let i = 0; i < sidecars; i++) d.spec.template.spec.containers.push({ ...structuredClone(sidecar), name: `sidecar-${i}` });
  // The annotation's key, quotes and separators take ~60 bytes of what is left.
  const padding = bytes - sizeOf() - 60;
  if (padding > 0) d.metadata.annotations = { 'example.com/padding': 'p'.repeat(padding) };
  return JSON.stringify(admissionReview(d));
}
