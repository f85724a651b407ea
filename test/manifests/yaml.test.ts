import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGE_ANNOTATION, mutateWorkload } from '../../src/mutation/mutate.js';
import { supportedKindOfObject } from '../../src/mutation/workload.js';
import { applyAddPatchToYaml, documentsToYaml, objectsOf, parseDocuments, type ParsedDocument } from '../../src/manifests/yaml.js';
import { CONTROLLER_TOLERATIONS } from '../support/fixtures.js';
import { afterPatch } from '../support/patch.js';
import { PACKAGE_ROOT } from '../support/cli.js';

const KEY = 'app.kubernetes.io/component';
const inputs = { tolerations: CONTROLLER_TOLERATIONS, componentLabelKey: KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true };

/** Patches each workload document in place; returns what kubectl would send for each before and after. */
function mutateAll(docs: ParsedDocument[]): { before: any; expected: any; after: any }[] {
  return docs.map((d) => {
    const before = JSON.parse(JSON.stringify(d.value));
    const kind = supportedKindOfObject(before);
    const patch = kind ? mutateWorkload(before, kind, inputs).patch : [];
    applyAddPatchToYaml(d.doc, patch);
    return { before, expected: afterPatch(before, patch), after: JSON.parse(JSON.stringify(d.doc.toJS())) };
  });
}

describe('applyAddPatchToYaml', () => {
  test('the patched document means what the patched JSON means, and keeps its comments', () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'test/fixtures/fleet-chart.yaml'), 'utf8');
    const docs = parseDocuments(text, 'chart');
    for (const { expected, after } of mutateAll(docs)) expect(after).toEqual(expected);
    expect(documentsToYaml(docs.map((d) => d.doc))).toContain('# cleanup hook Job');
  });

  // One set of labels for the object, its selector and its pods: kubectl sends three copies, and the
  // webhook's patch changes two of them.
  const SHARED = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels
    app: web
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels: *labels
    spec:
      containers: [{name: c, image: i}] # the only container
`;

  test('an alias on the way is patched as its own copy: the anchor and the other aliases keep their value', () => {
    const docs = parseDocuments(SHARED, 'shared');
    const [{ before, expected, after }] = mutateAll(docs);
    expect(after).toEqual(expected);
    expect(after.metadata.labels).toEqual({ app: 'web' });
    expect(after.spec.selector.matchLabels).toEqual({ app: 'web', [KEY]: 'web' });
    expect(before.spec.template.metadata.labels).toEqual({ app: 'web' });
    const output = documentsToYaml(docs.map((d) => d.doc));
    expect(output).toContain('labels: &labels');
    expect(output).toContain('# the only container');
    expect(parseDocuments(output, 'output')[0].value).toEqual(expected);
  });

  test('an anchor on the way is patched in place, and its aliases elsewhere keep the value it had', () => {
    const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: j
spec:
  template: &pod
    metadata:
      labels: &podLabels {app: j}
    spec: &podSpec
      tolerations: &tolerations [{key: own, operator: Exists}]
      containers: [{name: c, image: i}]
x-copies: {template: *pod, labels: *podLabels, spec: *podSpec, tolerations: *tolerations}
`;
    const docs = parseDocuments(text, 'anchors');
    const [{ before, expected, after }] = mutateAll(docs);
    expect(after).toEqual(expected);
    expect(after['x-copies']).toEqual(before['x-copies']);
    expect(after.spec.template.spec.tolerations).toEqual([{ key: 'own', operator: 'Exists' }, ...CONTROLLER_TOLERATIONS]);
    expect(parseDocuments(documentsToYaml(docs.map((d) => d.doc)), 'output')[0].value).toEqual(expected);
  });

  test('merge keys are read as kubectl reads them, and a patch through one keeps what was merged', () => {
    const text = `apiVersion: batch/v1
kind: Job
metadata:
  name: m
x-common: &common
  tolerations: [{key: own, operator: Exists}]
  nodeSelector: {os: linux}
spec:
  template:
    metadata:
      <<: {labels: {app: m}}
    spec:
      <<: *common
      containers: [{name: c, image: i}]
`;
    const docs = parseDocuments(text, 'merge');
    const [{ before, expected, after }] = mutateAll(docs);
    expect(before.spec.template.spec).toEqual({ tolerations: [{ key: 'own', operator: 'Exists' }], nodeSelector: { os: 'linux' }, containers: [{ name: 'c', image: 'i' }] });
    expect(after).toEqual(expected);
    expect(after.spec.template.spec.tolerations).toEqual([{ key: 'own', operator: 'Exists' }, ...CONTROLLER_TOLERATIONS]);
    expect(after.spec.template.metadata.labels).toEqual({ app: 'm', [KEY]: 'job_m' });
    expect(after['x-common']).toEqual(before['x-common']);
    expect(parseDocuments(documentsToYaml(docs.map((d) => d.doc)), 'output')[0].value).toEqual(expected);
  });
});

