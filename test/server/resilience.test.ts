import { request, type RequestOptions } from 'node:https';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { admissionReview, gitjobJob } from '../support/fixtures.js';
import { makePki, post, type TestPki } from '../support/tls.js';
import { startTestServer } from '../support/server.js';
import { generateCa, generateClient } from '../../src/certs/generate.js';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createAdmissionServer, type AdmissionServer, type AdmissionServerOptions } from '../../src/server/https-server.js';
import { standaloneHandler } from '../support/handler.js';
import { memoryLogger } from '../support/logger.js';

/** A request whose body arrives in two parts, `gapMs` apart: a slow client, or a request held in flight. */
function slowPost(port: number, ca: string, body: string, gapMs: number, extra: RequestOptions = {}): { done: Promise<{ status: number; body: string }>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: 'localhost', port, path: '/mutate', method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, ...extra }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 50));
    let ended = false;
    finish = () => {
      if (!ended) req.end(body.slice(50));
      ended = true;
    };
    if (gapMs >= 0) setTimeout(finish, gapMs);
  });
  return { done, finish };
}

/** An admission server alone (no health port, no sources) on a free port, serving the test PKI's certificate. */
async function listeningAdmissionServer(pki: TestPki, options: Pick<AdmissionServerOptions, 'handler' | 'maxInFlight' | 'timeouts'>): Promise<{ server: AdmissionServer; port: number }> {
  const server = createAdmissionServer({
    tls: { cert: Buffer.from(pki.serving.cert), key: Buffer.from(pki.serving.key), notAfter: new Date(Date.now() + 3_600_000) },
    requireClientCert: false,
    log: memoryLogger().log,
    deadlineMs: 4000,
    ...options,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, port: (server.app.server.address() as AddressInfo).port };
}

test('a request that cannot be finished before the deadline is allowed unchanged with a warning', async () => {
  const s = await startTestServer({ deadlineMs: 200 });
  try {
    const review = admissionReview(gitjobJob());
    const { done } = slowPost(s.webhook.port, s.pki.ca.cert, JSON.stringify(review), 400);
    const res = await done;
    expect(res.status).toBe(200);
    const response = JSON.parse(res.body).response;
    expect(response).toEqual({ uid: review.request.uid, allowed: true, warnings: [expect.stringMatching(/deadline exceeded/)] });
  } finally {
    await s.webhook.shutdown();
  }
});

test('overload: past max-in-flight, new requests get a fast 503 instead of queueing', async () => {
  const s = await startTestServer({ maxInFlight: 2 });
  try {
    const body = JSON.stringify(admissionReview(gitjobJob()));
    const held = [slowPost(s.webhook.port, s.pki.ca.cert, body, -1), slowPost(s.webhook.port, s.pki.ca.cert, body, -1)];
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    const shed = await post({ ca: s.pki.ca.cert, port: s.webhook.port, body });
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('1');
    expect(shed.json().message).toMatch(/overloaded/);
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const h of held) h.finish();
    for (const h of held) expect((await h.done).status).toBe(200);
    expect((await post({ ca: s.pki.ca.cert, port: s.webhook.port, body })).status).toBe(200);
  } finally {
    await s.webhook.shutdown();
  }
});

