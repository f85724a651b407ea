import { request as httpsRequest, Agent } from 'node:https';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, generateServing, type CertificatePair } from '../../src/certs/generate.js';
import { LOCALHOST_HOSTS } from '../../src/certs/files.js';

export interface TestPki {
  dir: string;
  ca: CertificatePair;
  serving: CertificatePair;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A real CA and a localhost serving certificate, written to a fresh temporary directory. */
export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-webhook-test-'));
  const ca = await generateCa('test-ca');
  const serving = await generateServing(ca, LOCALHOST_HOSTS);
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(caFile, ca.cert);
  await writeFile(certFile, serving.cert);
  await writeFile(keyFile, serving.key, { mode: 0o600 });
  return { dir, ca, serving, caFile, certFile, keyFile };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
  /** PEM-less identity of the certificate the server presented. */
  peerFingerprint?: string;
}

export interface PostOptions {
  ca: string;
  port: number;
  path?: string;
  body?: string | Buffer;
  contentType?: string | null;
  method?: string;
  agent?: Agent | false;
  cert?: string;
  key?: string;
  host?: string;
  /** TLS server name to verify (defaults to `host`). */
  servername?: string;
}

/** POST over TLS that verifies the server's certificate against `ca` (never rejectUnauthorized: false). */
export function post(opts: PostOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = httpsRequest(
      {
        host: opts.host ?? 'localhost',
        servername: opts.servername,
        port: opts.port,
        path: opts.path ?? '/mutate',
        method: opts.method ?? 'POST',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: opts.agent ?? false,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.()?.fingerprint256;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body), peerFingerprint: fingerprint });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