describe('objectsOf', () => {
  const STREAM = `apiVersion: v1
kind: List
items:
- {apiVersion: batch/v1, kind: Job, metadata: {name: a, namespace: fleet-default}, spec: {template: {spec: {containers: [{name: c, image: i}]}}}}
- 5
- {apiVersion: v1, kind: Service, metadata: {name: s}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: batch/v1
kind: JobList
items: []
---
apiVersion: v1
kind: List
metadata: {name: no-items}
`;

  test('a List stands for its items, each with its place in the document; other documents stand for themselves', () => {
    const objects = objectsOf(parseDocuments(STREAM, 'stream'));
    expect(objects.map((o) => [o.label, o.pointer])).toEqual([
      ['document 1 item 1 (Job fleet-default/a)', '/items/0'],
      ['document 1 item 2', '/items/1'],
      ['document 1 item 3 (Service s)', '/items/2'],
      ['document 2 (Deployment d)', ''],
      ['document 4 (List no-items)', ''],
    ]);
    expect(objects[1].value).toBe(5);
    expect(objects[0].document.index).toBe(1);
  });

  test("a List's item is patched in place: the document means the List of the patched items", () => {
    const text = readFileSync(join(PACKAGE_ROOT, 'test/fixtures/fleet-chart.yaml'), 'utf8');
    const items = parseDocuments(text, 'chart').map((d) => d.value as Record<string, unknown>);
    const [list] = parseDocuments(JSON.stringify({ apiVersion: 'v1', kind: 'List', items }), 'list');
    const expected = items.map((item) => {
      const kind = supportedKindOfObject(item);
      return kind ? afterPatch(item, mutateWorkload(item, kind, inputs).patch) : item;
    });
    for (const o of objectsOf([list])) {
      const item = o.value as Record<string, unknown>;
      const kind = supportedKindOfObject(item);
      if (kind) applyAddPatchToYaml(list.doc, mutateWorkload(item, kind, inputs).patch, o.pointer);
    }
    expect(list.doc.toJS()).toEqual({ apiVersion: 'v1', kind: 'List', items: expected });
    expect(expected).not.toEqual(items);
  });
});

describe('documentsToYaml', () => {
  test('a JSON document stays JSON with the patch in it; YAML documents beside it stay YAML with their comments', () => {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const text = `${JSON.stringify(job)}\n---\n# a YAML Job\napiVersion: batch/v1\nkind: Job\nmetadata: {name: y}\nspec: {template: {spec: {containers: []}}}\n`;
    const docs = parseDocuments(text, 'mixed');
    const [{ expected: first }, { expected: second }] = mutateAll(docs);
    const [jsonText, yamlText] = documentsToYaml(docs.map((d) => d.doc)).split('---\n');
    expect(JSON.parse(jsonText)).toEqual(first);
    expect(yamlText).toContain('# a YAML Job');
    expect(() => JSON.parse(yamlText)).toThrow();
    expect(parseDocuments(yamlText, 'yaml')[0].value).toEqual(second);
  });
});
