/** Kubernetes object-name rules (apimachinery's validation), for names the webhook builds or is given. */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 label: namespaces. */
export function isDnsLabel(name: string): boolean {
  return DNS_LABEL.test(name);
}

/** RFC 1035 label (starts with a letter): Services. */
export function isDns1035Label(name: string): boolean {
  return DNS_1035_LABEL.test(name);
}

/** RFC 1123 subdomain: most object names (Deployments, Secrets, webhook configurations), DNS domains. */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

export type NameFormat = 'dns-label' | 'dns-1035-label' | 'dns-subdomain';

/** Whether `name` follows `format`, and how to say what that is. */
export const NAME_FORMATS: Record<NameFormat, { test: (name: string) => boolean; description: string }> = {
  'dns-label': { test: isDnsLabel, description: 'a DNS label (lowercase letters, digits and -, at most 63)' },
  'dns-1035-label': { test: isDns1035Label, description: 'a DNS-1035 label (a lowercase letter, then lowercase letters, digits and -, at most 63)' },
  'dns-subdomain': { test: isDnsSubdomain, description: 'a DNS subdomain (lowercase letters, digits, - and ., at most 253)' },
};