test('with other requests in flight, reviews are answered in a batch: each gets its own answer, and one whose handling throws gets a 500', async () => {
  const pki = await makePki();
  const inner = standaloneHandler().handler;
  const handled: string[] = [];
  const { server, port } = await listeningAdmissionServer(pki, {
    handler: {
      handle(request) {
        handled.push(request.uid);
        if (request.uid === 'boom') throw new Error('a bug in the handler');
        return inner.handle(request);
      },
    },
    maxInFlight: 64,
  });
  try {
    // Held open, this request keeps one in flight, so every other request takes the batched path.
    const held = slowPost(port, pki.ca.cert, JSON.stringify(admissionReview(gitjobJob(), { uid: 'held' })), -1);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.inFlight()).toBe(1);
    const reviews = ['a', 'b', 'boom', 'c', 'd'].map((uid) => {
      const job = gitjobJob();
      job.metadata.name = `job-${uid}`;
      return admissionReview(job, { uid });
    });
    const answers = await Promise.all(reviews.map((r) => post({ ca: pki.ca.cert, port, body: JSON.stringify(r) })));
    for (const [i, review] of reviews.entries()) {
      const res = answers[i];
      if (review.request.uid === 'boom') {
        expect(res.status).toBe(500);
        expect(res.json().message).toBe('internal error');
        continue;
      }
      expect(res.status).toBe(200);
      const response = res.json().response;
      expect(response.uid).toBe(review.request.uid);
      expect(Buffer.from(response.patch, 'base64').toString()).toContain(`"job_job-${review.request.uid}"`);
    }
    expect([...handled].sort()).toEqual(['a', 'b', 'boom', 'c', 'd']);
    held.finish();
    const last = await held.done;
    expect(last.status).toBe(200);
    expect(JSON.parse(last.body).response.uid).toBe('held');
    // What the memory reducer's nudge watches: every request, the 500 included.
    expect(server.requestsReceived()).toBe(6);
  } finally {
    await server.app.close();
  }
});

test('--client-ca: a caller with a certificate from that CA is served; without one, or from another CA, it is refused', async () => {
  const pki = await makePki();
  const clientCa = await generateCa('api-server-client-ca');
  const otherCa = await generateCa('someone-else');
  const good = await generateClient(clientCa, 'kube-apiserver');
  const bad = await generateClient(otherCa, 'kube-apiserver');
  const clientCaFile = join(pki.dir, 'client-ca.crt');
  await writeFile(clientCaFile, clientCa.cert);
  const s = await startTestServer({ clientCa: clientCaFile }, {}, pki);
  try {
    const body = JSON.stringify(admissionReview(gitjobJob()));
    const ok = await post({ ca: pki.ca.cert, port: s.webhook.port, body, cert: good.cert, key: good.key });
    expect(ok.status).toBe(200);
    expect(ok.json().response.patchType).toBe('JSONPatch');
    await expect(post({ ca: pki.ca.cert, port: s.webhook.port, body })).rejects.toThrow();
    await expect(post({ ca: pki.ca.cert, port: s.webhook.port, body, cert: bad.cert, key: bad.key })).rejects.toThrow();
  } finally {
    await s.webhook.shutdown();
  }
});

describe('slow clients are disconnected without a per-socket idle timer', () => {
  const timeouts = { requestMs: 600, headersMs: 400, keepAliveMs: 300, checkIntervalMs: 100 };
  let server: AdmissionServer;
  let port: number;
  let ca: string;
  beforeAll(async () => {
    const pki = await makePki();
    ca = pki.ca.cert;
    ({ server, port } = await listeningAdmissionServer(pki, { handler: standaloneHandler().handler, maxInFlight: 16, timeouts }));
  });
  afterAll(() => server.app.close());

  /** Opens a TLS connection, writes `bytes`, and resolves with the ms until the server closed it and what it answered. */
  function holdOpen(bytes: string): Promise<{ closedAfterMs: number; answer: string }> {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      let answer = '';
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
        if (bytes) socket.write(bytes);
      });
      socket.on('data', (d) => (answer += d));
      socket.on('error', reject);
      socket.on('close', () => resolve({ closedAfterMs: Date.now() - t0, answer }));
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept a stalled connection open for 5 s'));
      }, 5000).unref();
    });
  }

  test('a connection that never sends a request', async () => {
    const { closedAfterMs } = await holdOpen('');
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.headersMs - 50);
  });

  test('a client that never finishes its headers gets 408', async () => {
    const { closedAfterMs, answer } = await holdOpen('POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n');
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.headersMs - 50);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });

  test('a client that never finishes its body gets 408', async () => {
    const { closedAfterMs, answer } = await holdOpen('POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"apiVersion"');
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.requestMs - 50);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });

  test('an idle keep-alive connection is closed after its answer', async () => {
    const body = JSON.stringify(admissionReview(gitjobJob()));
    const { closedAfterMs, answer } = await holdOpen(`POST /mutate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answer).toMatch(/keep-alive/i);
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.keepAliveMs - 50);
  });
});
