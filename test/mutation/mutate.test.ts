import fc from 'fast-check';
import { mutateWorkload } from '../../src/mutation/mutate.js';
import type { MutationInputs, Toleration, WorkloadKind } from '../../src/mutation/types.js';
import { isValidLabelValue } from '../../src/mutation/component-label.js';
import { isValidLabelKey } from '../../src/mutation/label-key.js';
import { afterPatch } from '../support/patch.js';
import {
  CATTLE_OS,
  CONTROL_PLANE,
  CONTROLLER_TOLERATIONS,
  DEDICATED,
  UNINITIALIZED,
  cleanupClusterRegistrationsJob,
  cleanupGitrepoJobsCronJob,
  gitjobJob,
  jobCreatedByCronJob,
  shardDeployment,
} from '../support/fixtures.js';

const KEY = 'app.kubernetes.io/component';
const ANNOTATION = 'fleet-webhook.io/mutated';

function inputs(tolerations: Toleration[] = CONTROLLER_TOLERATIONS, key = KEY): MutationInputs {
  return { tolerations, componentLabelKey: key, changeAnnotationKey: ANNOTATION, creating: true };
}

/** Applies the patch the way the API server would (validating it first) and returns the new object. */
function applied(obj: object, kind: WorkloadKind, inp = inputs()): { result: ReturnType<typeof mutateWorkload>; after: any } {
  const before = structuredClone(obj);
  const result = mutateWorkload(obj, kind, inp);
  expect(obj).toEqual(before); // the input is never modified
  const after = afterPatch(obj, result.patch);
  return { result, after };
}

function expectIdempotent(obj: object, kind: WorkloadKind, inp = inputs()) {
  const { after } = applied(obj, kind, inp);
  const second = mutateWorkload(after, kind, inp);
  expect(second.patch).toEqual([]);
  expect(second.changes).toEqual([]);
}

describe('gitjob Job in a workspace namespace', () => {
  test('gets the controller tolerations it lacks, after its own, and a component label', () => {
    const job = gitjobJob();
    const { result, after } = applied(job, 'Job');
    const expected = structuredClone(job);
    expected.spec.template.spec.tolerations.push(CONTROL_PLANE, DEDICATED);
    expected.spec.template.metadata.labels = { [KEY]: 'job_fleet-examples-3c4f2' };
    expected.metadata.annotations = { [ANNOTATION]: 'tolerations+2,component-label' };
    expect(after).toEqual(expected);
    expect(result.patch.every((op) => op.op === 'add')).toBe(true);
    expect(result.changes.map((c) => c.kind)).toEqual(['tolerations', 'component-label']);
  });

  test('is idempotent', () => expectIdempotent(gitjobJob(), 'Job'));
});

describe('chart cleanup Job (pod label app: fleet-job)', () => {
  test('keeps existing labels and escapes "/" in the label key as ~1', () => {
    const { result, after } = applied(cleanupClusterRegistrationsJob(), 'Job');
    expect(result.patch).toContainEqual({ op: 'add', path: '/spec/template/metadata/labels/app.kubernetes.io~1component', value: 'job_fleet-cleanup-clusterregistrations' });
    expect(after.spec.template.metadata.labels).toEqual({ app: 'fleet-job', [KEY]: 'job_fleet-cleanup-clusterregistrations' });
    expect(after.spec.template.spec.tolerations).toEqual([CATTLE_OS, CONTROL_PLANE, DEDICATED]);
    expect(after.metadata.annotations).toEqual({ ...cleanupClusterRegistrationsJob().metadata.annotations, [ANNOTATION]: 'tolerations+2,component-label' });
  });
  test('is idempotent', () => expectIdempotent(cleanupClusterRegistrationsJob(), 'Job'));
});

