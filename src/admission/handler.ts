import type { Logger } from 'pino';
import type { Change, MutationResult, Toleration, WorkloadKind } from '../mutation/types.js';
import { changeSummary, mutateWorkload } from '../mutation/mutate.js';
import { describeToleration, mergeTolerationSets } from '../mutation/tolerations.js';
import { displayName, supportedKind } from '../mutation/workload.js';
import type { Mode, NamespaceModeSource, TolerationSource } from '../sources/types.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';
import { capWarnings, listWarning } from './warnings.js';
import { encodePatch } from './patch-encoding.js';
import { freezeDeep } from '../mutation/frozen.js';
import { collisionsOf, describeCollision, describeForSubject, type WorkloadIndex } from '../collisions/detect.js';
import { recordOf, type SelectingKind } from '../collisions/workloads.js';

export type Outcome = 'mutated' | 'audited' | 'unchanged' | 'skipped' | 'ignored' | 'error';

/** What happened to one request: the response plus what metrics and logs need. */
export interface Decision {
  response: AdmissionResponse;
  outcome: Outcome;
  /** Why an `error` outcome allowed the object unchanged. */
  failReason?: 'internal_error' | 'deadline' | 'namespace_unknown';
  /** Selector collisions the workload takes part in (after mutation); warned, never changed. */
  collisions?: { otherKind: SelectingKind; text: string }[];
  /** The workload kind when supported, else the request's kind (bounded: only for metrics of supported kinds). */
  kind: WorkloadKind | undefined;
  mode: Mode | undefined;
  changes: Change[];
}

export interface Evaluation {
  kind: WorkloadKind | undefined;
  /** undefined: the request is not for us (kind, operation, namespace not opted in or protected). */
  mode: Mode | undefined;
  result?: MutationResult;
  /** The mutation's warnings plus the source's (e.g. controller not found). */
  warnings?: string[];
}

/** One interface for every way a review is answered (server, offline command, tests). */
export interface AdmissionHandler {
  handle(request: AdmissionRequest): Decision;
  /**
   * What must be fetched before `handle` can decide, or undefined when nothing is (the usual case,
   * which stays synchronous). A rejection means it could not be fetched in time.
   */
  prepare?(request: AdmissionRequest): Promise<void> | undefined;
}

export interface HandlerOptions {
  componentLabelKey: string;
  changeAnnotationKey: string;
  /** `audit` here wins over every namespace's own mode. */
  globalMode: Mode;
  extraTolerations: readonly Toleration[];
  tolerationSource: TolerationSource;
  modeSource: NamespaceModeSource;
  /** Namespaces never mutated, whatever their labels say. */
  protectedNamespaces: ReadonlySet<string>;
  log: Logger;
  /** Existing selectors and pod labels, when collision detection is on. */
  workloads?: WorkloadIndex;
}

/** Allowed unchanged because of a problem, with a warning saying which: never block a Fleet workload. */
export function failOpen(uid: string, reason: NonNullable<Decision['failReason']>, warning: string): Decision {
  return { response: { uid, allowed: true, warnings: [warning] }, outcome: 'error', failReason: reason, kind: undefined, mode: undefined, changes: [] };
}

export const DEFAULT_PROTECTED_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'];
export const AUDIT_PATCH_ANNOTATION_MAX = 8 * 1024;

export class MutatingHandler implements AdmissionHandler {
  private mergedFor: readonly Toleration[] | undefined;
  private merged: readonly Toleration[] = [];

  constructor(private readonly opts: HandlerOptions) {}

  handle(request: AdmissionRequest): Decision {
    try {
      return this.decide(request);
    } catch (err) {
      // Fail open: a bug here must never block a Fleet workload from being created.
      this.opts.log.error({ err, uid: request.uid }, 'admission failed; allowing unchanged');
      return failOpen(request.uid, 'internal_error', 'fleet-webhook: internal error, object not mutated');
    }
  }

  /** A namespace the mode source has not seen yet (a watch behind the API server) is looked up first. */
  prepare(request: AdmissionRequest): Promise<void> | undefined {
    const source = this.opts.modeSource;
    const namespace = request.namespace;
    if (!source.lookUp || !namespace || source.modeFor(namespace) !== undefined || this.opts.protectedNamespaces.has(namespace)) return undefined;
    if (!createsObject(request) || !supportedKind(request.kind.group, request.kind.version, request.kind.kind)) return undefined;
    return source.lookUp(namespace);
  }

  /**
   * What the webhook would do with a request, without building a response: shared by the server
   * and the offline `mutate` command so both apply exactly the same mutation.
   */
  evaluate(request: AdmissionRequest): Evaluation {
    const kind = supportedKind(request.kind.group, request.kind.version, request.kind.kind);
    if (!kind || !createsObject(request)) return { kind, mode: undefined };
    const mode = this.modeFor(request.namespace ?? '');
    if (!mode) return { kind, mode };
    const snapshot = this.opts.tolerationSource.snapshot();
    const result = mutateWorkload(request.object, kind, {
      tolerations: this.tolerationsFor(snapshot.tolerations),
      componentLabelKey: this.opts.componentLabelKey,
      changeAnnotationKey: this.opts.changeAnnotationKey,
      creating: true,
    });
    const warnings = snapshot.warning ? [snapshot.warning, ...result.warnings] : result.warnings.slice();
    return { kind, mode, result, warnings };
  }

