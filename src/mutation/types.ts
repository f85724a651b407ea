/** Narrow views of the Kubernetes objects the mutation reads. Everything is optional: input is untrusted JSON. */

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number | null;
}

export type JsonObject = Record<string, unknown>;

export type WorkloadKind = 'Job' | 'CronJob' | 'Deployment';

/** What the webhook knows when it mutates one object; built once per request from the sources. */
export interface MutationInputs {
  /** Controller tolerations followed by the extra ones, deduplicated (see mergeTolerationSets). */
  tolerations: readonly Toleration[];
  componentLabelKey: string;
  /** Annotation on the workload that records what the webhook changed. */
  changeAnnotationKey: string;
  /** The workload is a CREATE (selectors may only be touched then). */
  creating: boolean;
}

export type ChangeKind = 'tolerations' | 'component-label' | 'selector';

/**
 * One change, as data: descriptions for warnings and summaries are built only by the code that
 * shows them (see describeChange), never on the admission hot path.
 */
export type Change =
  | { kind: 'tolerations'; tolerations: readonly Toleration[] }
  | { kind: 'component-label' | 'selector'; key: string; value: string };

/** A single RFC 6902 "add" operation: the webhook never removes, replaces or moves user data. */
export interface AddOperation {
  op: 'add';
  path: string;
  value: unknown;
}

export interface MutationResult {
  /** Operations to apply, in order; empty when nothing changes. */
  patch: AddOperation[];
  changes: Change[];
  /** Problems worth telling the user: object not understood, label could not be derived, ... */
  warnings: string[];
  /** Why nothing was done at all, when that is the case (skip label, unsupported kind, ...). */
  skipped?: string;
}