describe('fleet-cleanup-gitrepo-jobs CronJob', () => {
  test('mutates spec.jobTemplate.spec.template with a cronjob_ value', () => {
    const { after } = applied(cleanupGitrepoJobsCronJob(), 'CronJob');
    const template = after.spec.jobTemplate.spec.template;
    expect(template.metadata.labels[KEY]).toBe('cronjob_fleet-cleanup-gitrepo-jobs');
    expect(template.spec.tolerations).toEqual([CATTLE_OS, CONTROL_PLANE, DEDICATED]);
    expect(after.spec.schedule).toBe('@daily');
  });
  test('is idempotent', () => expectIdempotent(cleanupGitrepoJobsCronJob(), 'CronJob'));
});

describe('shard Deployments that all select app: fleet-controller', () => {
  test('each gets its own value in template and selector, so selectors stop overlapping', () => {
    const a = applied(shardDeployment('shard0'), 'Deployment').after;
    const b = applied(shardDeployment('shard1'), 'Deployment').after;
    expect(a.spec.selector.matchLabels).toEqual({ app: 'fleet-controller', [KEY]: 'fleet-controller-shard-shard0' });
    expect(a.spec.template.metadata.labels[KEY]).toBe('fleet-controller-shard-shard0');
    expect(b.spec.selector.matchLabels[KEY]).toBe('fleet-controller-shard-shard1');
    // a's selector no longer matches b's pods
    const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    expect(matches(a.spec.selector.matchLabels, b.spec.template.metadata.labels)).toBe(false);
    expect(matches(a.spec.selector.matchLabels, a.spec.template.metadata.labels)).toBe(true);
  });
  test('is idempotent', () => expectIdempotent(shardDeployment('x'), 'Deployment'));

  test('a template that already has the key keeps its value and the selector gets the same value', () => {
    const d = shardDeployment('s');
    d.spec.template.metadata.labels[KEY] = 'controller';
    const { result, after } = applied(d, 'Deployment');
    expect(result.changes.map((c) => c.kind)).toEqual(['tolerations', 'selector']);
    expect(after.spec.template.metadata.labels[KEY]).toBe('controller');
    expect(after.spec.selector.matchLabels[KEY]).toBe('controller');
  });

  test('a selector that constrains the key with matchExpressions is not touched', () => {
    const d = shardDeployment('s');
    d.spec.selector = { matchExpressions: [{ key: KEY, operator: 'DoesNotExist' }] };
    const { result, after } = applied(d, 'Deployment');
    expect(after.spec.selector).toEqual(d.spec.selector);
    expect(after.spec.template.metadata.labels[KEY]).toBeUndefined();
    expect(result.warnings.join(' ')).toMatch(/own selector already constrains/);
  });

  test('a selector with only matchExpressions gets matchLabels created whole', () => {
    const d = shardDeployment('s');
    d.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['fleet-controller'] }] };
    const { result, after } = applied(d, 'Deployment');
    expect(result.patch).toContainEqual({ op: 'add', path: '/spec/selector/matchLabels', value: { [KEY]: 'fleet-controller-shard-s' } });
    expect(after.spec.selector.matchExpressions).toEqual(d.spec.selector.matchExpressions);
  });

  test('selectors are left alone when the Deployment is not being created', () => {
    const { result } = applied(shardDeployment('s'), 'Deployment', { ...inputs(), creating: false });
    expect(result.changes.map((c) => c.kind)).not.toContain('selector');
  });
});

