import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { DAY_MS, generateCa, generateServing, serviceHosts, type CertificatePair } from './generate.js';
import { certificateFiles, PRIVATE_MODE, PUBLIC_MODE, replaceFile, type CertificateFiles } from './files.js';
import { errorStatus, unlessNotFound } from '../kube/api-errors.js';

export interface SelfManagedOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  secretName: string;
  webhookName: string;
  service: string;
  /** Where the serving pair is written for the server (an emptyDir in the pod). */
  dir: string;
  /** Renew when the serving certificate (or the CA) expires sooner than this. */
  renewBeforeMs: number;
  log: Logger;
  now?: () => Date;
}

export const DEFAULT_RENEW_BEFORE_MS = 30 * DAY_MS;
/** The CA replaced at the last CA renewal, trusted until it expires (certificate only, no key). */
export const PREVIOUS_CA_KEY = 'ca-previous.crt';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);

/**
 * The webhook's own certificate, without cert-manager: the Secret is the source of truth, shared by
 * every replica. Each check reads it; if it is missing, unreadable, for other names or expiring
 * within `renewBeforeMs`, a new serving certificate is issued (by the Secret's CA while that is
 * valid, so the caBundle rarely changes) and written back with the Secret's resourceVersion: when two
 * replicas race, one write wins and the other adopts it at once. Every webhook of the
 * MutatingWebhookConfiguration gets the CA as its caBundle, and only then is the pair written to `dir`
 * for the server (which reloads it), so a replica never serves a certificate the API server does not
 * trust yet. When the CA itself is renewed, the old CA is kept beside the new one in the Secret
 * (`ca-previous.crt`) and in the caBundle until it expires: the other replicas still serve
 * certificates of the old CA until their next check, and the API server must keep trusting them.
 */
