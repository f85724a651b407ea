import { connect } from 'node:tls';
import { admissionReview, cleanupGitrepoJobsCronJob, gitjobJob, shardDeployment } from '../support/fixtures.js';
import { makePki, post } from '../support/tls.js';
import { afterPatch, decodePatch } from '../support/patch.js';
import { getHealth, startTestServer, type TestServer } from '../support/server.js';
import { MAX_BODY_BYTES } from '../../src/server/https-server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.webhook.shutdown();
});

const send = (body: unknown, extra: Partial<Parameters<typeof post>[0]> = {}) =>
  post({ ca: s.pki.ca.cert, port: s.webhook.port, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), ...extra });

describe('POST /mutate over TLS (certificate verified against the test CA)', () => {
  test.each([
    ['admission.k8s.io/v1', gitjobJob()],
    ['admission.k8s.io/v1beta1', cleanupGitrepoJobsCronJob()],
    ['admission.k8s.io/v1', shardDeployment('a')],
  ])('%s %s: answered in the same version with a patch that applies', async (version, obj: any) => {
    const review = admissionReview(obj, { version });
    const res = await send(review);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = res.json();
    expect(body.apiVersion).toBe(version);
    expect(body.kind).toBe('AdmissionReview');
    expect(body.response.uid).toBe(review.request.uid);
    expect(body.response.allowed).toBe(true);
    expect(body.response.patchType).toBe('JSONPatch');
    const patch = decodePatch(body.response);
    const after = afterPatch(obj, patch);
    // a second pass over the patched object (reinvocation) gives no patch
    const again = (await send(admissionReview(after, { version }))).json();
    expect(again.response.patch).toBeUndefined();
  });

  test('unknown fields in the request object survive (the patch is built from the raw JSON)', async () => {
    const job = gitjobJob();
    job.spec.template.spec.futureField = { keep: ['me'] };
    job.status = { something: 1 };
    const patch = decodePatch((await send(admissionReview(job))).json().response);
    const after = afterPatch(job, patch);
    expect(after.spec.template.spec.futureField).toEqual({ keep: ['me'] });
    expect(after.status).toEqual({ something: 1 });
  });
});

describe('bad input gets a clear 4xx and never hurts the server', () => {
  test('malformed JSON: 400 with a message, no stack', async () => {
    const res = await send('{"apiVersion": "admission.k8s.io/v1", "kind": ');
    expect(res.status).toBe(400);
    expect(res.json().message).toMatch(/JSON/);
    expect(res.body).not.toMatch(/at .*\.js/);
  });

  test('non-JSON content type: 415', async () => {
    expect((await send('hello', { contentType: 'text/plain' })).status).toBe(415);
    expect((await send('<x/>', { contentType: 'application/xml' })).status).toBe(415);
  });

  test('a body over 7 MiB: 413', async () => {
    const res = await send(Buffer.alloc(MAX_BODY_BYTES + 1024, 0x20));
    expect(res.status).toBe(413);
  });

  test('JSON that is not an AdmissionReview: 400 saying why', async () => {
    const res = await send({ hello: 'world' });
    expect(res.status).toBe(400);
    expect(res.json().message).toMatch(/not an AdmissionReview: apiVersion must be/);
  });

  test('an empty body: 400', async () => {
    expect((await send('')).status).toBe(400);
  });

  test('other paths and methods: 404', async () => {
    expect((await send({}, { path: '/' })).status).toBe(404);
    expect((await post({ ca: s.pki.ca.cert, port: s.webhook.port, method: 'GET', contentType: null })).status).toBe(404);
  });

  test('a review whose object is garbage is allowed unchanged with a warning', async () => {
    const review = admissionReview(gitjobJob());
    review.request.object = 'not an object';
    const res = await send(review);
    expect(res.status).toBe(200);
    expect(res.json().response).toEqual({ uid: review.request.uid, allowed: true, warnings: ['not mutated: the Job is not a JSON object'] });
  });

  test('after all of that the server still answers', async () => {
    expect((await send(admissionReview(gitjobJob()))).json().response.patchType).toBe('JSONPatch');
  });
});

describe('TLS', () => {
  test('TLS 1.1 is refused; TLS 1.2 and 1.3 work; only HTTP/1.1 is offered', async () => {
    const attempt = (opts: object) =>
      new Promise<{ ok: boolean; protocol?: string | null; alpn?: string | false | null }>((resolve) => {
        const sock = connect({ host: '127.0.0.1', servername: 'localhost', port: s.webhook.port, ca: s.pki.ca.cert, ALPNProtocols: ['h2', 'http/1.1'], ...opts }, () => {
          resolve({ ok: true, protocol: sock.getProtocol(), alpn: sock.alpnProtocol });
          sock.end();
        });
        sock.on('error', () => resolve({ ok: false }));
      });
    expect((await attempt({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).ok).toBe(false);
    expect(await attempt({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toEqual({ ok: true, protocol: 'TLSv1.2', alpn: 'http/1.1' });
    expect((await attempt({ minVersion: 'TLSv1.3' })).protocol).toBe('TLSv1.3');
  });

  test('a client that does not trust the CA cannot connect', async () => {
    const stranger = await makePki();
    await expect(post({ ca: stranger.ca.cert, port: s.webhook.port, body: '{}' })).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});

describe('health port', () => {
  test('/healthz and /readyz answer 200 once listening; /readyz names its checks', async () => {
    expect((await getHealth(s.webhook.healthPort, '/healthz')).status).toBe(200);
    const ready = await getHealth(s.webhook.healthPort, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatch(/\[\+\] certificate: expires/);
  });
});
