import fc from 'fast-check';
import { CHANGE_ANNOTATION, mutateWorkload } from '../../src/mutation/mutate.js';
import { encodePatch } from '../../src/admission/patch-encoding.js';
import { freezeDeep } from '../../src/mutation/frozen.js';
import { CONTROLLER_TOLERATIONS } from '../support/fixtures.js';
import { COMPONENT_KEY, damagedWorkload } from '../support/damaged.js';
import { afterPatch, decodePatch, expectOnlyAdds } from '../support/patch.js';

// The API server decodes an object into its Go type before the mutating webhooks run but validates it
// only after them; a direct caller of the webhook and the manifests `mutate` reads are not even
// decoded. So every place the mutation reads may hold any JSON value.

const inputs = { tolerations: freezeDeep(CONTROLLER_TOLERATIONS.map((t) => ({ ...t }))), componentLabelKey: COMPONENT_KEY, changeAnnotationKey: CHANGE_ANNOTATION, creating: true };

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
      expectOnlyAdds(before, after, { nullsAbsent: true });
      expect(mutateWorkload(after, kind, inputs).patch).toEqual([]);
    }),
    { numRuns: 3000 },
  );
});
