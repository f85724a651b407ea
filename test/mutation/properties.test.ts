import fc from 'fast-check';
import { mutateWorkload, SKIP_LABEL } from '../../src/mutation/mutate.js';
import { isValidLabelValue } from '../../src/mutation/component-label.js';
import { missingTolerations, sameToleration, tolerationIdentity } from '../../src/mutation/tolerations.js';
import { freezeDeep } from '../../src/mutation/frozen.js';
import { encodePatch } from '../../src/admission/patch-encoding.js';
import { afterPatch, decodePatch, expectOnlyAdds } from '../support/patch.js';
import type { Toleration, WorkloadKind } from '../../src/mutation/types.js';
import { podTemplatePath } from '../../src/mutation/workload.js';

const KEY = 'app.kubernetes.io/component';
const ANNOTATION = 'fleet-webhook.io/mutated';

// Keys with the characters JSON pointers must escape, and the shapes label keys really have.
const keyPart = fc.stringMatching(/^[a-z0-9]([a-z0-9.~_-]{0,20}[a-z0-9])?$/);
const labelKey = fc.oneof(keyPart, fc.tuple(keyPart, keyPart).map(([p, n]) => `${p}.io/${n}`)).filter((k) => k !== KEY && k !== SKIP_LABEL);
const labels = fc.dictionary(labelKey, fc.stringMatching(/^[a-z0-9]{0,10}$/), { maxKeys: 5 });
const toleration: fc.Arbitrary<Toleration> = fc.record(
  {
    key: fc.oneof(labelKey, fc.constant('cattle.io/os')),
    operator: fc.constantFrom('Equal', 'Exists'),
    value: fc.stringMatching(/^[a-z0-9]{0,8}$/),
    effect: fc.constantFrom('NoSchedule', 'NoExecute', 'PreferNoSchedule'),
    tolerationSeconds: fc.integer({ min: 0, max: 3600 }),
  },
  { requiredKeys: ['key'] },
);
const uniqueTolerations = (max: number) => fc.uniqueArray(toleration, { maxLength: max, selector: tolerationIdentity });
const dnsName = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,250}[a-z0-9])?$/);
const unknown = fc.dictionary(fc.stringMatching(/^x[A-Za-z]{1,8}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

const workload = fc
  .record({
    kind: fc.constantFrom<WorkloadKind>('Job', 'CronJob', 'Deployment'),
    name: fc.option(dnsName, { nil: undefined }),
    generateName: fc.option(dnsName.map((n) => `${n}-`), { nil: undefined }),
    objectLabels: labels,
    podLabels: fc.option(labels, { nil: undefined }),
    tolerations: fc.option(uniqueTolerations(6), { nil: undefined }),
    selectorKeys: fc.nat({ max: 3 }),
    extra: unknown,
    specExtra: unknown,
  })
  .map((w) => {
    const podSpec: any = { containers: [{ name: 'c', image: 'i' }], ...w.specExtra };
    if (w.tolerations) podSpec.tolerations = w.tolerations;
    const template: any = { spec: podSpec };
    if (w.podLabels) template.metadata = { labels: w.podLabels };
    const metadata: any = { labels: w.objectLabels, ...(w.name ? { name: w.name } : {}), ...(w.generateName ? { generateName: w.generateName } : {}) };
    const obj: any = { apiVersion: w.kind === 'Deployment' ? 'apps/v1' : 'batch/v1', kind: w.kind, metadata, ...w.extra };
    if (w.kind === 'CronJob') obj.spec = { schedule: '@daily', jobTemplate: { spec: { template } } };
    else if (w.kind === 'Job') obj.spec = { template };
    else {
      const matchLabels = Object.fromEntries(Object.entries(w.podLabels ?? {}).slice(0, w.selectorKeys));
      obj.spec = { selector: { matchLabels }, template };
    }
    return { kind: w.kind, obj };
  });

const get = (obj: any, tokens: readonly string[]) => tokens.reduce((o, t) => o?.[t], obj);

test('for arbitrary workloads the patch applies, only adds, is complete, keeps selectors matching and converges', () => {
  fc.assert(
    fc.property(workload, uniqueTolerations(8), fc.boolean(), ({ kind, obj }, controller, frozen) => {
      // The server passes frozen tolerations (their encoding is reused); the offline command plain ones.
      const inputs = { tolerations: frozen ? freezeDeep(controller) : controller, componentLabelKey: KEY, changeAnnotationKey: ANNOTATION, creating: true };
      const before = structuredClone(obj);
      const result = mutateWorkload(obj, kind, inputs);
      expect(obj).toEqual(before);
      // The patch as the API server receives it: through the response encoding.
      const wire = decodePatch({ patch: encodePatch(result.patch) });
      expect(wire).toEqual(JSON.parse(JSON.stringify(result.patch)));
      const after = afterPatch(obj, wire);
      expectOnlyAdds(before, after);

      const template = get(after, podTemplatePath(kind));
      const ids = (template.spec.tolerations ?? []).map(tolerationIdentity);
      for (const t of controller) expect(ids.filter((id: string) => id === tolerationIdentity(t))).toHaveLength(1);

      const value = template.metadata?.labels?.[KEY];
      if (obj.metadata.name || /[A-Za-z0-9]/.test(obj.metadata.generateName ?? '')) {
        expect(isValidLabelValue(value)).toBe(true);
      }
      if (kind === 'Deployment') {
        for (const [k, v] of Object.entries(after.spec.selector.matchLabels ?? {})) expect(template.metadata.labels[k]).toBe(v);
      }
      const second = mutateWorkload(after, kind, inputs);
      expect(second.patch).toEqual([]);
    }),
    { numRuns: 400 },
  );
});

test('an object labelled fleet-webhook.io/skip=true is never changed', () => {
  fc.assert(
    fc.property(workload, uniqueTolerations(4), ({ kind, obj }, controller) => {
      obj.metadata.labels[SKIP_LABEL] = 'true';
      expect(mutateWorkload(obj, kind, { tolerations: controller, componentLabelKey: KEY, changeAnnotationKey: ANNOTATION, creating: true }).patch).toEqual([]);
    }),
    { numRuns: 100 },
  );
});

// Untrusted tolerations: any field may be missing, null, or of the wrong type.
const looseField = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom('', 'a', 'b', 'Equal', 'Exists', 'NoSchedule', '0', '5'), fc.integer({ min: -1, max: 5 }), fc.boolean());
const looseToleration = fc.record({ key: looseField, operator: looseField, value: looseField, effect: looseField, tolerationSeconds: looseField }, { requiredKeys: [] }) as fc.Arbitrary<Toleration>;

test('sameToleration agrees with comparing identities, for any field values', () => {
  fc.assert(
    fc.property(looseToleration, looseToleration, (a, b) => {
      expect(sameToleration(a, b)).toBe(tolerationIdentity(a) === tolerationIdentity(b));
      expect(sameToleration(a, a)).toBe(true);
    }),
    { numRuns: 2000 },
  );
});

test('missingTolerations gives the wanted ones whose identity is absent, in order, on both sides of the pairwise limit', () => {
  const small = fc.constantFrom<Toleration>({ key: 'a' }, { key: 'b', operator: 'Exists' }, { key: 'c', effect: 'NoSchedule' }, { key: 'a', tolerationSeconds: 5 });
  const item = fc.oneof(small, looseToleration);
  fc.assert(
    fc.property(fc.array(fc.oneof(item, fc.constant('not an object' as unknown as Toleration)), { maxLength: 14 }), fc.array(item, { maxLength: 14 }), (existing, wanted) => {
      const present = new Set(existing.filter((t) => typeof t === 'object' && t !== null).map(tolerationIdentity));
      expect(missingTolerations(existing, wanted)).toEqual(wanted.filter((t) => !present.has(tolerationIdentity(t))));
    }),
    { numRuns: 1000 },
  );
});
