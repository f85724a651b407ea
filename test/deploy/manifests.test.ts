import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { PACKAGE_ROOT } from '../support/cli.js';
import { deployWithCerts, find, render } from '../support/kustomize.js';
import { SERVE_FLAGS } from '../../src/cli/serve.js';

const MODELS: Record<string, () => Promise<any>> = {
  'v1/Namespace': () => import('kubernetes-models/v1/Namespace'),
  'v1/ServiceAccount': () => import('kubernetes-models/v1/ServiceAccount'),
  'v1/Service': () => import('kubernetes-models/v1/Service'),
  'v1/Secret': () => import('kubernetes-models/v1/Secret'),
  'apps/v1/Deployment': () => import('kubernetes-models/apps/v1/Deployment'),
  'policy/v1/PodDisruptionBudget': () => import('kubernetes-models/policy/v1/PodDisruptionBudget'),
  'scheduling.k8s.io/v1/PriorityClass': () => import('kubernetes-models/scheduling.k8s.io/v1/PriorityClass'),
  'rbac.authorization.k8s.io/v1/ClusterRole': () => import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole'),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => import('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding'),
  'rbac.authorization.k8s.io/v1/Role': () => import('kubernetes-models/rbac.authorization.k8s.io/v1/Role'),
  'rbac.authorization.k8s.io/v1/RoleBinding': () => import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding'),
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': () => import('kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration'),
};

/** Every object must be valid against the Kubernetes schema of its kind (cert-manager's CRDs aside). */
async function validateAll(objects: any[]): Promise<void> {
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    if (o.apiVersion === 'cert-manager.io/v1') continue;
    const load = MODELS[key];
    if (!load) throw new Error(`no schema for ${key}: add it to the test`);
    const mod = await load();
    const Model = mod[o.kind];
    expect(() => new Model(o).validate()).not.toThrow();
  }
}

/** A memory quantity in MiB (the manifests use Mi and Gi). */
function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

