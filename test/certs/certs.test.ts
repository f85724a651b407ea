import { chmod, readdir, readFile, stat, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parse } from 'yaml';
import { runCli } from '../support/cli.js';

const DAY = 24 * 3600 * 1000;

describe('fleet-webhook certs', () => {
  test('CA and serving certificate for the Service names, with sane validity, matching keys and 0600 key files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'certs-'));
    const before = Date.now();
    const res = await runCli(['certs', '--service', 'fleet-webhook', '--namespace', 'fleet-webhook-system', '--out', out]);
    expect(res.code).toBe(0);
    const ca = new X509Certificate(await readFile(join(out, 'ca.crt')));
    const serving = new X509Certificate(await readFile(join(out, 'tls.crt')));
    expect(serving.subjectAltName?.split(', ').sort()).toEqual(
      ['DNS:fleet-webhook', 'DNS:fleet-webhook.fleet-webhook-system', 'DNS:fleet-webhook.fleet-webhook-system.svc', 'DNS:fleet-webhook.fleet-webhook-system.svc.cluster.local'].sort(),
    );
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkPrivateKey(createPrivateKey(await readFile(join(out, 'tls.key'))))).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(await readFile(join(out, 'ca.key'))))).toBe(true);
    const notBefore = Date.parse(serving.validFrom);
    const notAfter = Date.parse(serving.validTo);
    expect(before - notBefore).toBeGreaterThan(50 * 60 * 1000); // backdated about an hour for clock skew
    expect(Math.round((notAfter - before) / DAY)).toBe(365);
    expect(Date.parse(ca.validTo) - before).toBeGreaterThan(9 * 365 * DAY);
    for (const f of ['tls.key', 'ca.key', 'secret.yaml']) expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
    expect(serving.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const secret = parse(await readFile(join(out, 'secret.yaml'), 'utf8'));
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'fleet-webhook-tls', namespace: 'fleet-webhook-system' } });
    expect(Buffer.from(secret.data['tls.crt'], 'base64').toString()).toBe(await readFile(join(out, 'tls.crt'), 'utf8'));
  });

  test('running it again renews the serving certificate with the same CA; --new-ca replaces the CA', async () => {
    const out = await mkdtemp(join(tmpdir(), 'certs-'));
    await runCli(['certs', '--out', out]);
    const ca1 = await readFile(join(out, 'ca.crt'), 'utf8');
    const tls1 = await readFile(join(out, 'tls.crt'), 'utf8');
    // Files loosened since (a copy, a hand edit): the renewal's new keys must not inherit that.
    for (const f of ['tls.key', 'ca.key', 'secret.yaml']) await chmod(join(out, f), 0o644);
    const renew = await runCli(['certs', '--out', out]);
    expect(renew.stderr).toMatch(/Reused the CA/);
    for (const f of ['tls.key', 'ca.key', 'secret.yaml']) expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
    expect((await readdir(out)).sort()).toEqual(['ca.crt', 'ca.key', 'kustomization.yaml', 'secret.yaml', 'tls.crt', 'tls.key']);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).toBe(ca1);
    const tls2 = await readFile(join(out, 'tls.crt'), 'utf8');
    expect(tls2).not.toBe(tls1);
    expect(new X509Certificate(tls2).verify(new X509Certificate(ca1).publicKey)).toBe(true);
    await runCli(['certs', '--out', out, '--new-ca']);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).not.toBe(ca1);
  });

  test('names that cannot be a Service, namespace or object exit 2 and write nothing', async () => {
    // The certificate would have been for DNS names the API server never dials.
    const out = await mkdtemp(join(tmpdir(), 'certs-'));
    const cases: [string[], RegExp][] = [
      [['--service', 'Bad_Name'], /--service must be a DNS-1035 label .*, got "Bad_Name"/],
      [['--service', '1webhook'], /--service must be a DNS-1035 label/],
      [['--namespace', ''], /--namespace must be a DNS label .*, got ""/],
      [['--secret-name', 'tls/secret'], /--secret-name must be a DNS subdomain/],
      [['--cluster-domain', 'Cluster.Local'], /--cluster-domain must be a DNS subdomain/],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(['certs', '--out', out, ...args]);
      expect([res.code, res.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
    expect(await readdir(out)).toEqual([]);
  });

  test('a validity the serving certificate cannot have exits 2 and writes nothing', async () => {
    const out = await mkdtemp(join(tmpdir(), 'certs-'));
    const none = await runCli(['certs', '--out', out, '--validity-days', '0']);
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/--validity-days must be at least 1, got "0"/)]);
    // Longer than a new CA lives: clients would stop trusting it when the CA expires.
    const tooLong = await runCli(['certs', '--out', out, '--validity-days', '4000']);
    expect([tooLong.code, tooLong.stderr]).toEqual([2, expect.stringMatching(/would outlive the CA, valid until .*: a new CA is valid 3650 days/)]);
    expect(await readdir(out)).toEqual([]);
    // With a CA in --out, what it has left is the bound.
    await runCli(['certs', '--out', out]);
    const caCert = await readFile(join(out, 'ca.crt'), 'utf8');
    const reused = await runCli(['certs', '--out', out, '--validity-days', '3651']);
    expect([reused.code, reused.stderr]).toEqual([2, expect.stringMatching(/would outlive the CA, valid until .*: ask for fewer days, or make a new CA with --new-ca/)]);
    expect(await readFile(join(out, 'ca.crt'), 'utf8')).toBe(caCert);
  });
});
