import fc from 'fast-check';
import { CHANGE_ANNOTATION, mutateWorkload } from '../../src/mutation/mutate.js';
import { encodePatch } from '../../src/admission/patch-encoding.js';
import { freezeDeep } from '../../src/mutation/frozen.js';
import { CONTROLLER_TOLERATIONS } from '../support/fixtures.js';
import { COMPONENT_KEY, damagedWorkload } from '../support/damaged.js';
import { afterPatch, decodePatch } from '../support/patch.js';

// The API server decodes an object into its Go type before the mutating webhooks run but validates it
// only after them; a direct caller of the webhook and the manifests `mutate` reads are not even
// decoded. So every place the mutation reads may hold any JSON value.

const inputs = { tolerations: freezeDeep(CONTROLLER_TOLERATIONS.map((t) => ({ ...t }))), componentLabelKey: COMPONENT_KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true };

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

test('any JSON value wherever the mutation reads: no throw, and either a clean, additive, convergent patch or nothing with a reason', () => {
  fc.assert(
    fc.property(damagedWorkload, ({ kind, obj }) => {
      const before = structuredClone(obj);
      const result = mutateWorkload(obj, kind, inputs);
      expect(obj).toEqual(before);
      if (result.patch.length === 0) {
        expect(result.changes).toEqual([]);
        if (result.skipped && !result.skipped.startsWith('label')) expect(result.warnings.join('\n')).toContain(result.skipped);
        return;
      }
      expect(result.skipped).toBeUndefined();
      const after = afterPatch(obj, decodePatch({ patch: encodePatch(result.patch) }));
      keptIn(before, after);
      expect(mutateWorkload(after, kind, inputs).patch).toEqual([]);
    }),
    { numRuns: 3000 },
  );
});
