import { readNamedFile } from '../paths.js';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';

/** TLS 1.2 minimum; AEAD ciphers with forward secrecy only (TLS 1.3 suites are always on). */
export const TLS_MIN_VERSION = 'TLSv1.2' as const;
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface TlsPaths {
  certFile: string;
  keyFile: string;
  /** CA that client certificates must chain to; when set, callers without a valid one are refused. */
  clientCaFile?: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
  /** Expiry of the serving certificate (for metrics and logs). */
  notAfter: Date;
}

/** Errors name the files and what each is for: OpenSSL's own messages ("key values mismatch") name neither. */
export async function loadTlsMaterial(paths: TlsPaths): Promise<TlsMaterial> {
  const [cert, key, clientCa] = await Promise.all([
    readNamedFile(paths.certFile, 'certificate'),
    readNamedFile(paths.keyFile, 'key'),
    paths.clientCaFile ? readNamedFile(paths.clientCaFile, 'client CA') : Promise.resolve(undefined),
  ]);
  const secure = secureContextOptions({ cert, key, clientCa, notAfter: new Date(0) });
  try {
    // Throws on a key that does not match the certificate, or unreadable PEM: better now than per handshake.
    createSecureContext(secure);
    // OpenSSL skips PEM blocks that are not certificates: a client CA file without one would refuse every caller.
    if (clientCa) new X509Certificate(clientCa);
    return { cert, key, clientCa, notAfter: new Date(new X509Certificate(cert).validTo) };
  } catch (err) {
    const files = `certificate ${paths.certFile}, key ${paths.keyFile}${paths.clientCaFile ? `, client CA ${paths.clientCaFile}` : ''}`;
    throw new Error(`unusable TLS files (${files}): ${(err as Error).message}`);
  }
}

export function secureContextOptions(m: TlsMaterial): SecureContextOptions {
  return {
    cert: m.cert,
    key: m.key,
    ca: m.clientCa,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  };
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && (a.clientCa?.equals(b.clientCa ?? Buffer.alloc(0)) ?? !b.clientCa);
}

/**
 * Polls the certificate files and hands a changed, valid pair to `apply`. Polling (rather than
 * fs.watch alone) works with the symlink swaps of mounted Secrets and on every filesystem; a
 * half-written pair fails validation and is retried at the next tick, the old one stays in use.
 */
export class CertificateReloader {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly paths: TlsPaths,
    private current: TlsMaterial,
    private readonly apply: (m: TlsMaterial) => void,
    private readonly log: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  material(): TlsMaterial {
    return this.current;
  }

  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      const next = await loadTlsMaterial(this.paths);
      if (sameMaterial(next, this.current)) return false;
      this.apply(next);
      this.current = next;
      this.log.info({ notAfter: next.notAfter.toISOString() }, 'serving certificate reloaded');
      return true;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'certificate files unreadable or mismatched; keeping the current certificate');
      return false;
    } finally {
      this.checking = false;
    }
  }
}
