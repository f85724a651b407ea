/**
 * The floor of the stack: fastify over HTTPS with the same TLS settings and certificate, parsing the
 * same AdmissionReview JSON with fastify's default parser, answering a fixed allowed response.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { secureContextOptions } from '../src/server/tls.js';

const [certFile, keyFile] = process.argv.slice(2);
const cert = readFileSync(certFile);
const key = readFileSync(keyFile);
const app = Fastify({
  https: { ...secureContextOptions({ cert, key, notAfter: new Date() }), ALPNProtocols: ['http/1.1'] },
  bodyLimit: 7 * 1024 * 1024,
  logger: false,
});
const fixed = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '00000000-0000-0000-0000-000000000000', allowed: true } });
app.post('/mutate', (request, reply) => {
  if (typeof request.body !== 'object') return reply.code(400).send();
  return reply.header('content-type', 'application/json; charset=utf-8').send(fixed);
});
app.listen({ host: '127.0.0.1', port: 0 }).then(() => {
  const address = app.server.address();
  process.stdout.write(JSON.stringify({ msg: 'listening', port: typeof address === 'object' && address ? address.port : 0 }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
