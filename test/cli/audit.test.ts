import { stringify } from 'yaml';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { runCli, PACKAGE_ROOT } from '../support/cli.js';
import { makePki, type TestPki } from '../support/tls.js';
import { CONTROLLER_TOLERATIONS, fleetControllerDeployment, fleetdmManifests, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const MODE = 'fleet-webhook.io/mode';
let pki: TestPki;
let api: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  pki = await makePki();
  api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
  await api.start();
  kubeconfig = await api.writeKubeconfig();
  api.namespace('cattle-fleet-system', { [MODE]: 'enforce' });
  api.namespace('fleet-default', { [MODE]: 'audit' });
  api.namespace('fleet-local'); // Fleet's, not opted in
  api.namespace('team-a'); // not Fleet's
  api.namespace('clean', { [MODE]: 'enforce' });
  api.upsert('deployments', fleetControllerDeployment());
  const shard = shardDeployment('shard1');
  shard.spec.template.spec.tolerations = CONTROLLER_TOLERATIONS;
  api.upsert('deployments', shard);
  const job = gitjobJob();
  api.upsert('jobs', job);
  const localJob = gitjobJob('local', 'aaaaa', 'fleet-local');
  localJob.metadata.labels['fleet.cattle.io/gitrepo-generation'] = '1';
  api.upsert('jobs', localJob);
  const ok = gitjobJob('fine', 'bbbbb', 'clean');
  ok.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
  ok.spec.template.metadata = { labels: { 'app.kubernetes.io/component': 'job_fine' } };
  api.upsert('jobs', ok);
});
afterAll(async () => api.stop());

const audit = (args: string[] = [], env: NodeJS.ProcessEnv = {}) => runCli(['audit', ...args], { env: { FLEET_WEBHOOK_KUBECONFIG: kubeconfig, ...env } });

