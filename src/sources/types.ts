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
}

export function parseMode(value: unknown): Mode | undefined {
  return value === 'enforce' || value === 'audit' ? value : undefined;
}