export class CertificateManager {
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;
  private readonly hosts: string[];
  private readonly files: CertificateFiles;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SelfManagedOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.admission = opts.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    this.hosts = serviceHosts(opts.service, opts.namespace);
    this.files = certificateFiles(opts.dir);
  }

  get certFile(): string {
    return this.files.tlsCert;
  }

  get keyFile(): string {
    return this.files.tlsKey;
  }

  /** One check: returns what it did ('kept', 'created', 'renewed', 'adopted'). */
  async ensure(): Promise<'kept' | 'created' | 'renewed' | 'adopted'> {
    let outcome: 'kept' | 'created' | 'renewed' | 'adopted' = 'kept';
    let secret = await this.readSecret();
    let pair = secret && this.usable(secret);
    if (!pair) {
      const ca = (secret && this.usableCa(secret)) ?? (await generateCa(`${this.opts.service}-ca`, this.now()));
      const serving = await generateServing(ca, this.hosts, this.now());
      pair = { ca, serving };
      try {
        outcome = secret ? 'renewed' : 'created';
        secret = await this.writeSecret(secret, ca, serving);
        this.opts.log.info({ secret: this.opts.secretName, notAfter: new X509Certificate(serving.cert).validTo }, `serving certificate ${outcome}`);
      } catch (err) {
        if (errorStatus(err) !== 409) throw err;
        // Another replica wrote first: use its certificate.
        secret = await this.readSecret();
        pair = secret && this.usable(secret);
        if (!pair) throw new Error(`secret ${this.opts.secretName} changed under us and is still unusable`);
        outcome = 'adopted';
      }
    }
    await this.syncCaBundle(this.trustedCas(pair.ca.cert, secret));
    await this.writeFiles(pair.serving);
    return outcome;
  }

  /** Checks now and then every `intervalMs` (jittered by the caller's choice of interval). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.ensure().catch((err) => this.opts.log.warn({ err: (err as Error).message }, 'certificate check failed; will retry'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private readSecret(): Promise<V1Secret | undefined> {
    return unlessNotFound(this.core.readNamespacedSecret({ name: this.opts.secretName, namespace: this.opts.namespace }));
  }

  /** The Secret's pair when it serves these names, matches its key, chains to its CA and is not due. */
  private usable(secret: V1Secret): { ca: CertificatePair; serving: CertificatePair } | undefined {
    const ca = this.usableCa(secret);
    const cert = unb64(secret.data?.['tls.crt']);
    const key = unb64(secret.data?.['tls.key']);
    if (!ca || !cert || !key) return undefined;
    try {
      const x509 = new X509Certificate(cert);
      const caX509 = new X509Certificate(ca.cert);
      const names = this.hosts.every((h) => x509.subjectAltName?.split(', ').includes(`DNS:${h}`));
      if (this.due(x509) || !names || !x509.verify(caX509.publicKey) || !x509.checkPrivateKey(createPrivateKey(key))) return undefined;
      return { ca, serving: { cert, key } };
    } catch {
      return undefined;
    }
  }

  private usableCa(secret: V1Secret): CertificatePair | undefined {
    const cert = unb64(secret.data?.['ca.crt']);
    const key = unb64(secret.data?.['ca.key']);
    if (!cert || !key) return undefined;
    try {
      const x509 = new X509Certificate(cert);
      return !this.due(x509) && x509.ca && x509.checkPrivateKey(createPrivateKey(key)) ? { cert, key } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The CA, and the previous one while it is still valid: what the caBundle must trust. */
  private trustedCas(caCert: string, secret: V1Secret | undefined): string[] {
    const previous = this.previousCa(secret);
    return previous && previous !== caCert ? [caCert, previous] : [caCert];
  }

  private previousCa(secret: V1Secret | undefined): string | undefined {
    const cert = unb64(secret?.data?.[PREVIOUS_CA_KEY]);
    return cert && this.unexpired(cert) ? cert : undefined;
  }

  /** Not expired yet (where `due` looks renewBeforeMs ahead); false for anything unreadable. */
  private unexpired(cert: string): boolean {
    try {
      return Date.parse(new X509Certificate(cert).validTo) > this.now().getTime();
    } catch {
      return false;
    }
  }

  /** Expires within renewBeforeMs: to be replaced now. */
  private due(x509: X509Certificate): boolean {
    return Date.parse(x509.validTo) - this.opts.renewBeforeMs <= this.now().getTime();
  }

  private async writeSecret(current: V1Secret | undefined, ca: CertificatePair, serving: CertificatePair): Promise<V1Secret> {
    const data: Record<string, string> = { 'tls.crt': b64(serving.cert), 'tls.key': b64(serving.key), 'ca.crt': b64(ca.cert), 'ca.key': b64(ca.key) };
    // A new CA: the one it replaces stays trusted (see the class comment); the same CA: keep what was kept.
    const replaced = unb64(current?.data?.['ca.crt']);
    const previous = replaced && replaced !== ca.cert && this.unexpired(replaced) ? replaced : this.previousCa(current);
    if (previous) data[PREVIOUS_CA_KEY] = b64(previous);
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { ...current?.metadata, name: this.opts.secretName, namespace: this.opts.namespace },
      data,
    };
    if (!current) return this.core.createNamespacedSecret({ namespace: this.opts.namespace, body });
    return this.core.replaceNamespacedSecret({ name: this.opts.secretName, namespace: this.opts.namespace, body });
  }

  /** Atomic per file (replaceFile), key first: the reloader never pairs a new cert with an old key for long. */
  private async writeFiles(serving: CertificatePair): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    await replaceFile(this.keyFile, serving.key, PRIVATE_MODE);
    await replaceFile(this.certFile, serving.cert, PUBLIC_MODE);
  }

  /**
   * Every webhook's caBundle set to these CAs. A conflict (another replica or a deploy tool wrote
   * meanwhile) is retried on a fresh read: the caller writes the certificate files only after this
   * returns, so it must not return before the bundle trusts them.
   */
  private async syncCaBundle(caCerts: string[]): Promise<void> {
    const bundle = b64(caCerts.join('\n'));
    for (let attempt = 1; ; attempt++) {
      const hook = await this.admission.readMutatingWebhookConfiguration({ name: this.opts.webhookName });
      const webhooks = hook.webhooks ?? [];
      if (webhooks.every((w) => w.clientConfig.caBundle === bundle)) return;
      for (const w of webhooks) w.clientConfig.caBundle = bundle;
      try {
        await this.admission.replaceMutatingWebhookConfiguration({ name: this.opts.webhookName, body: hook });
        this.opts.log.info({ webhook: this.opts.webhookName, cas: caCerts.length }, 'caBundle updated');
        return;
      } catch (err) {
        if (errorStatus(err) !== 409 || attempt >= 3) throw err;
      }
    }
  }
}
