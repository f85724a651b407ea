import { request } from 'node:https';
import { makePki } from '../support/tls.js';
import { startCli } from '../support/cli.js';
import { admissionReview, gitjobJob } from '../support/fixtures.js';

test('SIGTERM: readiness fails at once, in-flight requests finish, new connections are refused, exit 0', async () => {
  const pki = await makePki();
  const server = startCli(['serve', '--standalone', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', pki.certFile, '--tls-key', pki.keyFile, '--shutdown-delay-ms', '600']);
  try {
    const listening = JSON.parse((await server.waitFor(/\{[^\n]*"msg":"listening"[^\n]*\}/))[0]);
    const body = JSON.stringify(admissionReview(gitjobJob()));
    // Three requests in flight: headers and part of the body sent, the rest after the signal.
    const inFlight = [0, 1, 2].map(() => {
      let finish!: () => void;
      const done = new Promise<number>((resolve, reject) => {
        const req = request({ host: 'localhost', port: listening.port, path: '/mutate', method: 'POST', ca: pki.ca.cert, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.write(body.slice(0, 40));
        finish = () => req.end(body.slice(40));
      });
      return { done, finish };
    });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    server.child.kill('SIGTERM');
    await server.waitFor(/"msg":"shutting down"/);
    expect((await fetch(`http://127.0.0.1:${listening.healthPort}/readyz`)).status).toBe(503);
    inFlight[0].finish(); // during the delay: still served
    expect(await inFlight[0].done).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // past the delay: the listener is closed
    const refused = await new Promise<string>((resolve) => {
      const req = request({ host: 'localhost', port: listening.port, path: '/mutate', method: 'POST', ca: pki.ca.cert, agent: false }, () => resolve('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end('{}');
    });
    expect(refused).toBe('ECONNREFUSED');
    inFlight[1].finish();
    inFlight[2].finish();
    expect(await inFlight[1].done).toBe(200);
    expect(await inFlight[2].done).toBe(200);
    expect(await server.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000); // the pod's terminationGracePeriodSeconds
  } finally {
    server.child.kill('SIGKILL');
  }
});
