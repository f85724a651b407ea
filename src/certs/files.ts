import { access, mkdir, writeFile } from 'node:fs/promises';
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

/** Writes CA and serving pair; private keys are readable by their owner only. */
export async function writeCertificateFiles(dir: string, ca: CertificatePair, serving: CertificatePair): Promise<CertificateFiles> {
  await mkdir(dir, { recursive: true });
  const files = certificateFiles(dir);
  await writeFile(files.caCert, ca.cert, { mode: 0o644 });
  await writeFile(files.caKey, ca.key, { mode: 0o600 });
  await writeFile(files.tlsCert, serving.cert, { mode: 0o644 });
  await writeFile(files.tlsKey, serving.key, { mode: 0o600 });
  return files;
}

/**
 * Standalone mode: keeps the certificate at certFile/keyFile when both exist, otherwise generates
 * a CA and a serving certificate for `hosts` into `dir`. Returns whether it generated.
 */
export async function ensureCertificates(dir: string, certFile: string, keyFile: string, hosts: readonly string[]): Promise<boolean> {
  if ((await exists(certFile)) && (await exists(keyFile))) return false;
  const { generateCa, generateServing } = await import('./generate.js');
  const ca = await generateCa();
  const serving = await generateServing(ca, hosts);
  const files = await writeCertificateFiles(dir, ca, serving);
  if (files.tlsCert !== certFile || files.tlsKey !== keyFile) {
    await writeFile(certFile, serving.cert, { mode: 0o644 });
    await writeFile(keyFile, serving.key, { mode: 0o600 });
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
