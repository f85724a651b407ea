import fjp from 'fast-json-patch';
import { findingsOf } from '../../src/audit/findings.js';
import { CHANGE_ANNOTATION, mutateWorkload } from '../../src/mutation/mutate.js';
import type { WorkloadKind } from '../../src/mutation/types.js';
import { CATTLE_OS, CONTROLLER_TOLERATIONS, cleanupGitrepoJobsCronJob, gitjobJob, shardDeployment } from '../support/fixtures.js';

const KEY = 'app.kubernetes.io/component';

// A valid label key that is also a name on Object.prototype: a parsed object "has" it through its
// prototype, which must not count as the workload's label or selector term.
describe.each(['constructor', 'toString'])('findingsOf with the component label key %s', (key) => {
  test('a template and a selector without the key are both reported', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.spec.tolerations = [...CONTROLLER_TOLERATIONS];
    const findings = findingsOf([{ kind: 'Deployment', obj: deployment }], CONTROLLER_TOLERATIONS, key);
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
    expect(findingsOf([{ kind: 'Deployment', obj: deployment }, { kind: 'Job', obj: job }], CONTROLLER_TOLERATIONS, key)).toEqual([]);
  });
});

/** The workload as the webhook's patch leaves it at creation. */
function created(obj: any, kind: WorkloadKind): any {
  const result = mutateWorkload(obj, kind, { tolerations: CONTROLLER_TOLERATIONS, componentLabelKey: KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true });
  return fjp.applyPatch(structuredClone(obj), result.patch as any, true, false).newDocument;
}

function toleration(obj: any) {
  return findingsOf([{ kind: obj.kind, obj }], CONTROLLER_TOLERATIONS, KEY).find((f) => f.type === 'missing-tolerations');
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
