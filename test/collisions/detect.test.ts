import { collisionsAmong, collisionsOf, describeCollision } from '../../src/collisions/detect.js';
import { recordOf, type WorkloadRecord } from '../../src/collisions/workloads.js';
import { labelSelector, matches } from '../../src/collisions/selector.js';
import { readReview } from '../../src/admission/review.js';
import { admissionReview, fleetdmManifests, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { standaloneHandler, workloadIndex } from '../support/handler.js';

const KEY = 'app.kubernetes.io/component';

describe('selector matching', () => {
  test('matchLabels and every matchExpressions operator', () => {
    const sel = labelSelector({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }, { key: 'skip', operator: 'DoesNotExist' }, { key: 'env', operator: 'NotIn', values: ['prod'] }, { key: 'team', operator: 'Exists' }] })!;
    expect(matches(sel, { app: 'a', tier: 'x', team: 't' })).toBe(true);
    expect(matches(sel, { app: 'a', tier: 'z', team: 't' })).toBe(false);
    expect(matches(sel, { app: 'a', tier: 'x', team: 't', skip: '' })).toBe(false);
    expect(matches(sel, { app: 'a', tier: 'x', team: 't', env: 'prod' })).toBe(false);
    expect(matches(sel, { app: 'a', tier: 'x' })).toBe(false);
    expect(labelSelector({})).toBeUndefined(); // selects nothing here
  });
});

describe('collisions in the FleetDM chart (before 6.6.6)', () => {
  const [service, deployment, job, cron] = fleetdmManifests();

  test('the Deployment selects the migration Job and vulnprocessing CronJob pods; the Service spans all three', () => {
    const found = collisionsAmong([service, deployment, job, cron].map((o) => recordOf(o.kind, o)!));
    const lines = found.map((c) => describeCollision(c, KEY));
    expect(lines).toEqual([
      'Service fleetdm/fleet (app=fleet, chart=fleet, heritage=Helm, release=fleet) selects pods of Job fleetdm/fleet-migration and Deployment fleetdm/fleet; add app.kubernetes.io/component to its selector',
      'Service fleetdm/fleet (app=fleet, chart=fleet, heritage=Helm, release=fleet) selects pods of CronJob fleetdm/fleet-vulnprocessing and Deployment fleetdm/fleet; add app.kubernetes.io/component to its selector',
      'Deployment fleetdm/fleet selector (app=fleet, chart=fleet, heritage=Helm, release=fleet) matches pods of Job fleetdm/fleet-migration',
      'Deployment fleetdm/fleet selector (app=fleet, chart=fleet, heritage=Helm, release=fleet) matches pods of CronJob fleetdm/fleet-vulnprocessing',
    ]);
  });

  test('at admission: a new Job matched by a pre-existing Deployment and by the Service is warned about, both named', () => {
    const { handler } = standaloneHandler({ workloads: workloadIndex([service, deployment]) });
    const d = handler.handle(readReview(admissionReview(job)).request);
    const warnings = d.response.warnings ?? [];
    expect(warnings).toContain('fleet-webhook: Deployment fleet also selects these pods (app=fleet, chart=fleet, heritage=Helm, release=fleet)');
    expect(warnings).toContain("fleet-webhook: Service fleet selects these pods and Deployment fleet's (app=fleet, chart=fleet, heritage=Helm, releas...");
    for (const w of warnings) expect(w.length).toBeLessThanOrEqual(120);
    expect(d.collisions?.map((c) => c.otherKind).sort()).toEqual(['Deployment', 'Service']);
    expect(d.response.patchType).toBe('JSONPatch'); // the check is read-only: the mutation still happens
  });

  test('at admission: a new Deployment whose selector (after mutation) would still match existing pods is warned about', () => {
    const { handler } = standaloneHandler({ workloads: workloadIndex([job, cron]) });
    // the Deployment already carries the component key in its template, with a value the Job also has
    const d2 = structuredClone(deployment);
    d2.spec.template.metadata.labels[KEY] = 'shared';
    const jobWithValue = structuredClone(job);
    jobWithValue.spec.template.metadata.labels[KEY] = 'shared';
    const { handler: h2 } = standaloneHandler({ workloads: workloadIndex([jobWithValue]) });
    expect(h2.handle(readReview(admissionReview(d2)).request).collisions?.map((c) => c.text)).toEqual([
      expect.stringMatching(/^Deployment fleetdm\/fleet selector \(.*app.kubernetes.io\/component=shared\) matches pods of Job fleetdm\/fleet-migration$/),
    ]);
    // with the webhook's own values, the new Deployment's selector no longer matches the Job/CronJob pods
    expect(handler.handle(readReview(admissionReview(deployment)).request).collisions).toEqual([]);
  });

  test('a Service that selects only the new workload is its own: no warning', () => {
    const { handler } = standaloneHandler({ workloads: workloadIndex([service]) });
    expect(handler.handle(readReview(admissionReview(deployment)).request).collisions).toEqual([]);
  });

  test("an object's own selector is never reported (the index already holds it, e.g. on reinvocation)", () => {
    const own = workloadIndex([deployment]);
    const r = recordOf('Deployment', deployment) as WorkloadRecord;
    expect(collisionsOf(r, own)).toEqual([]);
  });
});

describe('Fleet shards', () => {
  test('a pre-existing shard Deployment (created before the webhook) selects a new shard\'s pods only until both carry the label', () => {
    const old = shardDeployment('shard0'); // selector app=fleet-controller only
    const { handler } = standaloneHandler({ workloads: workloadIndex([old]) });
    const d = handler.handle(readReview(admissionReview(shardDeployment('shard1'))).request);
    // the new shard's pods get component=fleet-controller-shard-shard1, but old shard0's selector (app only) still matches them
    expect(d.collisions?.map((c) => c.text)).toEqual(['Deployment cattle-fleet-system/fleet-controller-shard-shard0 selector (app=fleet-controller) matches pods of Deployment cattle-fleet-system/fleet-controller-shard-shard1']);
  });

  test('a new shard selected by fifteen old ones gets ten warnings, the last counting the rest; every collision is still recorded', () => {
    const old = Array.from({ length: 15 }, (_, i) => shardDeployment(`old${i}`));
    const { handler } = standaloneHandler({ workloads: workloadIndex(old) });
    const d = handler.handle(readReview(admissionReview(shardDeployment('new'))).request);
    expect(d.collisions).toHaveLength(15);
    const warnings = d.response.warnings ?? [];
    expect(warnings).toHaveLength(10);
    expect(warnings.slice(0, 9)).toEqual(d.collisions!.slice(0, 9).map(() => expect.stringMatching(/^fleet-webhook: Deployment fleet-controller-shard-old\d+ also selects these pods/)));
    expect(warnings[9]).toBe('fleet-webhook: 6 more warnings not shown');
  });

  test('workloads in other namespaces are never compared', () => {
    const { handler } = standaloneHandler({ workloads: workloadIndex([shardDeployment('shard0')]) });
    expect(handler.handle(readReview(admissionReview(gitjobJob())).request).collisions).toEqual([]);
  });
});