describe('fleet-webhook audit', () => {
  test('reports exactly the expected findings for the opted-in namespaces, as JSON, and exits 1', async () => {
    const res = await audit(['-o', 'json']);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.stdout);
    expect(report.namespaces.sort()).toEqual(['cattle-fleet-system', 'clean', 'fleet-default']);
    const summary = report.findings.map((f: any) => `${f.namespace}|${f.type}|${f.object ?? ''}|${f.other ?? ''}`).sort();
    expect(summary).toEqual([
      'cattle-fleet-system|missing-component-label|Deployment fleet-controller|',
      'cattle-fleet-system|missing-component-label|Deployment fleet-controller-shard-shard1|',
      'cattle-fleet-system|selector-collision|Deployment fleet-controller-shard-shard1|Deployment fleet-controller',
      'cattle-fleet-system|selector-collision|Deployment fleet-controller|Deployment fleet-controller-shard-shard1',
      'cattle-fleet-system|selector-without-component-label|Deployment fleet-controller-shard-shard1|',
      'cattle-fleet-system|selector-without-component-label|Deployment fleet-controller|',
      'fleet-default|missing-component-label|Job fleet-examples-3c4f2|',
      'fleet-default|missing-tolerations|Job fleet-examples-3c4f2|',
      'fleet-local|namespace-not-opted-in||',
    ].sort());
    const tolerations = report.findings.find((f: any) => f.type === 'missing-tolerations');
    expect(tolerations.detail).toMatch(/lacks 2 controller toleration\(s\): node-role.kubernetes.io\/control-plane Exists:NoSchedule, dedicated=fleet:NoExecute/);
    expect(report.findings.find((f: any) => f.type === 'selector-without-component-label').detail).toMatch(/fixable only by re-creating/);
  });

  test('the table names both objects of a collision', async () => {
    const res = await audit([]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^NAMESPACE\s+FINDING\s+OBJECT\s+DETAIL/);
    expect(res.stdout).toContain('Deployment cattle-fleet-system/fleet-controller selector (app=fleet-controller) matches pods of Deployment cattle-fleet-system/fleet-controller-shard-shard1');
    expect(res.stdout).toMatch(/9 finding\(s\)/);
  });

  test('--namespace of a clean namespace: exit 0', async () => {
    const res = await audit(['--namespace', 'clean']);
    expect(res.stdout).toBe('No findings.\n');
    expect(res.code).toBe(0);
  });

  test('a forbidden list (403): exit 2 with a message naming the RBAC it needs', async () => {
    api.forbidden = ['/apis/batch/v1/namespaces/fleet-default/cronjobs'];
    try {
      const res = await audit([]);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/^error: forbidden: .*cannot list resource.*The audit needs get\/list on namespaces, deployments, jobs, cronjobs and services/);
    } finally {
      api.forbidden = [];
    }
  });

  test('an unreachable API server: exit 2 with a clear message', async () => {
    const down = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
    await down.reservePort();
    const res = await audit([], { FLEET_WEBHOOK_KUBECONFIG: await down.writeKubeconfig() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: cannot reach the API server at https:\/\/localhost:\d+: .*ECONNREFUSED/);
  });

  test('no kubeconfig anywhere: exit 2 saying so, not an error about a made-up localhost:8080', async () => {
    const home = await mkdtemp(join(tmpdir(), 'home-'));
    const res = await runCli(['audit', '--all-namespaces'], { env: { HOME: home, KUBECONFIG: '' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: no kubeconfig found: set --kubeconfig or KUBECONFIG/);
    expect(res.stderr).not.toMatch(/8080/);
  });
});

describe('fleet-webhook mutate --check', () => {
  const CONTROLLER = join(PACKAGE_ROOT, 'examples/fleet-controller.yaml');
  const fleetdm = fleetdmManifests().map((o) => stringify(o)).join('---\n');

  test('the FleetDM chart: collisions (Deployment and Service) and missing tolerations/labels; exit 1', async () => {
    const res = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER, '-o', 'json'], { stdin: fleetdm });
    expect(res.code).toBe(1);
    const { findings } = JSON.parse(res.stdout);
    const collisions = findings.filter((f: any) => f.type === 'selector-collision').map((f: any) => `${f.object} -> ${f.other}`).sort();
    expect(collisions).toEqual(['Deployment fleet -> CronJob fleet-vulnprocessing', 'Deployment fleet -> Job fleet-migration', 'Service fleet -> CronJob fleet-vulnprocessing', 'Service fleet -> Job fleet-migration']);
    expect(findings.filter((f: any) => f.type === 'missing-tolerations')).toHaveLength(3);
  });

  test('on the mutated output: no collision between workloads; the unchanged Service is still reported, with a hint', async () => {
    const mutated = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: fleetdm });
    const res = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER, '-o', 'json'], { stdin: mutated.stdout });
    expect(res.code).toBe(1);
    const { findings } = JSON.parse(res.stdout);
    expect(findings.every((f: any) => f.type === 'selector-collision' && f.object === 'Service fleet')).toBe(true);
    expect(findings).toHaveLength(2);
    expect(findings[0].detail).toMatch(/add app.kubernetes.io\/component to its selector$/);
  });

  test('a Deployment manifest that sets a tolerations list is told to carry the tolerations itself', async () => {
    const res = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER, '-o', 'json'], { stdin: stringify(shardDeployment('s')) });
    expect(res.code).toBe(1);
    const { findings } = JSON.parse(res.stdout);
    const tolerations = findings.find((f: any) => f.type === 'missing-tolerations');
    expect(tolerations.detail).toMatch(/every upgrade or apply puts back whole, .*: give the manifest these tolerations$/);
  });

  test('a clean manifest set: exit 0 and no documents written', async () => {
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    job.spec.template.metadata = { labels: { 'app.kubernetes.io/component': 'x' } };
    const res = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER], { stdin: stringify(job) });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('No findings.\n');
  });
});