const flagDefault = (name: string) => SERVE_FLAGS.find((f) => f.name === name)?.default;
const argValue = (args: string[], flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.split('=')[1];

let base: any[];
let defaults: any[];
let audit: any[];
let certManager: any[];
let collisions: any[];
let selfManaged: any[];
let certsDir: string;
beforeAll(async () => {
  const d = await deployWithCerts();
  certsDir = d.certsDir;
  [base, defaults, audit, certManager, collisions, selfManaged] = await Promise.all([
    render(join(PACKAGE_ROOT, 'deploy/base')),
    render(join(d.root, 'deploy')),
    render(join(d.root, 'deploy/overlays/audit')),
    render(join(PACKAGE_ROOT, 'deploy/overlays/cert-manager')),
    render(join(d.root, 'deploy/overlays/collision-detection')),
    render(join(PACKAGE_ROOT, 'deploy/overlays/self-managed-certs')),
  ]);
}, 60_000);

describe('rendered kustomizations', () => {
  test('every object of every kustomization is valid for its kind', async () => {
    for (const objects of [base, defaults, audit, certManager, collisions, selfManaged]) await validateAll(objects);
    expect(defaults.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'MutatingWebhookConfiguration', 'Namespace', 'PodDisruptionBudget', 'PriorityClass', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'].sort(),
    );
  });

  test('the webhook: CREATE of batch jobs/cronjobs and apps deployments, fail open, idempotent, opted-in namespaces only', () => {
    const [hook] = find(defaults, 'MutatingWebhookConfiguration', 'fleet-webhook').webhooks;
    expect(hook.rules).toEqual([
      { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['jobs', 'cronjobs'], scope: 'Namespaced' },
      { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'], scope: 'Namespaced' },
    ]);
    expect(hook.admissionReviewVersions).toEqual(['v1']);
    expect(hook.sideEffects).toBe('None');
    expect(hook.failurePolicy).toBe('Ignore');
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(10);
    expect(hook.reinvocationPolicy).toBe('IfNeeded');
    expect(hook.matchPolicy).toBe('Equivalent');
    expect(hook.namespaceSelector.matchExpressions).toEqual([
      { key: 'fleet-webhook.io/mode', operator: 'In', values: ['enforce', 'audit'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['fleet-webhook-system', 'kube-system'] },
    ]);
    expect(hook.objectSelector.matchExpressions).toEqual([{ key: 'fleet-webhook.io/skip', operator: 'NotIn', values: ['true'] }]);
    // the internal deadline answers before the API server gives up
    const args = find(defaults, 'Deployment', 'fleet-webhook').spec.template.spec.containers[0].args;
    expect(Number(argValue(args, 'deadline-ms'))).toBeLessThan(hook.timeoutSeconds * 1000);
  });

  test('the webhook points at the Service, the Service at the port the server listens on, probes at the health port', () => {
    const [hook] = find(defaults, 'MutatingWebhookConfiguration').webhooks;
    const svc = find(defaults, 'Service', hook.clientConfig.service.name);
    expect(svc.metadata.namespace).toBe(hook.clientConfig.service.namespace);
    expect(hook.clientConfig.service.path).toBe('/mutate');
    const svcPort = svc.spec.ports.find((p: any) => p.port === hook.clientConfig.service.port);
    const deploy = find(defaults, 'Deployment', 'fleet-webhook');
    const container = deploy.spec.template.spec.containers[0];
    const named = (name: string) => container.ports.find((p: any) => p.name === name).containerPort;
    expect(named(svcPort.targetPort)).toBe(Number(argValue(container.args, 'port') ?? flagDefault('port')));
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect(named(container[probe].httpGet.port)).toBe(Number(argValue(container.args, 'health-port') ?? flagDefault('health-port')));
    }
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    // the Service selects the webhook pods
    expect(Object.entries(svc.spec.selector).every(([k, v]) => deploy.spec.template.metadata.labels[k] === v)).toBe(true);
  });

  test('the Deployment: replicas, disruption budget, spread, priority, resources, hardened security context', () => {
    const deploy = find(defaults, 'Deployment', 'fleet-webhook');
    const pod = deploy.spec.template.spec;
    const c = pod.containers[0];
    expect(deploy.spec.replicas).toBeGreaterThanOrEqual(2);
    const pdb = find(defaults, 'PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toContain('kubernetes.io/hostname');
    expect(find(defaults, 'PriorityClass', pod.priorityClassName).value).toBeGreaterThan(0);
    expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    // The image's Node 24 process reached ~290 MB in bursts of 1 MB objects (docs/performance.md):
    // the limit leaves room above that peak, or the pod is OOM-killed.
    expect(mebibytes(c.resources.limits.memory)).toBeGreaterThanOrEqual(400);
    expect(mebibytes(c.resources.requests.memory)).toBeGreaterThanOrEqual(128);
    expect(mebibytes(c.resources.requests.memory)).toBeLessThan(mebibytes(c.resources.limits.memory));
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
    expect(c.env).toContainEqual({ name: 'FLEET_WEBHOOK_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    expect(deploy.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('fleet-webhook');
  });

  test('RBAC is read-only: get/list/watch on namespaces and on deployments in the controller namespace', () => {
    for (const objects of [base, defaults, audit, certManager]) {
      const rules = objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').flatMap((r) => r.rules.map((rule: any) => ({ ...rule, ns: r.metadata.namespace })));
      for (const rule of rules) expect(rule.verbs.sort()).toEqual(['get', 'list', 'watch']);
      expect(rules.map((r) => `${r.ns ?? '*'}:${r.resources.join(',')}`).sort()).toEqual(['*:namespaces', 'cattle-fleet-system:deployments']);
    }
  });

  test('collision-detection overlay: the flag, and read-only access to exactly the kinds it caches', () => {
    expect(find(collisions, 'Deployment', 'fleet-webhook').spec.template.spec.containers[0].args).toContain('--detect-collisions');
    const role = find(collisions, 'ClusterRole', 'fleet-webhook-workload-reader');
    for (const rule of role.rules) expect(rule.verbs.sort()).toEqual(['get', 'list', 'watch']);
    expect(role.rules.flatMap((r: any) => r.resources).sort()).toEqual(['cronjobs', 'deployments', 'jobs', 'services']);
    expect(find(collisions, 'ClusterRoleBinding', 'fleet-webhook-workload-reader').subjects[0]).toEqual({ kind: 'ServiceAccount', name: 'fleet-webhook', namespace: 'fleet-webhook-system' });
  });

  test('self-managed-certs overlay: a writable in-memory certs directory, the flag, and write access only to its Secret and webhook', () => {
    const deploy = find(selfManaged, 'Deployment', 'fleet-webhook');
    const pod = deploy.spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'certs', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'certs', mountPath: '/certs', readOnly: false }]);
    expect(pod.containers[0].args).toContain('--self-managed-certs');
    expect(pod.containers[0].args).toContain('--tls-cert=/certs/tls.crt');
    const role = find(selfManaged, 'Role', 'fleet-webhook-certificates');
    expect(role.metadata.namespace).toBe('fleet-webhook-system');
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['fleet-webhook-tls'], verbs: ['get', 'update'] },
    ]);
    const [hook] = find(selfManaged, 'MutatingWebhookConfiguration').webhooks;
    expect(find(selfManaged, 'ClusterRole', 'fleet-webhook-cabundle').rules).toEqual([
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: [find(selfManaged, 'MutatingWebhookConfiguration').metadata.name], verbs: ['get', 'update'] },
    ]);
    expect(hook.clientConfig.caBundle).toBeUndefined(); // filled in by the webhook
    expect(selfManaged.some((o) => o.kind === 'Secret')).toBe(false); // created by the webhook
  });

  test('default install: the Secret the pods mount holds a certificate the caBundle verifies', () => {
    const deploy = find(defaults, 'Deployment', 'fleet-webhook');
    const secretName = deploy.spec.template.spec.volumes.find((v: any) => v.name === 'certs').secret.secretName;
    const secret = find(defaults, 'Secret', secretName);
    expect(secret.type).toBe('kubernetes.io/tls');
    const [hook] = find(defaults, 'MutatingWebhookConfiguration').webhooks;
    const ca = new X509Certificate(Buffer.from(hook.clientConfig.caBundle, 'base64'));
    const serving = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost(`${hook.clientConfig.service.name}.${hook.clientConfig.service.namespace}.svc`)).toBeDefined();
    expect(certsDir).toBeTruthy();
  });

  test('audit overlay: the whole install runs with mode audit', () => {
    const env = find(audit, 'Deployment', 'fleet-webhook').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'FLEET_WEBHOOK_MODE', value: 'audit' });
    expect(find(defaults, 'Deployment', 'fleet-webhook').spec.template.spec.containers[0].env).toContainEqual({ name: 'FLEET_WEBHOOK_MODE', value: 'enforce' });
  });

  test('cert-manager overlay: the Certificate fills the mounted Secret and its CA is injected into the webhook', () => {
    const hook = find(certManager, 'MutatingWebhookConfiguration');
    const [ns, certName] = hook.metadata.annotations['cert-manager.io/inject-ca-from'].split('/');
    const cert = certManager.find((o) => o.kind === 'Certificate' && o.metadata.name === certName && o.metadata.namespace === ns);
    const deploy = find(certManager, 'Deployment', 'fleet-webhook');
    expect(cert.spec.secretName).toBe(deploy.spec.template.spec.volumes[0].secret.secretName);
    const svc = hook.webhooks[0].clientConfig.service;
    expect(cert.spec.dnsNames).toEqual([svc.name, `${svc.name}.${svc.namespace}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}.svc.cluster.local`]);
    expect(certManager.some((o) => o.kind === 'Secret')).toBe(false); // cert-manager creates it
  });
});
