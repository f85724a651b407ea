import type { Toleration } from '../mutation/types.js';

export type Mode = 'enforce' | 'audit';
export const MODES: readonly Mode[] = ['enforce', 'audit'];
export const MODE_LABEL = 'fleet-webhook.io/mode';

/** What the webhook currently knows about the controller Deployment's tolerations. */
export interface TolerationSnapshot {
  /** The controller's pod-template tolerations. The same array instance is returned until they change. */
  readonly tolerations: readonly Toleration[];
  /** Set when the controller is unknown (not found, not synced): admissions carry it as a warning. */
  readonly warning?: string;
}

export interface TolerationSource {
  snapshot(): TolerationSnapshot;
}

/** Decides, per namespace, whether and how the webhook acts. undefined: the namespace has not opted in. */
export interface NamespaceModeSource {
  modeFor(namespace: string): Mode | undefined;
  /**
   * For a namespace `modeFor` does not know: ask the API server, after which `modeFor` answers from
   * what it said. A cache fed by a watch can be behind the API server, which only calls the webhook
   * for namespaces its selector matched, so a namespace labelled just before a workload was created
   * in it would otherwise be passed over. Returns undefined when there is nothing to ask (no live
   * source, or an answer remembered); the promise rejects when no answer came in time.
   */
  lookUp?(namespace: string): Promise<void> | undefined;
}

export function parseMode(value: unknown): Mode | undefined {
  return value === 'enforce' || value === 'audit' ? value : undefined;
}