describe('tolerations as a set', () => {
  test('an omitted operator equals Equal, and duplicates in the wanted set are added once', () => {
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [{ key: 'dedicated', value: 'fleet', effect: 'NoExecute' }];
    const { after } = applied(job, 'Job', inputs([DEDICATED, DEDICATED, CATTLE_OS]));
    expect(after.spec.template.spec.tolerations).toEqual([{ key: 'dedicated', value: 'fleet', effect: 'NoExecute' }, CATTLE_OS]);
  });

  test('a different tolerationSeconds is a different toleration; existing ones are never changed', () => {
    const job = gitjobJob();
    const timed = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
    job.spec.template.spec.tolerations = [{ ...timed, tolerationSeconds: 30 }];
    const { after } = applied(job, 'Job', inputs([timed]));
    expect(after.spec.template.spec.tolerations).toEqual([{ ...timed, tolerationSeconds: 30 }, timed]);
  });

  test('a pod spec without tolerations gets the array created whole', () => {
    const job = gitjobJob();
    delete job.spec.template.spec.tolerations;
    const { result, after } = applied(job, 'Job');
    expect(result.patch[0]).toEqual({ op: 'add', path: '/spec/template/spec/tolerations', value: CONTROLLER_TOLERATIONS });
    expect(after.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
  });

  test('an empty tolerations list gets the array whole, in one operation', () => {
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [];
    const { result, after } = applied(job, 'Job');
    expect(result.patch.filter((op) => op.path.includes('tolerations'))).toEqual([{ op: 'add', path: '/spec/template/spec/tolerations', value: CONTROLLER_TOLERATIONS }]);
    expect(after.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
    expect(mutateWorkload(after, 'Job', inputs()).patch).toEqual([]);
  });

  test('null tolerations and null labels are treated as absent', () => {
    const job = gitjobJob();
    job.spec.template.spec.tolerations = null;
    job.spec.template.metadata = { labels: null };
    const { after } = applied(job, 'Job');
    expect(after.spec.template.spec.tolerations).toEqual(CONTROLLER_TOLERATIONS);
    expect(after.spec.template.metadata.labels).toEqual({ [KEY]: 'job_fleet-examples-3c4f2' });
  });

  test('nothing to add when the workload already has every toleration and the label', () => {
    const job = gitjobJob();
    job.spec.template.spec.tolerations = [UNINITIALIZED, ...CONTROLLER_TOLERATIONS];
    job.spec.template.metadata = { labels: { [KEY]: 'mine' } };
    const result = mutateWorkload(job, 'Job', inputs());
    expect(result.patch).toEqual([]);
  });
});

describe('component label values', () => {
  test('isValidLabelValue accepts exactly what the API server\'s label value syntax does', () => {
    // The Kubernetes definition, as a RegExp (isValidLabelValue checks it character by character).
    const syntax = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
    const labelish = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '9', '-', '_', '.', '/', ' ', 'é', '~'), maxLength: 70 });
    fc.assert(
      fc.property(fc.oneof(labelish, fc.string({ maxLength: 70 })), (s) => {
        expect(isValidLabelValue(s)).toBe(s.length <= 63 && syntax.test(s));
      }),
      { numRuns: 2000 },
    );
    for (const s of ['', 'a', 'a'.repeat(63), 'a.b_c-d', 'A9']) expect(isValidLabelValue(s)).toBe(true);
    for (const s of ['a'.repeat(64), '-a', 'a-', '_a', 'a.', 'a b', 'a/b', 'é']) expect(isValidLabelValue(s)).toBe(false);
  });

  test('isValidLabelKey accepts exactly the API server\'s qualified names, with an optional DNS subdomain prefix', () => {
    // The Kubernetes definitions, as RegExps.
    const name = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
    const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
    const spec = (key: string) => {
      const slash = key.indexOf('/');
      const n = key.slice(slash + 1);
      const prefix = key.slice(0, Math.max(slash, 0));
      return n.length <= 63 && name.test(n) && (slash === -1 || (prefix.length <= 253 && subdomain.test(prefix)));
    };
    const keyish = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', ' ', 'é'), maxLength: 70 });
    fc.assert(
      fc.property(fc.oneof(keyish, fc.string({ maxLength: 70 })), (k) => {
        expect(isValidLabelKey(k)).toBe(spec(k));
      }),
      { numRuns: 2000 },
    );
    for (const k of ['app.kubernetes.io/component', 'component', 'a', 'example.com/' + 'a'.repeat(63)]) expect(isValidLabelKey(k)).toBe(true);
    for (const k of ['', '/', 'example.com/', '/component', 'Example.com/a', 'a/' + 'b'.repeat(64), 'a/b/c', '-a', 'app.kubernetes.io/-x']) expect(isValidLabelKey(k)).toBe(false);
  });

  test('long names are shortened to a valid, stable value that still differs per name', () => {
    const long = 'a'.repeat(60) + '-gitrepo-with-a-very-long-name-indeed';
    const v1 = applied(gitjobJob(long, 'aaaaa'), 'Job').after.spec.template.metadata.labels[KEY];
    const v1again = applied(gitjobJob(long, 'aaaaa'), 'Job').after.spec.template.metadata.labels[KEY];
    const v2 = applied(gitjobJob(long, 'bbbbb'), 'Job').after.spec.template.metadata.labels[KEY];
    expect(v1.length).toBeLessThanOrEqual(63);
    expect(isValidLabelValue(v1)).toBe(true);
    expect(v1).toBe(v1again);
    expect(v1).not.toBe(v2);
    expect(v1.startsWith('job_aaaa')).toBe(true);
  });

  test('a CREATE with only generateName falls back to it, trimmed to a valid value', () => {
    const job = gitjobJob();
    delete job.metadata.name;
    job.metadata.generateName = 'fleet-examples-';
    const { after } = applied(job, 'Job');
    expect(after.spec.template.metadata.labels[KEY]).toBe('job_fleet-examples');
  });

  test('neither name nor generateName: tolerations still added, label skipped with a warning', () => {
    const job = gitjobJob();
    delete job.metadata.name;
    const { result, after } = applied(job, 'Job');
    expect(after.spec.template.spec.tolerations).toHaveLength(4);
    expect(after.spec.template.metadata.labels).toBeUndefined();
    expect(result.warnings[0]).toMatch(/neither name nor generateName/);
  });

  test('Job values can never equal a Deployment value derived from a name', () => {
    const fromJob = applied(gitjobJob('x', 'y'), 'Job').after.spec.template.metadata.labels[KEY];
    const d = shardDeployment('s');
    d.metadata.name = 'job-x-y';
    const fromDeployment = applied(d, 'Deployment').after.spec.template.metadata.labels[KEY];
    expect(fromJob).toBe('job_x-y');
    expect(fromDeployment).toBe('job-x-y');
    expect(fromJob).not.toBe(fromDeployment);
  });

  test('a custom label key with a prefix is escaped in the patch', () => {
    const { result, after } = applied(cleanupClusterRegistrationsJob(), 'Job', inputs(CONTROLLER_TOLERATIONS, 'fleet.example.com/part'));
    expect(result.patch.some((op) => op.path === '/spec/template/metadata/labels/fleet.example.com~1part')).toBe(true);
    expect(after.spec.template.metadata.labels['fleet.example.com/part']).toBe('job_fleet-cleanup-clusterregistrations');
  });

  // Valid label keys that are also names on Object.prototype: a parsed object "has" them through its
  // prototype, which must not count as the user's label.
  test.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('a key named like an Object.prototype member (%s) is still added', (key) => {
    expect(isValidLabelKey(key)).toBe(true);
    const { result, after } = applied(cleanupClusterRegistrationsJob(), 'Job', inputs(CONTROLLER_TOLERATIONS, key));
    expect(result.warnings).toEqual([]);
    expect(Object.hasOwn(after.spec.template.metadata.labels, key)).toBe(true);
    expect(after.spec.template.metadata.labels[key]).toBe('job_fleet-cleanup-clusterregistrations');

    const d = shardDeployment('s');
    const deployment = applied(d, 'Deployment', inputs(CONTROLLER_TOLERATIONS, key));
    expect(deployment.result.warnings).toEqual([]);
    expect(deployment.after.spec.selector.matchLabels[key]).toBe('fleet-controller-shard-s');
    expect(deployment.after.spec.template.metadata.labels[key]).toBe('fleet-controller-shard-s');
    expectIdempotent(d, 'Deployment', inputs(CONTROLLER_TOLERATIONS, key));
  });
});

