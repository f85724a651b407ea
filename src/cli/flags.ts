import type { OptionSpec, OptionValues } from './options.js';
import { UsageError } from './options.js';
import { MODES, type Mode } from '../sources/types.js';
import { parseExtraTolerations } from '../sources/controller-file.js';
import type { Toleration } from '../mutation/types.js';
import { isValidLabelKey } from '../mutation/label-key.js';

export const DEFAULT_COMPONENT_LABEL_KEY = 'app.kubernetes.io/component';

/** Flags shared by every command that mutates or judges workloads. */
export const MUTATION_FLAGS: readonly OptionSpec[] = [
  { name: 'controller-file', type: 'string', description: 'Read the controller Deployment from this YAML/JSON file (one manifest, a multi-document stream or a List) instead of the cluster' },
  { name: 'controller-namespace', type: 'string', default: 'cattle-fleet-system', format: 'dns-label', description: 'Namespace of the controller Deployment' },
  { name: 'controller-name', type: 'string', default: 'fleet-controller', format: 'dns-subdomain', description: 'Name of the controller Deployment' },
  { name: 'mode', type: 'string', default: 'enforce', choices: MODES, description: 'enforce: patch objects; audit: patch nothing, report what would change (wins over namespace labels)' },
  { name: 'component-label-key', type: 'string', default: DEFAULT_COMPONENT_LABEL_KEY, description: 'Label key added to pod templates and Deployment selectors' },
  { name: 'extra-tolerations', type: 'string', default: '', description: 'Tolerations to add besides the controller\'s, as a JSON or YAML list' },
];

export const LOGGING_FLAGS: readonly OptionSpec[] = [
  { name: 'log-level', type: 'string', default: 'info', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], description: 'Log level (logs are JSON lines on stdout)' },
];

export const CLUSTER_FLAGS: readonly OptionSpec[] = [
  { name: 'kubeconfig', type: 'string', description: 'Kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else the pod\'s service account)' },
  { name: 'context', type: 'string', description: 'Kubeconfig context to use' },
];

export interface MutationSettings {
  mode: Mode;
  componentLabelKey: string;
  extraTolerations: Toleration[];
}

export function mutationSettings(v: OptionValues): MutationSettings {
  const key = String(v['component-label-key']);
  if (!isValidLabelKey(key)) throw new UsageError(`--component-label-key "${key}" is not a valid label key`);
  let extraTolerations: Toleration[];
  try {
    extraTolerations = parseExtraTolerations(v['extra-tolerations'] as string | undefined);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { mode: v.mode as Mode, componentLabelKey: key, extraTolerations };
}
