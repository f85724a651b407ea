import { chmod, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { CertificateManager, DEFAULT_RENEW_BEFORE_MS, PREVIOUS_CA_KEY } from '../../src/certs/self-managed.js';
import { generateCa, generateServing, serviceHosts } from '../../src/certs/generate.js';
import { FakeApiServer } from '../support/fake-apiserver.js';
import { makePki } from '../support/tls.js';
import { memoryLogger } from '../support/logger.js';

const NS = 'fleet-webhook-system';
const DAY = 24 * 3600 * 1000;
const b64 = (s: string) => Buffer.from(s).toString('base64');

let api: FakeApiServer;
let kubeconfig: string;
beforeEach(async () => {
  const pki = await makePki();
  api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
  await api.start();
  kubeconfig = await api.writeKubeconfig();
  api.upsert('mutatingwebhookconfigurations', {
    metadata: { name: 'fleet-webhook' },
    webhooks: [{ name: 'mutate.fleet-webhook.io', clientConfig: { service: { name: 'fleet-webhook', namespace: NS, path: '/mutate' } }, admissionReviewVersions: ['v1'], sideEffects: 'None' }],
  });
});
afterEach(async () => api.stop());

async function manager(now?: () => Date) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const dir = await mkdtemp(join(tmpdir(), 'managed-'));
  return new CertificateManager({ kubeConfig: kc, namespace: NS, secretName: 'fleet-webhook-tls', webhookName: 'fleet-webhook', service: 'fleet-webhook', dir, renewBeforeMs: DEFAULT_RENEW_BEFORE_MS, log: memoryLogger('silent').log, now });
}

const pems = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
/** Whether a TLS client holding this bundle accepts the certificate (it chains to one of its CAs). */
const trusts = (bundle: string, cert: string) => pems(bundle).some((ca) => new X509Certificate(cert).verify(new X509Certificate(ca).publicKey));
const secretOf = (ca: { cert: string; key: string }, serving: { cert: string; key: string }, extra: Record<string, string> = {}) => ({
  metadata: { name: 'fleet-webhook-tls', namespace: NS },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': b64(serving.cert), 'tls.key': b64(serving.key), 'ca.crt': b64(ca.cert), 'ca.key': b64(ca.key), ...extra },
});
const setCaBundle = (pem: string) => {
  const hook = api.get('mutatingwebhookconfigurations', undefined, 'fleet-webhook')!;
  hook.webhooks[0].clientConfig.caBundle = b64(pem);
  api.upsert('mutatingwebhookconfigurations', hook);
};

const caBundle = () => Buffer.from(api.get('mutatingwebhookconfigurations', undefined, 'fleet-webhook')!.webhooks[0].clientConfig.caBundle, 'base64').toString();
const secretData = (k: string) => Buffer.from(api.get('secrets', NS, 'fleet-webhook-tls')!.data[k], 'base64').toString();

test('no Secret: one is created, the files are written, the caBundle is set, and a second replica adopts it', async () => {
  const first = await manager();
  expect(await first.ensure()).toBe('created');
  const cert = await readFile(first.certFile, 'utf8');
  const x509 = new X509Certificate(cert);
  expect(x509.subjectAltName?.split(', ').sort()).toEqual(serviceHosts('fleet-webhook', NS).map((h) => `DNS:${h}`).sort());
  expect(x509.verify(new X509Certificate(caBundle()).publicKey)).toBe(true);
  expect(secretData('tls.crt')).toBe(cert);
  expect(api.get('secrets', NS, 'fleet-webhook-tls')!.type).toBe('kubernetes.io/tls');

  const second = await manager();
  const writes = api.writes.length;
  expect(await second.ensure()).toBe('kept');
  expect(await readFile(second.certFile, 'utf8')).toBe(cert);
  expect(api.writes.length).toBe(writes); // nothing rewritten
});

