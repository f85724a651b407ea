import { isPlainObject } from '../mutation/json-pointer.js';
import { scalarText } from '../mutation/workload.js';

export type Labels = Readonly<Record<string, string>>;

/** A label selector reduced to what matching needs; `undefined` when it selects nothing. */
export interface Selector {
  matchLabels: Labels;
  expressions: readonly { key: string; operator: string; values: readonly string[] }[];
}

/** apps/v1 LabelSelector (matchLabels + matchExpressions). Empty or unreadable selects nothing here. */
export function labelSelector(value: unknown): Selector | undefined {
  if (!isPlainObject(value)) return undefined;
  const matchLabels = stringMap(value.matchLabels);
  const expressions = Array.isArray(value.matchExpressions)
    ? value.matchExpressions.filter(isPlainObject).map((e) => ({
        key: scalarText(e.key),
        operator: scalarText(e.operator),
        values: Array.isArray(e.values) ? e.values.map(scalarText) : [],
      }))
    : [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return undefined;
  return { matchLabels, expressions };
}

/** A Service's selector: a plain map; a Service without one selects no pods. */
export function mapSelector(value: unknown): Selector | undefined {
  const matchLabels = stringMap(value);
  return Object.keys(matchLabels).length === 0 ? undefined : { matchLabels, expressions: [] };
}

export function matches(selector: Selector, labels: Labels): boolean {
  for (const key in selector.matchLabels) if (labels[key] !== selector.matchLabels[key]) return false;
  for (const e of selector.expressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key])) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** `k=v, k2=v2` of the selector's equality terms (what a warning names). */
export function describeSelector(selector: Selector): string {
  const parts = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.expressions) parts.push(`${e.key} ${e.operator}${e.values.length ? ` (${e.values.join(',')})` : ''}`);
  return parts.join(', ');
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
