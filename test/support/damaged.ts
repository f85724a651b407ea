import fc from 'fast-check';
import { CHANGE_ANNOTATION, SKIP_LABEL } from '../../src/mutation/mutate.js';
import type { SelectingKind } from '../../src/collisions/workloads.js';
import { cleanupGitrepoJobsCronJob, fleetControllerDeployment, fleetdmManifests, gitjobJob, jobCreatedByCronJob } from './fixtures.js';

// Objects the webhook can be handed that are not what Kubernetes would store: a direct caller's, or a
// manifest read by `mutate` and `audit`. Real Fleet and FleetDM objects with any JSON value put at the
// places the webhook reads.

export const COMPONENT_KEY = 'app.kubernetes.io/component';

const TOLERATION = ['spec', 'tolerations', '0'];
const TEMPLATE_READS = [
  ['metadata'],
  ['metadata', 'labels'],
  ['metadata', 'labels', COMPONENT_KEY],
  ['spec'],
  ['spec', 'tolerations'],
  TOLERATION,
  ...['key', 'operator', 'value', 'effect', 'tolerationSeconds'].map((field) => [...TOLERATION, field]),
];
const OBJECT_READS = [
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'generateName'],
  ['metadata', 'namespace'],
  ['metadata', 'labels'],
  ['metadata', 'labels', SKIP_LABEL],
  ['metadata', 'annotations'],
  ['metadata', 'annotations', CHANGE_ANNOTATION],
  ['metadata', 'ownerReferences'],
  ['metadata', 'ownerReferences', '0'],
  ['spec'],
];
const EXPRESSION = ['spec', 'selector', 'matchExpressions', '0'];
const READS: Record<SelectingKind, string[][]> = {
  Job: [...OBJECT_READS, ['spec', 'manualSelector'], ['spec', 'selector'], ['spec', 'selector', 'matchLabels'], ['spec', 'template'], ...TEMPLATE_READS.map((p) => ['spec', 'template', ...p])],
  CronJob: [...OBJECT_READS, ['spec', 'jobTemplate'], ['spec', 'jobTemplate', 'spec'], ['spec', 'jobTemplate', 'spec', 'template'], ...TEMPLATE_READS.map((p) => ['spec', 'jobTemplate', 'spec', 'template', ...p])],
  Deployment: [
    ...OBJECT_READS,
    ['spec', 'selector'],
    ['spec', 'selector', 'matchLabels'],
    ['spec', 'selector', 'matchLabels', COMPONENT_KEY],
    ['spec', 'selector', 'matchExpressions'],
    EXPRESSION,
    ...[['key'], ['operator'], ['values'], ['values', '0']].map((field) => [...EXPRESSION, ...field]),
    ['spec', 'template'],
    ...TEMPLATE_READS.map((p) => ['spec', 'template', ...p]),
  ],
  Service: [...OBJECT_READS, ['spec', 'selector'], ['spec', 'selector', 'app']],
};

const fleetdm = (kind: SelectingKind) => () => fleetdmManifests().find((o) => o.kind === kind);
const BASES: Record<SelectingKind, (() => any)[]> = {
  Job: [() => gitjobJob(), jobCreatedByCronJob, fleetdm('Job')],
  CronJob: [cleanupGitrepoJobsCronJob, fleetdm('CronJob')],
  Deployment: [() => fleetControllerDeployment([]), fleetdm('Deployment')],
  Service: [fleetdm('Service')],
};

/** Sets `value` at `path`, making each missing step above it a list (before an index) or an object. */
function setAt(obj: any, path: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const token = path[i];
    if (typeof cur[token] !== 'object' || cur[token] === null) cur[token] = /^\d+$/.test(path[i + 1]) ? [] : {};
    cur = cur[token];
  }
  cur[path[path.length - 1]] = value;
}

// Parsed JSON can hold own properties that shadow Object.prototype's: String() of the first two throws.
const HOSTILE = ['{"toString":1}', '{"toString":1,"valueOf":1}', '{"__proto__":{"polluted":"yes"}}', '{"constructor":1,"hasOwnProperty":1}'].map((text) => JSON.parse(text));

const anyJson = fc.oneof(
  fc.constantFrom(null, '', 'x', 'true', 0, 1, true, false, [], {}),
  fc.constantFrom(...HOSTILE),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom({ key: 'cattle.io/os' }, { kind: 'CronJob', apiVersion: 'batch/v1' }, { key: COMPONENT_KEY, operator: 'Exists' }),
);

/** An object of `kind` with 1–4 of its read places replaced, as it arrives: through JSON. */
export function damaged<K extends SelectingKind>(kind: K): fc.Arbitrary<{ kind: K; obj: any }> {
  return fc
    .record({ base: fc.constantFrom(...BASES[kind]), changes: fc.array(fc.tuple(fc.constantFrom(...READS[kind]), anyJson), { minLength: 1, maxLength: 4 }) })
    .map(({ base, changes }) => {
      const obj = base();
      for (const [path, value] of changes) setAt(obj, path, structuredClone(value));
      return { kind, obj: JSON.parse(JSON.stringify(obj)) };
    });
}

export const damagedWorkload = fc.oneof(damaged('Job'), damaged('CronJob'), damaged('Deployment'));
export const damagedSelecting = fc.oneof(damagedWorkload, damaged('Service'));
