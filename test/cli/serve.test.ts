import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { runCli, startCli, PACKAGE_ROOT } from '../support/cli.js';

const exec = promisify(execFile);

describe('fleet-webhook serve --standalone (what `npm start` runs)', () => {
  test('generates certificates, prints a curl line that works, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serve-'));
    const server = startCli(['serve', '--standalone', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key')]);
    try {
      const [line] = await server.waitFor(/curl --cacert .*\/mutate/);
      // The line is for localhost: the generated certificate must cover it.
      const cert = new X509Certificate(await readFile(join(dir, 'tls.crt')));
      expect(cert.subjectAltName).toContain('DNS:localhost');
      expect(cert.checkIssued(new X509Certificate(await readFile(join(dir, 'ca.crt'))))).toBe(true);
      expect((await stat(join(dir, 'tls.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);

      const { stdout } = await exec('sh', ['-c', `${line} -s`], { cwd: PACKAGE_ROOT });
      const review = JSON.parse(stdout);
      expect(review.response.uid).toBe('5b1ce8f2-7c1a-4a53-9d0e-2f4c8f1a7b10');
      const patch = JSON.parse(Buffer.from(review.response.patch, 'base64').toString());
      expect(patch.map((op: { path: string }) => op.path)).toEqual([
        '/spec/template/spec/tolerations/-',
        '/spec/template/spec/tolerations/-',
        '/spec/template/metadata/labels',
        '/metadata/annotations',
      ]);

      const listening = JSON.parse(server.output().stdout.split('\n').find((l) => l.includes('"msg":"listening"')) ?? '{}');
      expect(listening.startupMs).toBeGreaterThan(0);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.output().stdout).toContain('"msg":"shut down"');
      // never log key material
      expect(server.output().stdout).not.toContain('PRIVATE KEY');
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  test('keeps existing certificates instead of regenerating them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'serve-'));
    const args = ['serve', '--standalone', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key')];
    const first = startCli(args);
    await first.waitFor(/"msg":"listening"/);
    first.child.kill('SIGTERM');
    await first.exited;
    const before = await readFile(join(dir, 'tls.crt'), 'utf8');
    const second = startCli(args);
    await second.waitFor(/"msg":"listening"/);
    second.child.kill('SIGTERM');
    await second.exited;
    expect(await readFile(join(dir, 'tls.crt'), 'utf8')).toBe(before);
    expect(second.output().stdout).not.toContain('generated a CA');
  });
});

describe('fleet-webhook CLI', () => {
  test('--help lists the commands; serve --help lists every flag with its environment variable', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/serve/);
    expect(top.stdout).toMatch(/mutate/);
    const serve = await runCli(['serve', '--help']);
    for (const flag of ['--port', '--health-port', '--tls-cert', '--tls-key', '--standalone', '--controller-file', '--controller-namespace', '--controller-name', '--mode', '--component-label-key', '--client-ca']) {
      expect(serve.stdout).toContain(flag);
    }
    expect(serve.stdout).toContain('FLEET_WEBHOOK_HEALTH_PORT');
  });

  test('unknown commands and flags exit 2 with a message', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    // A name every object has through its prototype is not a command either.
    const inherited = await runCli(['constructor']);
    expect(inherited.code).toBe(2);
    expect(inherited.stderr).toMatch(/unknown command "constructor"/);
    const flag = await runCli(['serve', '--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown flag --no-such-flag/);
  });

  test('numbers and names outside what a flag can mean exit 2 before anything starts, from flags and the environment alike', async () => {
    // Each would have started a server that refuses or fails every admission, relists in a tight loop,
    // or watches a controller namespace no cluster can have.
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--max-in-flight', '0'], {}, /--max-in-flight must be at least 1, got "0"/],
      [['--max-in-flight', '2.5'], {}, /--max-in-flight must be a whole number, got "2.5"/],
      [['--port', '70000'], {}, /--port must be from 0 to 65535, got "70000"/],
      [['--deadline-ms', '-5'], {}, /--deadline-ms must be from 1 to 30000, got "-5"/],
      [['--resync-seconds', '0'], {}, /--resync-seconds must be at least 1/],
      [[], { FLEET_WEBHOOK_CERT_RELOAD_SECONDS: '0' }, /FLEET_WEBHOOK_CERT_RELOAD_SECONDS must be at least 1, got "0"/],
      [['--controller-namespace', 'Cattle'], {}, /--controller-namespace must be a DNS label .*, got "Cattle"/],
    ];
    for (const [args, env, message] of cases) {
      const dir = await mkdtemp(join(tmpdir(), 'bounds-'));
      const res = await runCli(['serve', '--standalone', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), ...args], { env });
      expect([res.code, res.stderr]).toEqual([2, expect.stringMatching(message)]);
      expect(await readdir(dir)).toEqual([]); // refused before generating certificates
    }
    const help = await runCli(['serve', '--help']);
    expect(help.stdout).toContain('(default: 512; at least 1)');
  });
});

describe('fleet-webhook serve against a cluster (the wire-protocol test API server)', () => {
  test('--kubeconfig: ready after the first sync, mutates only opted-in namespaces with their mode', async () => {
    const { FakeApiServer } = await import('../support/fake-apiserver.js');
    const { makePki, post } = await import('../support/tls.js');
    const { decodePatch } = await import('../support/patch.js');
    const { admissionReview, fleetControllerDeployment, gitjobJob } = await import('../support/fixtures.js');
    const { eventually } = await import('../support/eventually.js');
    const pki = await makePki();
    const api = new FakeApiServer({ cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
    await api.start();
    api.namespace('fleet-default', { 'fleet-webhook.io/mode': 'enforce' });
    api.namespace('fleet-local', { 'fleet-webhook.io/mode': 'audit' });
    api.upsert('deployments', fleetControllerDeployment());
    const server = startCli(['serve', '--port', '0', '--health-port', '0', '--host', '127.0.0.1', '--tls-cert', pki.certFile, '--tls-key', pki.keyFile, '--shutdown-delay-ms', '0'], {
      env: { FLEET_WEBHOOK_KUBECONFIG: await api.writeKubeconfig() },
    });
    try {
      const listening = JSON.parse((await server.waitFor(/\{[^\n]*"msg":"listening"[^\n]*\}/))[0]);
      await eventually(async () => (await fetch(`http://127.0.0.1:${listening.healthPort}/readyz`)).status === 200);
      const admit = async (ns: string) => (await post({ ca: pki.ca.cert, port: listening.port, body: JSON.stringify(admissionReview(gitjobJob('r', 'abcde', ns))) })).json().response;
      expect(decodePatch(await admit('fleet-default')).length).toBeGreaterThan(0);
      const audited = await admit('fleet-local');
      expect(audited.patch).toBeUndefined();
      expect(audited.auditAnnotations['would-mutate']).toBe('tolerations+2,component-label');
      expect(await admit('default')).toEqual({ uid: expect.any(String), allowed: true });
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await api.stop();
    }
  });
});
