import { reviewOfSize } from '../../bench/objects.js';

// The benchmark's size rows are named by these sizes; the bodies must be what the names say.
test.each([1024, 10 * 1024, 100 * 1024, 1024 * 1024])('reviewOfSize(%i) is a Deployment CREATE review within 7%% of that size', (bytes) => {
  const body = reviewOfSize(bytes);
  expect(body.length).toBeGreaterThanOrEqual(bytes * 0.97);
  expect(body.length).toBeLessThanOrEqual(bytes * 1.07);
  const review = JSON.parse(body);
  expect(review.kind).toBe('AdmissionReview');
  expect(review.request.operation).toBe('CREATE');
  expect(review.request.object.kind).toBe('Deployment');
});

test('larger reviews carry more containers, so the cost grows with parsed objects, not one long string', () => {
  const containers = (bytes: number) => JSON.parse(reviewOfSize(bytes)).request.object.spec.template.spec.containers.length;
  expect(containers(1024)).toBe(1);
  expect(containers(10 * 1024)).toBeGreaterThan(containers(1024));
  expect(containers(100 * 1024)).toBeGreaterThan(9 * containers(10 * 1024));
  expect(containers(1024 * 1024)).toBeGreaterThan(9 * containers(100 * 1024));
});
