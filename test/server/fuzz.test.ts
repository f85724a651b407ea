import { Agent } from 'node:https';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { admissionReview, gitjobJob } from '../support/fixtures.js';
import { post } from '../support/tls.js';
import { damagedWorkload } from '../support/damaged.js';
import { afterPatch, decodePatch } from '../support/patch.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { MAX_BODY_BYTES } from '../../src/server/https-server.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

let s: TestServer;
let agent: Agent;
beforeAll(async () => {
  s = await startTestServer();
  agent = new Agent({ keepAlive: true, maxSockets: 4 });
});
afterAll(async () => {
  agent.destroy();
  await s.webhook.shutdown();
});

const valid = JSON.stringify(admissionReview(gitjobJob()));

/** Bodies of every kind of wrong: bytes, truncations, nesting, sizes, and wrong types in each field. */
const body: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
  fc.integer({ min: 1, max: 200_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
  fc.integer({ min: 1, max: 50_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d)),
  fc.integer({ min: 0, max: 6 * 1024 * 1024 }).map((n) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: { metadata: { name: 'x'.repeat(n) } } } })),
  fc.integer({ min: 0, max: 200_000 }).map((n) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: 'batch', version: 'v1', kind: 'Job' }, operation: 'CREATE', object: { spec: { template: { spec: { tolerations: new Array(n).fill({}) } } } } } })),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc
    .tuple(fc.constantFrom('apiVersion', 'kind', 'request', 'uid', 'rkind', 'operation', 'object', 'metadata', 'spec', 'template', 'podspec', 'tolerations', 'labels', 'dryRun', 'namespace'), fc.jsonValue({ maxDepth: 2 }))
    .map(([field, value]) => {
      const review = admissionReview(gitjobJob()) as any;
      const r = review.request;
      const o = r.object;
      const set: Record<string, () => void> = {
        apiVersion: () => (review.apiVersion = value), kind: () => (review.kind = value), request: () => (review.request = value),
        uid: () => (r.uid = value), rkind: () => (r.kind = value), operation: () => (r.operation = value), object: () => (r.object = value),
        metadata: () => (o.metadata = value), spec: () => (o.spec = value), template: () => (o.spec.template = value),
        podspec: () => (o.spec.template.spec = value), tolerations: () => (o.spec.template.spec.tolerations = value),
        labels: () => (o.spec.template.metadata = { labels: value }), dryRun: () => (r.dryRun = value), namespace: () => (r.namespace = value),
      };
      set[field]();
      return JSON.stringify(review);
    }),
  damagedWorkload.map(({ obj }) => JSON.stringify(admissionReview(obj))),
);

function wellFormed(res: { status: number; body: string; json(): any }, sent: string | Buffer): void {
  if (res.status >= 400 && res.status < 500) {
    expect(typeof res.json().message).toBe('string');
    expect(res.body).not.toMatch(/\n\s+at /); // no stack traces
    return;
  }
  expect(res.status).toBe(200);
  const review = res.json();
  expect(review.kind).toBe('AdmissionReview');
  expect(review.response.allowed).toBe(true);
  const { request } = JSON.parse(sent.toString());
  expect(review.response.uid).toBe(request.uid);
  // Bad input is not a bug: it is mutated around or refused with its reason, never failed open as one.
  expect(review.response.warnings ?? []).not.toContain('fleet-webhook: internal error, object not mutated');
  if (review.response.patch) afterPatch(request.object, decodePatch(review.response));
}

test('arbitrary bodies get a well-formed 4xx or an allowed review, the server stays up and memory returns to its baseline', async () => {
  const send = (b: string | Buffer) => post({ ca: s.pki.ca.cert, port: s.webhook.port, body: b, agent });
  for (let i = 0; i < 20; i++) await send(valid);
  gc();
  const baseline = process.memoryUsage().heapUsed;

  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      wellFormed(await send(b), b);
    }),
    { numRuns: 300 },
  );
  expect(Buffer.byteLength(valid)).toBeLessThan(MAX_BODY_BYTES);
  const after = await send(valid);
  expect(after.json().response.patchType).toBe('JSONPatch');

  await new Promise((r) => setTimeout(r, 200));
  gc();
  const growthMb = (process.memoryUsage().heapUsed - baseline) / 2 ** 20;
  expect(growthMb).toBeLessThan(10);
}, 120_000);
