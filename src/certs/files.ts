import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificatePair } from './generate.js';

export const LOCALHOST_HOSTS = ['localhost', '127.0.0.1', '::1'];

export interface CertificateFiles {
  caCert: string;
  caKey: string;
  tlsCert: string;
  tlsKey: string;
}

export function certificateFiles(dir: string): CertificateFiles {
  return { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), tlsCert: join(dir, 'tls.crt'), tlsKey: join(dir, 'tls.key') };
}

/** File modes: private keys (and anything holding one) are readable by their owner only. */
export const PUBLIC_MODE = 0o644;
export const PRIVATE_MODE = 0o600;

/**
 * Replaces `path` with `text` through a new file created with `mode` and renamed over it. Writing
 * in place keeps an existing file's permissions, so a new private key written over a world-readable
 * file stayed world-readable; and a reader (the certificate reloader) never sees half a file.
 */
export async function replaceFile(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { mode, flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

/** Writes CA and serving pair; private keys are readable by their owner only. */
export async function writeCertificateFiles(dir: string, ca: CertificatePair, serving: CertificatePair): Promise<CertificateFiles> {
  await mkdir(dir, { recursive: true });
  const files = certificateFiles(dir);
  await replaceFile(files.caCert, ca.cert, PUBLIC_MODE);
  await replaceFile(files.caKey, ca.key, PRIVATE_MODE);
  await replaceFile(files.tlsCert, serving.cert, PUBLIC_MODE);
  await replaceFile(files.tlsKey, serving.key, PRIVATE_MODE);
  return files;
}

/**
 * Standalone mode: keeps the certificate at certFile/keyFile when both exist, otherwise generates
 * a CA and a serving certificate for `hosts` into `dir`. Returns whether it generated. One path for
 * both gets one PEM file holding the certificate and then the key, which TLS reads for either.
 */
export async function ensureCertificates(dir: string, certFile: string, keyFile: string, hosts: readonly string[]): Promise<boolean> {
  if ((await exists(certFile)) && (await exists(keyFile))) return false;
  const { generateCa, generateServing } = await import('./generate.js');
  const ca = await generateCa();
  const serving = await generateServing(ca, hosts);
  const files = await writeCertificateFiles(dir, ca, serving);
  if (certFile === keyFile) {
    await replaceFile(certFile, serving.cert.trimEnd() + '\n' + serving.key, PRIVATE_MODE);
  } else if (files.tlsCert !== certFile || files.tlsKey !== keyFile) {
    await replaceFile(certFile, serving.cert, PUBLIC_MODE);
    await replaceFile(keyFile, serving.key, PRIVATE_MODE);
  }
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
