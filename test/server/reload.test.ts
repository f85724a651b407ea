import { mkdir, mkdtemp, rename, symlink, writeFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { generateCa, generateServing, type CertificatePair } from '../../src/certs/generate.js';
import { LOCALHOST_HOSTS } from '../../src/certs/files.js';
import { admissionReview, gitjobJob } from '../support/fixtures.js';
import { post } from '../support/tls.js';
import { startTestServer } from '../support/server.js';
import { loadTlsMaterial } from '../../src/server/tls.js';
import { eventually } from '../support/eventually.js';

/** Lays out files the way kubelet mounts a Secret: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>. */
async function mountSecret(dir: string, pair: CertificatePair, generation: number): Promise<void> {
  const versioned = join(dir, `..gen_${generation}`);
  await mkdir(versioned);
  await writeFile(join(versioned, 'tls.crt'), pair.cert);
  await writeFile(join(versioned, 'tls.key'), pair.key, { mode: 0o600 });
  await symlink(`..gen_${generation}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap kubelet does
  if (generation === 1) {
    await symlink('..data/tls.crt', join(dir, 'tls.crt'));
    await symlink('..data/tls.key', join(dir, 'tls.key'));
  }
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

test('a renewed Secret is served to new connections without a restart, and in-flight requests finish', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'secret-'));
  const caA = await generateCa('ca-a');
  const caB = await generateCa('ca-b');
  const servingA = await generateServing(caA, LOCALHOST_HOSTS);
  const servingB = await generateServing(caB, LOCALHOST_HOSTS);
  await mountSecret(dir, servingA, 1);
  const pki = { dir, ca: caA, serving: servingA, caFile: '', certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  const s = await startTestServer({ certReloadIntervalMs: 100 }, {}, pki);
  try {
    const port = s.webhook.port;
    const body = JSON.stringify(admissionReview(gitjobJob()));
    expect((await post({ ca: caA.cert, port, body })).peerFingerprint).toBe(fingerprint(servingA.cert));

    // A request in flight across the swap: headers and half the body now, the rest after.
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: 'localhost', port, path: '/mutate', method: 'POST', ca: caA.cert, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 100));
      setTimeout(() => req.end(body.slice(100)), 800);
    });

    await new Promise((r) => setTimeout(r, 150));
    await mountSecret(dir, servingB, 2);
    await eventually(async () => expect((await post({ ca: caB.cert, port, body })).peerFingerprint).toBe(fingerprint(servingB.cert)), 5000);
    await expect(post({ ca: caA.cert, port, body })).rejects.toThrow();
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body).response.allowed).toBe(true);
    expect(s.lines().some((l) => l.msg === 'serving certificate reloaded')).toBe(true);

    // A half-written pair (key of another certificate) is refused; the current certificate stays.
    await writeFile(join(dir, '..gen_2', 'tls.key'), servingA.key);
    expect(await s.webhook.reloader.check()).toBe(false);
    expect((await post({ ca: caB.cert, port, body })).peerFingerprint).toBe(fingerprint(servingB.cert));
    expect(await readFile(join(dir, 'tls.crt'), 'utf8')).toBe(servingB.cert);
  } finally {
    await s.webhook.shutdown();
  }
});

test('unusable TLS files are refused with a message naming each file and its role', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tls-files-'));
  const ca = await generateCa();
  const serving = await generateServing(ca, LOCALHOST_HOSTS);
  const other = await generateServing(ca, LOCALHOST_HOSTS);
  const file = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const certFile = await file('tls.crt', serving.cert);
  const keyFile = await file('tls.key', serving.key);
  const otherKey = await file('other.key', other.key);
  const caFile = await file('ca.crt', ca.cert);

  await expect(loadTlsMaterial({ certFile, keyFile: join(dir, 'missing.key') })).rejects.toThrow(`cannot read the key ${join(dir, 'missing.key')}: ENOENT`);
  await expect(loadTlsMaterial({ certFile, keyFile: otherKey })).rejects.toThrow(new RegExp(`^unusable TLS files \\(certificate ${certFile}, key ${otherKey}\\): .*key values mismatch`));
  // A client CA file holding no certificate would have made the server refuse every caller.
  await expect(loadTlsMaterial({ certFile, keyFile, clientCaFile: keyFile })).rejects.toThrow(`client CA ${keyFile}`);
  const loaded = await loadTlsMaterial({ certFile, keyFile, clientCaFile: caFile });
  expect(loaded.notAfter.toISOString()).toBe(new Date(new X509Certificate(serving.cert).validTo).toISOString());
  expect(loaded.clientCa?.toString()).toBe(ca.cert);
});
