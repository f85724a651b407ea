import { findingsOf, type ObjectSource } from '../../src/audit/findings.js';
import { CHANGE_ANNOTATION, mutateWorkload } from '../../src/mutation/mutate.js';
import type { WorkloadKind } from '../../src/mutation/types.js';
import { CATTLE_OS, CONTROLLER_TOLERATIONS, cleanupGitrepoJobsCronJob, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { afterPatch } from '../support/patch.js';

const KEY = 'app.kubernetes.io/component';

// A valid label key that is also a name on Object.prototype: a parsed object "has" it through its
// prototype, which must not count as the workload's label or selector term.
describe.each(['constructor', 'toString'])('findingsOf with the component label key %s', (key) => {
  test('a template and a selector without the key are both reported', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    const findings = findingsOf([{ kind: 'Deployment', obj: deployment }], CONTROLLER_TOLERATIONS, key, 'cluster');
    expect(findings.map((f) => f.type).sort()).toEqual(['missing-component-label', 'selector-without-component-label']);
  });

  test('a template and a selector that have the key are not', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    deployment.spec.template.metadata.labels[key] = 'shard-s';
    deployment.spec.selector.matchLabels[key] = 'shard-s';
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    job.spec.template.metadata = { labels: { [key]: 'job_x' } };
    expect(findingsOf([{ kind: 'Deployment', obj: deployment }, { kind: 'Job', obj: job }], CONTROLLER_TOLERATIONS, key, 'cluster')).toEqual([]);
  });
});

/** The workload as the webhook's patch leaves it at creation. */
function created(obj: any, kind: WorkloadKind): any {
  const result = mutateWorkload(obj, kind, { tolerations: CONTROLLER_TOLERATIONS, componentLabelKey: KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true });
  return afterPatch(obj, result.patch);
}

function toleration(obj: any, source: ObjectSource = 'cluster') {
  return findingsOf([{ kind: obj.kind, obj }], CONTROLLER_TOLERATIONS, KEY, source).find((f) => f.type === 'missing-tolerations');
}

describe('a missing-tolerations finding on a workload the webhook added tolerations to', () => {
  // A Helm upgrade or kubectl apply of the same manifest: a three-way merge patch replaces the
  // tolerations list (it has no merge key) with the manifest's, keeping the annotation and labels.
  test.each([
    ['Deployment', () => shardDeployment('s'), (o: any) => o.spec.template.spec],
    ['CronJob', cleanupGitrepoJobsCronJob, (o: any) => o.spec.jobTemplate.spec.template.spec],
  ])('%s: says an update has replaced the list since', (_kind, manifest, podSpec) => {
    const live = created(manifest(), manifest().kind);
    expect(live.metadata.annotations[CHANGE_ANNOTATION]).toMatch(/^tolerations\+2,/);
    expect(toleration(live)).toBeUndefined();
    podSpec(live).tolerations = [{ ...CATTLE_OS }];
    const finding = toleration(live);
    expect(finding?.detail).toMatch(/^lacks 2 controller toleration\(s\): .*; fleet-webhook added tolerations when it was created/);
    expect(finding?.detail).toContain('an update has since replaced the list');
  });

  test("a CronJob's finding says its Jobs still get the tolerations from the webhook", () => {
    const cronJob = cleanupGitrepoJobsCronJob();
    expect(toleration(cronJob)?.detail).toMatch(/; its Jobs' pods get them only from the webhook, at each Job's creation in a namespace it mutates$/);
  });

  test('without the record, or with a record of other changes only, the finding says nothing of updates', () => {
    const manifest = shardDeployment('s');
    expect(toleration(manifest)?.detail).toMatch(/^lacks 2 controller toleration\(s\): .*those taints$/);
    manifest.metadata.annotations = { [CHANGE_ANNOTATION]: 'component-label,selector' };
    expect(toleration(manifest)?.detail).toMatch(/those taints$/);
    manifest.metadata.annotations = { [CHANGE_ANNOTATION]: 7 };
    expect(toleration(manifest)?.detail).toMatch(/those taints$/);
  });
});

describe('a missing-tolerations finding on manifests (mutate --check)', () => {
  const RESET = /; the manifest sets a tolerations list, which every upgrade or apply puts back whole, dropping what fleet-webhook added at creation: give the manifest these tolerations$/;

  test('a Deployment that sets a list, even an empty one, is told that upgrades will drop what the webhook adds', () => {
    const deployment = shardDeployment('s');
    expect(toleration(deployment, 'manifests')?.detail).toMatch(RESET);
    deployment.spec.template.spec.tolerations = [];
    expect(toleration(deployment, 'manifests')?.detail).toMatch(RESET);
    // The same object read from a cluster: its manifest is not known.
    expect(toleration(deployment, 'cluster')?.detail).toMatch(/those taints$/);
  });

  test('a Deployment without the key, and a CronJob (its Jobs are admitted on their own), are not', () => {
    const deployment = shardDeployment('s');
    delete deployment.spec.template.spec.tolerations;
    expect(toleration(deployment, 'manifests')?.detail).toMatch(/those taints$/);
    const cronJob = cleanupGitrepoJobsCronJob();
    expect(cronJob.spec.jobTemplate.spec.template.spec.tolerations).toHaveLength(1);
    expect(toleration(cronJob, 'manifests')?.detail).toMatch(/in a namespace it mutates$/);
  });

  test("the webhook's record is not read from manifests: it describes a live object's past", () => {
    const live = created(shardDeployment('s'), 'Deployment');
    live.spec.template.spec.tolerations = [{ ...CATTLE_OS }];
    expect(toleration(live, 'cluster')?.detail).toContain('an update has since replaced the list');
    expect(toleration(live, 'manifests')?.detail).not.toContain('an update has since replaced the list');
  });
});