test('the key file is written 0600 even where world-readable files were, and leaves no temporary file', async () => {
  const m = await manager();
  // A world-readable key, and the temporary file of a write interrupted by a crash: neither may
  // lend its permissions to the new key.
  for (const file of [m.keyFile, `${m.keyFile}.tmp`]) {
    await writeFile(file, 'old', { mode: 0o644 });
    await chmod(file, 0o644);
  }
  expect(await m.ensure()).toBe('created');
  expect((await stat(m.keyFile)).mode & 0o777).toBe(0o600);
  expect(new X509Certificate(await readFile(m.certFile)).checkPrivateKey(createPrivateKey(await readFile(m.keyFile)))).toBe(true);
  expect((await readdir(dirname(m.keyFile))).sort()).toEqual(['tls.crt', 'tls.key', 'tls.key.tmp']);
});

test('a certificate due for renewal is renewed with the same CA, so the caBundle stays', async () => {
  const ca = await generateCa('fleet-webhook-ca');
  const expiring = await generateServing(ca, serviceHosts('fleet-webhook', NS), new Date(), 10);
  api.upsert('secrets', secretOf(ca, expiring));
  const m = await manager();
  expect(await m.ensure()).toBe('renewed');
  const renewed = new X509Certificate(secretData('tls.crt'));
  expect(Date.parse(renewed.validTo) - Date.now()).toBeGreaterThan(300 * DAY);
  expect(secretData('ca.crt')).toBe(ca.cert);
  expect(caBundle()).toBe(ca.cert);
  // a month later nothing is due yet
  expect(await (await manager(() => new Date(Date.now() + 30 * DAY))).ensure()).toBe('kept');
  // eleven months later it is
  expect(await (await manager(() => new Date(Date.now() + 340 * DAY))).ensure()).toBe('renewed');
});

test('a caBundle reset by someone else is repaired at the next check', async () => {
  const m = await manager();
  await m.ensure();
  setCaBundle('stale');
  expect(await m.ensure()).toBe('kept');
  expect(caBundle()).toBe(secretData('ca.crt'));
});

test('two replicas racing to create the Secret end with the same certificate', async () => {
  const [a, b] = [await manager(), await manager()];
  const outcomes = (await Promise.all([a.ensure(), b.ensure()])).sort();
  // normally both read before either writes ('adopted'); a slow start makes the loser simply find it ('kept')
  expect(outcomes[1]).toBe('created');
  expect(['adopted', 'kept']).toContain(outcomes[0]);
  expect(await readFile(a.certFile, 'utf8')).toBe(await readFile(b.certFile, 'utf8'));
  expect(await readFile(a.certFile, 'utf8')).toBe(secretData('tls.crt'));
});

