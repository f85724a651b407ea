import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ensureCertificates, LOCALHOST_HOSTS, replaceFile } from '../../src/certs/files.js';

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('certificate files', () => {
  test('a new key written where a world-readable file was is readable by its owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'files-'));
    // A key file left world-readable (copied with the wrong umask, or written by hand) and no certificate:
    // standalone serving generates a new pair over it.
    for (const name of ['tls.key', 'ca.key']) {
      await writeFile(join(dir, name), 'old', { mode: 0o644 });
      await chmod(join(dir, name), 0o644);
    }
    expect(await ensureCertificates(dir, join(dir, 'tls.crt'), join(dir, 'tls.key'), LOCALHOST_HOSTS)).toBe(true);
    expect(await modeOf(join(dir, 'tls.key'))).toBe(0o600);
    expect(await modeOf(join(dir, 'ca.key'))).toBe(0o600);
    expect(await modeOf(join(dir, 'tls.crt'))).toBe(0o644);
    const cert = new X509Certificate(await readFile(join(dir, 'tls.crt')));
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(join(dir, 'tls.key'))))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  });

  test('certificate and key paths outside the generated directory get the same pair, the key 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'files-'));
    const certFile = join(dir, 'serving.pem');
    const keyFile = join(dir, 'serving-key.pem');
    await writeFile(keyFile, 'old', { mode: 0o644 });
    await chmod(keyFile, 0o644);
    await ensureCertificates(join(dir, 'generated'), certFile, keyFile, LOCALHOST_HOSTS);
    expect(await modeOf(keyFile)).toBe(0o600);
    expect(await readFile(certFile, 'utf8')).toBe(await readFile(join(dir, 'generated', 'tls.crt'), 'utf8'));
    expect(await readFile(keyFile, 'utf8')).toBe(await readFile(join(dir, 'generated', 'tls.key'), 'utf8'));
  });

  test('one path for certificate and key gets one 0600 PEM that TLS reads as both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'files-'));
    const pem = join(dir, 'combined.pem');
    await ensureCertificates(dir, pem, pem, LOCALHOST_HOSTS);
    expect(await modeOf(pem)).toBe(0o600);
    const text = await readFile(pem, 'utf8');
    expect(() => createSecureContext({ cert: text, key: text })).not.toThrow();
    expect(new X509Certificate(text).checkPrivateKey(createPrivateKey(text))).toBe(true);
    // Existing files are kept: a second start does not generate again.
    expect(await ensureCertificates(dir, pem, pem, LOCALHOST_HOSTS)).toBe(false);
    expect(await readFile(pem, 'utf8')).toBe(text);
  });

  test('replaceFile leaves the old file and no temporary file behind when it cannot write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'files-'));
    const target = join(dir, 'tls.crt');
    await writeFile(target, 'old');
    // A directory where the file should be: the rename fails after the temporary file was written.
    const blocked = join(dir, 'blocked');
    await mkdir(blocked);
    await writeFile(join(blocked, 'inside'), 'kept');
    await expect(replaceFile(blocked, 'new', 0o644)).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'tls.crt']);
    await replaceFile(target, 'new', 0o644);
    expect(await readFile(target, 'utf8')).toBe('new');
    expect((await readdir(dir)).sort()).toEqual(['blocked', 'tls.crt']);
  });
});
