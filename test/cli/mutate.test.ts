import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseAllDocuments, stringify } from 'yaml';
import { runCli, PACKAGE_ROOT } from '../support/cli.js';
import { CONTROLLER_TOLERATIONS, CATTLE_OS } from '../support/fixtures.js';

const CHART = join(PACKAGE_ROOT, 'test/fixtures/fleet-chart.yaml');
const CONTROLLER = join(PACKAGE_ROOT, 'examples/fleet-controller.yaml');
const KEY = 'app.kubernetes.io/component';

const docsOf = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

describe('fleet-webhook mutate', () => {
  test('mutates every workload of a multi-document file, in input order, other kinds untouched', async () => {
    const res = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER]);
    expect(res.code).toBe(0);
    const input = docsOf(await readFile(CHART, 'utf8'));
    const out = docsOf(res.stdout);
    expect(out.map((d) => d.kind)).toEqual(['ServiceAccount', 'Deployment', 'Job', 'CronJob', 'ConfigMap', 'Job']);
    expect(out[0]).toEqual(input[0]);
    expect(out[4]).toEqual(input[4]);

    const [, shard, cleanup, cron, , gitjob] = out;
    expect(shard.spec.selector.matchLabels).toEqual({ app: 'fleet-controller', [KEY]: 'fleet-controller-shard-shard1' });
    expect(shard.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
    expect(cleanup.spec.template.metadata.labels).toEqual({ app: 'fleet-job', [KEY]: 'job_fleet-cleanup-clusterregistrations' });
    expect(cleanup.metadata.annotations['helm.sh/hook']).toBe('post-install, post-upgrade');
    expect(cron.spec.jobTemplate.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
    expect(gitjob.spec.template.metadata).toEqual({ labels: { [KEY]: 'job_fleet-examples-3c4f2' } });
    expect(gitjob.metadata.annotations['fleet-webhook.io/mutated']).toBe('tolerations+3,component-label');

    // comments of the input survive
    expect(res.stdout).toContain('# a shard: same selector as the unsharded controller');
    expect(res.stdout).toContain('# cleanup hook Job');

    expect(res.stderr).toContain('document 2 (Deployment cattle-fleet-system/fleet-controller-shard-shard1): added 2 tolerations');
    expect(res.stderr).toContain('document 6 (Job fleet-default/fleet-examples-3c4f2): added 3 tolerations');
    expect(res.stderr).toMatch(/changed 4 of 4 workload\(s\) in 6 document\(s\)/);
  });

  test('its output mutated again is unchanged (same mutation, idempotent)', async () => {
    const first = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER]);
    const second = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: first.stdout });
    expect(second.code).toBe(0);
    expect(docsOf(second.stdout)).toEqual(docsOf(first.stdout));
    expect(second.stderr).toMatch(/changed 0 of 4 workload/);
  });

  test('a List (kubectl get -o yaml) has its items mutated as the same documents would be, and checked the same', async () => {
    const chart = await readFile(CHART, 'utf8');
    const list = stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: docsOf(chart) });
    const res = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: list });
    expect(res.code).toBe(0);
    const separate = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER]);
    const [out] = docsOf(res.stdout);
    expect(out.items).toEqual(docsOf(separate.stdout));
    expect(out.metadata).toEqual({ resourceVersion: '' });
    expect(res.stderr).toContain('document 1 item 6 (Job fleet-default/fleet-examples-3c4f2): added 3 tolerations');
    expect(res.stderr).toMatch(/changed 4 of 4 workload\(s\) in 1 document\(s\)/);

    const again = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: res.stdout });
    expect(docsOf(again.stdout)).toEqual([out]);
    expect(again.stderr).toMatch(/changed 0 of 4 workload/);

    const check = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER, '-o', 'json'], { stdin: list });
    const checkSeparate = await runCli(['mutate', '--check', '-f', CHART, '--controller-file', CONTROLLER, '-o', 'json']);
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).findings.length).toBeGreaterThan(0);
    expect(JSON.parse(check.stdout)).toEqual(JSON.parse(checkSeparate.stdout));
  });

  test('the controller file may be a List, as kubectl get deployments -o yaml writes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mutate-'));
    const controller = join(dir, 'deployments.yaml');
    const deployment = docsOf(await readFile(CONTROLLER, 'utf8'))[0];
    const other = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gitjob' }, spec: { template: { spec: { containers: [] } } } };
    await writeFile(controller, stringify({ apiVersion: 'v1', kind: 'List', items: [other, deployment] }));
    const res = await runCli(['mutate', '-f', CHART, '--controller-file', controller]);
    expect(res.code).toBe(0);
    expect(docsOf(res.stdout)[1].spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
  });

  test('audit mode: documents unchanged, the summary says what would change', async () => {
    const res = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER, '--mode', 'audit']);
    expect(res.code).toBe(0);
    expect(docsOf(res.stdout)).toEqual(docsOf(await readFile(CHART, 'utf8')));
    expect(res.stderr).toContain('would add 2 tolerations');
    expect(res.stderr).toMatch(/would change 4 of 4 workload/);
  });

  test('JSON input and environment variables work; flags win over the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mutate-'));
    const file = join(dir, 'job.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [] } } } }));
    const env = { FLEET_WEBHOOK_CONTROLLER_FILE: CONTROLLER, FLEET_WEBHOOK_MODE: 'audit', FLEET_WEBHOOK_COMPONENT_LABEL_KEY: 'example.com/part' };
    const audit = await runCli(['mutate', '-f', file], { env });
    expect(audit.stderr).toMatch(/would change 1 of 1/);
    const enforce = await runCli(['mutate', '-f', file, '--mode', 'enforce'], { env });
    const [job] = docsOf(enforce.stdout);
    expect(job.spec.template.metadata.labels).toEqual({ 'example.com/part': 'job_j' });
    expect(job.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
    // JSON in, JSON out (for jq and the like), with what was added in it.
    expect(JSON.parse(enforce.stdout)).toEqual(job);
  });

  test('--extra-tolerations are merged as a set with the controller ones', async () => {
    const extra = JSON.stringify([CATTLE_OS, { key: 'gpu', operator: 'Exists' }]);
    const res = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER, '--extra-tolerations', extra]);
    const gitjob = docsOf(res.stdout)[5];
    expect(gitjob.spec.template.spec.tolerations).toEqual([...CONTROLLER_TOLERATIONS, { key: 'gpu', operator: 'Exists' }]);
  });

  // YAML where a string belongs: a parsed `{toString: 1}` made String() throw, and the command with it.
  const ODD = `apiVersion: batch/v1
kind: Job
metadata: {name: odd, namespace: fleet-default}
spec:
  template:
    spec:
      tolerations: [{key: {toString: 1}, operator: Exists}]
      containers: [{name: c, image: i}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: fleet-default}
spec:
  selector:
    matchLabels: {app: odd}
    matchExpressions: [{key: {toString: 1, valueOf: 1}, operator: Exists}]
  template:
    metadata: {labels: {app: odd}}
    spec: {containers: [{name: c, image: i}]}
`;

  test('objects where strings belong are mutated around, kept as they were, and checked without an error', async () => {
    const res = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: ODD });
    expect(res.stderr).not.toMatch(/error/);
    expect(res.code).toBe(0);
    const [job, deployment] = docsOf(res.stdout);
    expect(job.spec.template.spec.tolerations).toEqual([{ key: { toString: 1 }, operator: 'Exists' }, ...CONTROLLER_TOLERATIONS]);
    expect(deployment.spec.selector.matchExpressions).toEqual([{ key: { toString: 1, valueOf: 1 }, operator: 'Exists' }]);
    expect(deployment.spec.selector.matchLabels).toEqual({ app: 'odd', [KEY]: 'odd' });

    const check = await runCli(['mutate', '--check', '-f', '-', '--controller-file', CONTROLLER, '-o', 'json'], { stdin: ODD });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(1);
    const types = JSON.parse(check.stdout).findings.map((f: any) => `${f.object}: ${f.type}`).sort();
    expect(types).toEqual([
      'Deployment odd: missing-component-label',
      'Deployment odd: missing-tolerations',
      'Deployment odd: selector-without-component-label',
      'Job odd: missing-component-label',
      'Job odd: missing-tolerations',
    ]);
  });

  test('unreadable input: exit 2 with a message naming the document', async () => {
    const res = await runCli(['mutate', '-f', '-', '--controller-file', CONTROLLER], { stdin: 'kind: ConfigMap\n---\nkind: Job\nmetadata: [unclosed\n' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/stdin: document 2 is not valid YAML\/JSON/);
    expect(res.stdout).toBe('');
  });

  test('missing file, missing flags and bad flag values: exit 2 with a clear message', async () => {
    expect((await runCli(['mutate', '-f', '/nonexistent.yaml', '--controller-file', CONTROLLER])).stderr).toMatch(/ENOENT.*nonexistent/);
    const noControllerFile = await runCli(['mutate', '-f', CHART, '--controller-file', '/nonexistent-controller.yaml']);
    expect([noControllerFile.code, noControllerFile.stderr]).toEqual([2, 'error: cannot read the controller file /nonexistent-controller.yaml: ENOENT\n']);
    const noController = await runCli(['mutate', '-f', CHART]);
    expect(noController.code).toBe(2);
    expect(noController.stderr).toMatch(/--controller-file is required/);
    const badMode = await runCli(['mutate', '-f', CHART, '--controller-file', CONTROLLER, '--mode', 'yolo']);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/--mode must be one of enforce, audit/);
  });

  test('--help describes every flag with its environment variable', async () => {
    const res = await runCli(['mutate', '--help']);
    expect(res.code).toBe(0);
    for (const flag of ['--filename', '--controller-file', '--mode', '--component-label-key', '--extra-tolerations']) expect(res.stdout).toContain(flag);
    expect(res.stdout).toContain('FLEET_WEBHOOK_CONTROLLER_FILE');
  });
});