test('serve --self-managed-certs: serves the certificate it issued, verifiable with the caBundle it published', async () => {
  const { startCli } = await import('../support/cli.js');
  const { post } = await import('../support/tls.js');
  const { admissionReview, fleetControllerDeployment, gitjobJob } = await import('../support/fixtures.js');
  api.namespace('fleet-default', { 'fleet-webhook.io/mode': 'enforce' });
  api.upsert('deployments', fleetControllerDeployment());
  const dir = await mkdtemp(join(tmpdir(), 'served-'));
  const server = startCli(['serve', '--self-managed-certs', '--namespace', NS, '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--shutdown-delay-ms', '0'], {
    env: { FLEET_WEBHOOK_KUBECONFIG: kubeconfig },
  });
  try {
    const listening = JSON.parse((await server.waitFor(/\{[^\n]*"msg":"listening"[^\n]*\}/))[0]);
    // The API server would call fleet-webhook.fleet-webhook-system.svc: check the name, then connect by IP.
    const ca = caBundle();
    const res = await post({ ca, port: listening.port, host: '127.0.0.1', body: JSON.stringify(admissionReview(gitjobJob())), servername: 'fleet-webhook.fleet-webhook-system.svc' });
    expect(res.json().response.patchType).toBe('JSONPatch');
    expect(server.output().stdout).toContain('serving certificate created');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('a CA due for renewal is replaced, and the old CA stays trusted beside the new one until it expires', async () => {
  const hosts = serviceHosts('fleet-webhook', NS);
  const oldCa = await generateCa('fleet-webhook-ca', new Date(), 20);
  const oldServing = await generateServing(oldCa, hosts, new Date(), 15);
  api.upsert('secrets', secretOf(oldCa, oldServing));
  setCaBundle(oldCa.cert);

  const m = await manager();
  expect(await m.ensure()).toBe('renewed');
  const newCa = secretData('ca.crt');
  expect(newCa).not.toBe(oldCa.cert);
  expect(secretData(PREVIOUS_CA_KEY)).toBe(oldCa.cert);
  // Replicas that have not checked yet still serve the old CA's certificate; this one serves the new.
  expect(pems(caBundle())).toHaveLength(2);
  expect(trusts(caBundle(), oldServing.cert)).toBe(true);
  expect(trusts(caBundle(), await readFile(m.certFile, 'utf8'))).toBe(true);

  // Another replica adopts the new pair and finds the bundle as it wants it: nothing is written.
  const writes = api.writes.length;
  const other = await manager();
  expect(await other.ensure()).toBe('kept');
  expect(await readFile(other.certFile, 'utf8')).toBe(secretData('tls.crt'));
  expect(api.writes.length).toBe(writes);

  // Once the old CA has expired, the bundle holds the new one alone.
  expect(await (await manager(() => new Date(Date.now() + 21 * DAY))).ensure()).toBe('kept');
  expect(pems(caBundle())).toEqual(pems(newCa));
  expect(trusts(caBundle(), oldServing.cert)).toBe(false);
});

test('a serving renewal by the same CA keeps the previous CA trusted while it is valid, and drops it once expired', async () => {
  const hosts = serviceHosts('fleet-webhook', NS);
  const ca = await generateCa('fleet-webhook-ca');
  const previous = await generateCa('fleet-webhook-ca', new Date(), 20);
  api.upsert('secrets', secretOf(ca, await generateServing(ca, hosts, new Date(), 10), { [PREVIOUS_CA_KEY]: b64(previous.cert) }));
  expect(await (await manager()).ensure()).toBe('renewed');
  expect(secretData('ca.crt')).toBe(ca.cert);
  expect(secretData(PREVIOUS_CA_KEY)).toBe(previous.cert);
  expect(pems(caBundle())).toEqual([...pems(ca.cert), ...pems(previous.cert)]);

  // Renewed again after the previous CA expired: the Secret no longer carries it.
  expect(await (await manager(() => new Date(Date.now() + 340 * DAY))).ensure()).toBe('renewed');
  expect(api.get('secrets', NS, 'fleet-webhook-tls')!.data[PREVIOUS_CA_KEY]).toBeUndefined();
  expect(pems(caBundle())).toEqual(pems(ca.cert));
});

test('the certificate files are written only once the caBundle trusts them', async () => {
  api.forbidden.push('/apis/admissionregistration.k8s.io/');
  const m = await manager();
  await expect(m.ensure()).rejects.toThrow();
  await expect(readFile(m.certFile, 'utf8')).rejects.toThrow(/ENOENT/);

  api.forbidden.length = 0;
  expect(await m.ensure()).toBe('kept'); // the Secret was written by the first attempt
  expect(trusts(caBundle(), await readFile(m.certFile, 'utf8'))).toBe(true);
});

test('a caBundle update that conflicts with another writer is retried on a fresh read, and gives up after three', async () => {
  const m = await manager();
  await m.ensure();
  setCaBundle('stale');
  api.interveningWrites = 2;
  expect(await m.ensure()).toBe('kept');
  expect(caBundle()).toBe(secretData('ca.crt'));

  setCaBundle('stale');
  api.interveningWrites = 3;
  await expect(m.ensure()).rejects.toThrow();
  expect(caBundle()).toBe('stale');
  api.interveningWrites = 0;
});