describe('Jobs with their own selector or owner', () => {
  test('manualSelector Job: selector untouched and still matches the template', () => {
    const job = gitjobJob();
    job.spec.manualSelector = true;
    job.spec.selector = { matchLabels: { 'batch.example.com/job': 'x' } };
    job.spec.template.metadata = { labels: { 'batch.example.com/job': 'x' } };
    const { after } = applied(job, 'Job');
    expect(after.spec.selector).toEqual(job.spec.selector);
    expect(after.spec.template.metadata.labels).toEqual({ 'batch.example.com/job': 'x', [KEY]: 'job_fleet-examples-3c4f2' });
  });

  test('a Job created by a CronJob keeps the label it got from the jobTemplate', () => {
    const job = jobCreatedByCronJob();
    const { result, after } = applied(job, 'Job');
    expect(after.spec.template.metadata.labels[KEY]).toBe('cronjob_fleet-cleanup-gitrepo-jobs');
    expect(result.changes.map((c) => c.kind)).toEqual(['tolerations']);
  });

  test('a CronJob-owned Job without the label (CronJob older than the webhook) is not given one', () => {
    const job = jobCreatedByCronJob();
    delete job.spec.template.metadata.labels[KEY];
    const { after } = applied(job, 'Job');
    expect(after.spec.template.metadata.labels[KEY]).toBeUndefined();
  });
});

