import fc from 'fast-check';
import { CHANGE_ANNOTATION, mutateWorkload, SKIP_LABEL } from '../../src/mutation/mutate.js';
import { encodePatch } from '../../src/admission/patch-encoding.js';
import { freezeDeep } from '../../src/mutation/frozen.js';
import type { WorkloadKind } from '../../src/mutation/types.js';
import { CONTROLLER_TOLERATIONS, cleanupGitrepoJobsCronJob, fleetControllerDeployment, gitjobJob, jobCreatedByCronJob } from '../support/fixtures.js';
import { afterPatch, decodePatch } from '../support/patch.js';

// What the API server can hand the webhook is whatever a client sent and the API server's own decoding
// let through (a CREATE of an invalid object is refused only after the mutating webhooks ran). So every
// place the mutation reads is given any JSON value here, on top of real Fleet objects.

const KEY = 'app.kubernetes.io/component';
const inputs = { tolerations: freezeDeep(CONTROLLER_TOLERATIONS.map((t) => ({ ...t }))), componentLabelKey: KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true };

const TEMPLATE_READS = [['metadata'], ['metadata', 'labels'], ['metadata', 'labels', KEY], ['spec'], ['spec', 'tolerations'], ['spec', 'tolerations', '0']];
const OBJECT_READS = [
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'generateName'],
  ['metadata', 'labels'],
  ['metadata', 'labels', SKIP_LABEL],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', CHANGE_ANNOTATION],
  ['metadata', 'ownerReferences'],
  ['metadata', 'ownerReferences', '0'],
  ['spec'],
];
const READS: Record<WorkloadKind, string[][]> = {
  Job: [...OBJECT_READS, ['spec', 'manualSelector'], ['spec', 'selector'], ['spec', 'selector', 'matchLabels'], ['spec', 'template'], ...TEMPLATE_READS.map((p) => ['spec', 'template', ...p])],
  CronJob: [...OBJECT_READS, ['spec', 'jobTemplate'], ['spec', 'jobTemplate', 'spec'], ['spec', 'jobTemplate', 'spec', 'template'], ...TEMPLATE_READS.map((p) => ['spec', 'jobTemplate', 'spec', 'template', ...p])],
  Deployment: [
    ...OBJECT_READS,
    ['spec', 'selector'],
    ['spec', 'selector', 'matchLabels'],
    ['spec', 'selector', 'matchLabels', KEY],
    ['spec', 'selector', 'matchExpressions'],
    ['spec', 'selector', 'matchExpressions', '0'],
    ['spec', 'template'],
    ...TEMPLATE_READS.map((p) => ['spec', 'template', ...p]),
  ],
};

const BASES: Record<WorkloadKind, (() => any)[]> = {
  Job: [() => gitjobJob(), jobCreatedByCronJob],
  CronJob: [cleanupGitrepoJobsCronJob],
  Deployment: [() => fleetControllerDeployment([])],
};

/** Sets `value` at `path`, making each step above it an object (an array keeps its index as a key). */
function setAt(obj: any, path: string[], value: unknown): void {
  let cur = obj;
  for (const token of path.slice(0, -1)) {
    if (typeof cur[token] !== 'object' || cur[token] === null) cur[token] = {};
    cur = cur[token];
  }
  cur[path[path.length - 1]] = value;
}

/** Every value in `before` is in `after` unchanged, except nulls, which the API server treats as absent. */
function keptIn(before: unknown, after: unknown, path = ''): void {
  if (before === null) return;
  if (Array.isArray(before)) {
    if (!Array.isArray(after)) throw new Error(`${path} was a list and is not any more`);
    before.forEach((v, i) => keptIn(v, after[i], `${path}/${i}`));
  } else if (typeof before === 'object') {
    if (typeof after !== 'object' || after === null || Array.isArray(after)) throw new Error(`${path} was an object and is not any more`);
    for (const [k, v] of Object.entries(before)) keptIn(v, (after as Record<string, unknown>)[k], `${path}/${k}`);
  } else if (before !== after) {
    throw new Error(`${path} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`);
  }
}

const anyJson = fc.oneof(
  fc.constantFrom(null, '', 'x', 'true', 0, 1, true, false, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom({ key: 'cattle.io/os' }, { kind: 'CronJob', apiVersion: 'batch/v1' }, { key: KEY, operator: 'Exists' }),
);

const damaged = fc.constantFrom<WorkloadKind>('Job', 'CronJob', 'Deployment').chain((kind) =>
  fc.record({
    kind: fc.constant(kind),
    base: fc.constantFrom(...BASES[kind]),
    changes: fc.array(fc.tuple(fc.constantFrom(...READS[kind]), anyJson), { minLength: 1, maxLength: 4 }),
  }),
);

test('any JSON value wherever the mutation reads: no throw, and either a clean, additive, convergent patch or nothing with a reason', () => {
  fc.assert(
    fc.property(damaged, ({ kind, base, changes }) => {
      // Through JSON, as the server receives it: no undefined, no shared references.
      const obj = base();
      for (const [path, value] of changes) setAt(obj, path, structuredClone(value));
      const received = JSON.parse(JSON.stringify(obj));
      const before = structuredClone(received);

      const result = mutateWorkload(received, kind, inputs);
      expect(received).toEqual(before);
      if (result.patch.length === 0) {
        expect(result.changes).toEqual([]);
        if (result.skipped && !result.skipped.startsWith('label')) expect(result.warnings.join('\n')).toContain(result.skipped);
        return;
      }
      expect(result.skipped).toBeUndefined();
      const after = afterPatch(received, decodePatch({ patch: encodePatch(result.patch) }));
      keptIn(before, after);
      expect(mutateWorkload(after, kind, inputs).patch).toEqual([]);
    }),
    { numRuns: 3000 },
  );
});
