import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { formatHelp, parseOptions, UsageError, type OptionSpec } from './options.js';
import { generateCa, generateServing, serviceHosts, SERVING_VALIDITY_DAYS, CA_VALIDITY_DAYS, DAY_MS, type CertificatePair } from '../certs/generate.js';
import { certificateFiles, PRIVATE_MODE, PUBLIC_MODE, replaceFile, writeCertificateFiles } from '../certs/files.js';
import { certificateKustomization } from '../certs/kustomize.js';
import type { CommandIo } from './mutate.js';

export const CERTS_FLAGS: readonly OptionSpec[] = [
  { name: 'service', type: 'string', default: 'fleet-webhook', format: 'dns-1035-label', description: 'Name of the webhook Service' },
  { name: 'namespace', type: 'string', default: 'fleet-webhook-system', format: 'dns-label', description: 'Namespace of the webhook Service and Secret' },
  { name: 'out', type: 'string', default: 'certs', description: 'Directory for the PEM files and the kustomize Component (Secret + caBundle)' },
  { name: 'secret-name', type: 'string', default: 'fleet-webhook-tls', format: 'dns-subdomain', description: 'Name of the TLS Secret the Deployment mounts' },
  { name: 'webhook-name', type: 'string', default: 'fleet-webhook', format: 'dns-subdomain', description: 'Name of the MutatingWebhookConfiguration whose caBundle is set' },
  { name: 'cluster-domain', type: 'string', default: 'cluster.local', format: 'dns-subdomain', description: 'Cluster DNS domain for the <svc>.<ns>.svc.<domain> name' },
  { name: 'validity-days', type: 'number', default: SERVING_VALIDITY_DAYS, min: 1, description: 'Lifetime of the serving certificate' },
  { name: 'new-ca', type: 'boolean', default: false, description: `Make a new CA (valid ${CA_VALIDITY_DAYS} days) even if one exists in --out; otherwise an existing CA is reused, so a renewal keeps the caBundle` },
];

const USAGE = 'fleet-webhook certs [--service fleet-webhook] [--namespace fleet-webhook-system] [--out certs/]';
const SUMMARY =
  'Generate a CA and a serving certificate (ECDSA P-256, SHA-256, NotBefore backdated 1 h) for the webhook Service,\n' +
  'and a kustomize Component in --out holding the TLS Secret and the caBundle, used by `kubectl apply -k deploy/`.\n' +
  'Run it again to renew the serving certificate with the same CA.';

export async function certsCommand(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const { values: v, help } = parseOptions(CERTS_FLAGS, argv, env);
  if (help) {
    io.stdout.write(formatHelp(USAGE, SUMMARY, CERTS_FLAGS));
    return 0;
  }
  const out = String(v.out);
  const service = String(v.service);
  const namespace = String(v.namespace);
  const existing = v['new-ca'] ? undefined : await readCa(out);
  const ca = existing ?? (await generateCa(`${service}-ca`));
  const validityDays = Number(v['validity-days']);
  const now = new Date();
  // A client stops trusting the serving certificate when its CA expires, whatever the certificate says.
  const caNotAfter = new Date(new X509Certificate(ca.cert).validTo);
  if (now.getTime() + validityDays * DAY_MS > caNotAfter.getTime()) {
    const advice = existing ? 'ask for fewer days, or make a new CA with --new-ca' : `a new CA is valid ${CA_VALIDITY_DAYS} days`;
    throw new UsageError(`--validity-days ${validityDays} would outlive the CA, valid until ${caNotAfter.toISOString()}: ${advice}`);
  }
  const hosts = serviceHosts(service, namespace, String(v['cluster-domain']));
  const serving = await generateServing(ca, hosts, now, validityDays);
  const files = await writeCertificateFiles(out, ca, serving);
  const manifests = certificateKustomization({ ca, serving, namespace, secretName: String(v['secret-name']), webhookName: String(v['webhook-name']) });
  for (const [name, text] of Object.entries(manifests)) await replaceFile(join(out, name), text, name === 'secret.yaml' ? PRIVATE_MODE : PUBLIC_MODE);
  const notAfter = new X509Certificate(serving.cert).validTo;
  io.stderr.write(
    `${existing ? 'Reused the CA in' : 'Generated a CA into'} ${out}; serving certificate for ${hosts.join(', ')} valid until ${notAfter}.\n` +
      `Wrote ${files.tlsCert}, ${files.tlsKey} (0600), ${join(out, 'secret.yaml')} and ${join(out, 'kustomization.yaml')}.\n` +
      `Next: kubectl apply -k deploy/   (the pods reload a renewed certificate without a restart)\n`,
  );
  return 0;
}

async function readCa(dir: string): Promise<CertificatePair | undefined> {
  try {
    const files = certificateFiles(dir);
    const [cert, key] = await Promise.all([readFile(files.caCert, 'utf8'), readFile(files.caKey, 'utf8')]);
    return { cert, key };
  } catch {
    return undefined;
  }
}
