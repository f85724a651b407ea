import { displayName } from '../../src/mutation/workload.js';

test('an object is named by its name, else by generateName with a star, else not at all', () => {
  expect(displayName({ name: 'fleet-controller', generateName: 'ignored-' })).toBe('fleet-controller');
  expect(displayName({ generateName: 'fleet-cleanup-' })).toBe('fleet-cleanup-*');
  // An empty name is no name: the API server generates one from generateName.
  expect(displayName({ name: '', generateName: 'fleet-cleanup-' })).toBe('fleet-cleanup-*');
  expect(displayName({ name: 7 })).toBeUndefined();
  expect(displayName({})).toBeUndefined();
  expect(displayName(undefined)).toBeUndefined();
  expect(displayName(['not', 'metadata'])).toBeUndefined();
});
