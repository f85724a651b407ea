import { isValidLabelValue } from './component-label.js';
import { isDnsSubdomain } from '../kube/names.js';

/**
 * A qualified label key: optional DNS-subdomain prefix (<= 253) and '/', then a name, which has the
 * syntax of a label value but cannot be empty.
 */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (name.length === 0 || !isValidLabelValue(name)) return false;
  if (slash === -1) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && isDnsSubdomain(prefix);
}
