import { generate } from 'selfsigned';
import { isIP } from 'node:net';

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/**
 * ECDSA P-256 keys: as strong as RSA 3072 and much cheaper per TLS handshake, which the API server
 * pays on every new connection. Both the API server (Go) and Node accept them.
 */
const KEY = { keyType: 'ec' as const, curve: 'P-256' as const, algorithm: 'sha256' as const };
export const DAY_MS = 24 * 3600 * 1000;
/** Backdating tolerates clock skew between the webhook pod and the API server. */
export const BACKDATE_MS = 3600 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 365;

export async function generateCa(commonName = 'fleet-webhook-ca', now = new Date(), validityDays = CA_VALIDITY_DAYS): Promise<CertificatePair> {
  const notBeforeDate = new Date(now.getTime() - BACKDATE_MS);
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    ...KEY,
    notBeforeDate,
    notAfterDate: new Date(now.getTime() + validityDays * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A serving certificate for `hosts` (DNS names or IP addresses), signed by `ca`. */
export async function generateServing(ca: CertificatePair, hosts: readonly string[], now = new Date(), validityDays = SERVING_VALIDITY_DAYS): Promise<CertificatePair> {
  if (hosts.length === 0) throw new Error('a serving certificate needs at least one host');
  const notBeforeDate = new Date(now.getTime() - BACKDATE_MS);
  const altNames = hosts.map((h) => (isIP(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h }));
  const pems = await generate([{ name: 'commonName', value: hosts[0] }], {
    ...KEY,
    notBeforeDate,
    notAfterDate: new Date(now.getTime() + validityDays * DAY_MS),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The names the API server may use for a Service: `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`. */
export function serviceHosts(service: string, namespace: string, clusterDomain = 'cluster.local'): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}

/**
 * A client certificate signed by `ca`, for callers of a webhook started with --client-ca (the API
 * server's admission client configuration points at such a pair).
 */
export async function generateClient(ca: CertificatePair, commonName: string, now = new Date(), validityDays = SERVING_VALIDITY_DAYS): Promise<CertificatePair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    ...KEY,
    notBeforeDate: new Date(now.getTime() - BACKDATE_MS),
    notAfterDate: new Date(now.getTime() + validityDays * DAY_MS),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