describe('opt-out and objects the webhook cannot understand', () => {
  test('label fleet-webhook.io/skip=true: no change at all', () => {
    const job = gitjobJob();
    job.metadata.labels['fleet-webhook.io/skip'] = 'true';
    const result = mutateWorkload(job, 'Job', inputs());
    expect(result.patch).toEqual([]);
    expect(result.skipped).toMatch(/skip/);
  });

  test.each([
    ['no spec', (o: any) => delete o.spec, /spec.template is missing/],
    ['no pod spec', (o: any) => delete o.spec.template.spec, /spec.template.spec is missing/],
    ['tolerations not a list', (o: any) => (o.spec.template.spec.tolerations = { key: 'x' }), /tolerations is not a list/],
    ['labels not a map', (o: any) => (o.spec.template.metadata = { labels: ['a'] }), /labels is not an object/],
    ['annotations not a map', (o: any) => (o.metadata.annotations = 'x'), /annotations is not an object/],
    ['metadata not a map', (o: any) => (o.metadata = ['x']), /^not mutated: metadata is not an object$/],
    ['pod template metadata not a map', (o: any) => (o.spec.template.metadata = 'x'), /pod template metadata is not an object/],
  ])('%s: allowed unchanged with a warning', (_name, breakIt, message) => {
    const job = gitjobJob();
    breakIt(job);
    const result = mutateWorkload(job, 'Job', inputs());
    expect(result.patch).toEqual([]);
    expect(result.warnings.join(' ')).toMatch(message);
  });

  test.each([
    ['selector not a map', (o: any) => (o.spec.selector = 'app=x'), /spec.selector is not an object/],
    ['matchLabels not a map', (o: any) => (o.spec.selector.matchLabels = ['app']), /spec.selector.matchLabels is not an object/],
  ])('Deployment %s: allowed unchanged with a warning', (_name, breakIt, message) => {
    const deployment = shardDeployment('s');
    breakIt(deployment);
    const result = mutateWorkload(deployment, 'Deployment', inputs());
    expect(result.patch).toEqual([]);
    expect(result.warnings.join(' ')).toMatch(message);
  });

  test('a component label the template already has with a non-string value is left alone, and named in a warning', () => {
    const deployment = shardDeployment('s');
    deployment.spec.template.metadata.labels[KEY] = 7;
    const { result, after } = applied(deployment, 'Deployment');
    expect(after.spec.template.metadata.labels[KEY]).toBe(7);
    expect(after.spec.selector.matchLabels[KEY]).toBeUndefined();
    expect(result.changes.map((c) => c.kind)).toEqual(['tolerations']);
    expect(result.warnings).toEqual([`${KEY} not added: the pod template already has it with a non-string value`]);
  });

  test('an existing change annotation is kept as the user left it', () => {
    const job = gitjobJob();
    job.metadata.annotations = { [ANNOTATION]: 'copied' };
    const { after } = applied(job, 'Job');
    expect(after.metadata.annotations[ANNOTATION]).toBe('copied');
  });

  test('an object without metadata gets it created whole', () => {
    const job = gitjobJob();
    delete job.metadata;
    const { after } = applied(job, 'Job');
    expect(after.metadata).toEqual({ annotations: { [ANNOTATION]: 'tolerations+2' } });
  });
});