  private decide(request: AdmissionRequest): Decision {
    const { uid } = request;
    const { kind, mode, result, warnings } = this.evaluate(request);
    if (!kind || !mode || !result || !warnings) {
      return { response: { uid, allowed: true }, outcome: 'ignored', kind, mode, changes: [] };
    }
    const response: AdmissionResponse = { uid, allowed: true };
    let outcome: Outcome;
    if (result.changes.length === 0) {
      outcome = result.skipped ? 'skipped' : 'unchanged';
    } else if (mode === 'audit') {
      outcome = 'audited';
      warnings.push(...auditWarnings(result));
      const patchJson = JSON.stringify(result.patch);
      response.auditAnnotations = { 'would-mutate': changeSummary(result.changes) };
      if (patchJson.length <= AUDIT_PATCH_ANNOTATION_MAX) response.auditAnnotations['would-patch'] = patchJson;
    } else {
      outcome = 'mutated';
      response.patchType = 'JSONPatch';
      response.patch = encodePatch(result.patch);
      response.auditAnnotations = { mutated: changeSummary(result.changes) };
    }
    const collisions = this.opts.workloads ? this.collisionsOf(request, kind, result) : undefined;
    if (collisions?.length) for (const c of collisions) warnings.push('fleet-webhook: ' + c.warning);
    if (warnings.length > 0) response.warnings = capWarnings(warnings);
    this.logDecision(request, kind, mode, outcome, result, collisions);
    return { response, outcome, kind, mode, changes: result.changes, collisions };
  }

  private modeFor(namespace: string): Mode | undefined {
    if (this.opts.protectedNamespaces.has(namespace)) return undefined;
    const own = this.opts.modeSource.modeFor(namespace);
    if (!own) return undefined;
    return this.opts.globalMode === 'audit' ? 'audit' : own;
  }

  /**
   * Controller plus extra tolerations, deduplicated once per controller change, not once per request,
   * and frozen so that the patch encoder can reuse their encoding.
   */
  private tolerationsFor(controller: readonly Toleration[]): readonly Toleration[] {
    if (controller !== this.mergedFor) {
      this.merged = freezeDeep(mergeTolerationSets(controller, this.opts.extraTolerations).map((t) => ({ ...t })));
      this.mergedFor = controller;
    }
    return this.merged;
  }

  /** The workload as it will exist after our patch, checked against existing selectors. */
  private collisionsOf(request: AdmissionRequest, kind: WorkloadKind, result: MutationResult): { otherKind: SelectingKind; text: string; warning: string }[] {
    const subject = recordOf(kind, request.object);
    if (!subject || !this.opts.workloads) return [];
    subject.namespace = request.namespace ?? subject.namespace;
    const podLabels = { ...subject.podLabels };
    for (const c of result.changes) {
      if (c.kind === 'component-label') podLabels[c.key] = c.value;
      if (c.kind === 'selector' && subject.selector) subject.selector = { ...subject.selector, matchLabels: { ...subject.selector.matchLabels, [c.key]: c.value } };
    }
    subject.podLabels = podLabels;
    return collisionsOf(subject, this.opts.workloads).map((c) => ({
      otherKind: c.selector === subject ? c.pods.kind : c.selector.kind,
      text: describeCollision(c, this.opts.componentLabelKey),
      warning: describeForSubject(c, subject),
    }));
  }

  private logDecision(request: AdmissionRequest, kind: WorkloadKind, mode: Mode, outcome: Outcome, result: MutationResult, collisions?: { text: string }[]): void {
    const log = this.opts.log;
    const interesting = outcome === 'audited' || request.dryRun || result.warnings.length > 0 || Boolean(collisions?.length);
    const level = interesting ? 'info' : 'debug';
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        uid: request.uid,
        kind,
        namespace: request.namespace,
        name: objectName(request),
        mode,
        outcome,
        dryRun: request.dryRun || undefined,
        changes: result.changes.length > 0 ? changeSummary(result.changes) : undefined,
        warnings: result.warnings.length > 0 ? result.warnings : undefined,
        collisions: collisions?.length ? collisions.map((c) => c.text) : undefined,
      },
      outcome === 'audited' ? 'audit: would mutate' : request.dryRun ? 'dry-run admission' : 'admission',
    );
  }
}

export function auditWarnings(result: MutationResult): string[] {
  const out: string[] = [];
  for (const c of result.changes) {
    if (c.kind === 'tolerations') {
      const n = c.tolerations.length;
      out.push(listWarning(`fleet-webhook audit: would add ${n} toleration${n === 1 ? '' : 's'}: `, c.tolerations.map(describeToleration)));
    } else if (c.kind === 'component-label') {
      out.push(`fleet-webhook audit: would add pod label ${c.key}=${c.value}`);
    } else {
      out.push(`fleet-webhook audit: would add ${c.key}=${c.value} to spec.selector.matchLabels`);
    }
  }
  return out;
}

/** The only requests the webhook acts on: a CREATE of the object itself, not of a subresource. */
function createsObject(request: AdmissionRequest): boolean {
  return request.operation === 'CREATE' && !request.subResource;
}

function objectName(request: AdmissionRequest): string | undefined {
  return request.name || displayName((request.object as { metadata?: unknown } | undefined)?.metadata);
}
