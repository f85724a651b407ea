import fc from 'fast-check';
import { findingsOf, formatTable } from '../../src/audit/findings.js';
import { readReview } from '../../src/admission/review.js';
import { admissionReview, CONTROLLER_TOLERATIONS } from '../support/fixtures.js';
import { COMPONENT_KEY, damagedSelecting, damagedWorkload } from '../support/damaged.js';
import { standaloneHandler, workloadIndex } from '../support/handler.js';
import { afterPatch, decodePatch } from '../support/patch.js';

// Collision detection reads the selectors and pod labels of every workload and Service it is given:
// cached from the cluster, admitted, or read from manifests by `audit` and `mutate --check`.

test('an admission with collision detection on never fails open for an internal error, whatever the objects hold', () => {
  fc.assert(
    fc.property(fc.array(damagedSelecting, { maxLength: 4 }), damagedWorkload, (cached, { obj }) => {
      const { handler, lines } = standaloneHandler({ workloads: workloadIndex(cached.map((c) => c.obj)) });
      // The namespace the cached objects are in (FleetDM's), unless the change replaced it.
      const decision = handler.handle(readReview(admissionReview(obj, { namespace: 'fleetdm' })).request);
      expect(decision.outcome).not.toBe('error');
      expect(lines().filter((l) => l.level >= 50)).toEqual([]);
      if (decision.outcome === 'mutated') afterPatch(obj, decodePatch(decision.response));
    }),
    { numRuns: 1500 },
  );
});

test('audit findings of any objects: every finding names its object in text, and the table prints', () => {
  fc.assert(
    fc.property(fc.array(damagedSelecting, { minLength: 1, maxLength: 5 }), (objects) => {
      const findings = findingsOf(objects, CONTROLLER_TOLERATIONS, COMPONENT_KEY, 'manifests');
      for (const f of findings) {
        expect(typeof f.namespace).toBe('string');
        expect(typeof f.object).toBe('string');
        expect(typeof f.detail).toBe('string');
      }
      expect(formatTable(findings)).toContain(findings.length === 0 ? 'No findings.' : `${findings.length} finding(s).`);
    }),
    { numRuns: 1500 },
  );
});
