import type { AddOperation, Change, JsonObject, MutationInputs, MutationResult, WorkloadKind } from './types.js';
import { childPointer, isPlainObject, pointer } from './json-pointer.js';
import { describeToleration, missingTolerations } from './tolerations.js';
import { componentLabelValue } from './component-label.js';
import { freezeDeep } from './frozen.js';
import { Memo } from './memo.js';
import { isOwnedByCronJob, podTemplateOf, podTemplatePath, stringField } from './workload.js';

export const SKIP_LABEL = 'fleet-webhook.io/skip';
/** Where the webhook records what it changed, e.g. `tolerations+2,component-label`. */
export const CHANGE_ANNOTATION = 'fleet-webhook.io/mutated';

/**
 * Computes the additions that give one workload the wanted tolerations and a component label.
 * Pure: reads `obj`, never modifies it, and builds only the "add" operations it needs, so the
 * cost follows the number of changes rather than the size of the object. Applying the patch and
 * mutating again yields an empty patch (reinvocation-safe).
 */
export function mutateWorkload(obj: unknown, kind: WorkloadKind, inputs: MutationInputs): MutationResult {
  const warnings: string[] = [];
  if (!isPlainObject(obj)) return unchanged(`the ${kind} is not a JSON object`);
  const metadata = isPlainObject(obj.metadata) ? obj.metadata : undefined;
  const labels = metadata && isPlainObject(metadata.labels) ? metadata.labels : undefined;
  if (labels?.[SKIP_LABEL] === 'true') return { patch: [], changes: [], warnings, skipped: `label ${SKIP_LABEL}=true` };

  const template = podTemplateOf(obj, kind);
  const problem = structuralProblem(obj, kind, template, podTemplatePath(kind));
  if (problem || !template) return unchanged(problem ?? 'no pod template');
  const podSpec = template.spec as JsonObject;

  const patch: AddOperation[] = [];
  const changes: Change[] = [];

  const paths = pathsOf(kind);
  // An empty list (charts often render `tolerations: []`) is replaced whole like a missing or null one:
  // nothing of the user's is lost, and one operation is a smaller patch than one per toleration.
  const existing = Array.isArray(podSpec.tolerations) && podSpec.tolerations.length > 0 ? podSpec.tolerations : undefined;
  const toAdd = missingTolerations(existing ?? [], inputs.tolerations);
  if (toAdd.length > 0) {
    // Indexed: for...of over the frozen wanted list runs the array iterator's code on every admission.
    if (existing) for (let i = 0; i < toAdd.length; i++) patch.push({ op: 'add', path: paths.appendToleration, value: toAdd[i] });
    else patch.push({ op: 'add', path: paths.tolerations, value: toAdd });
    changes.push({ kind: 'tolerations', tolerations: toAdd });
  }

  const key = inputs.componentLabelKey;
  const templateMeta = isPlainObject(template.metadata) ? template.metadata : undefined;
  const templateLabels = templateMeta && isPlainObject(templateMeta.labels) ? templateMeta.labels : undefined;
  let templateValue = stringField(templateLabels, key);
  const ownSelector = workloadSelector(obj, kind);
  if (templateLabels && templateValue === undefined && Object.hasOwn(templateLabels, key)) {
    warnings.push(`${key} not added: the pod template already has it with a non-string value`);
  } else if (templateValue === undefined && ownSelector && selectorConstrains(ownSelector, key)) {
    // e.g. `DoesNotExist` on the key: adding the label would stop the selector matching its own pods.
    warnings.push(`${key} not added: the ${kind}'s own selector already constrains it`);
  } else if (templateValue === undefined && !(kind === 'Job' && isOwnedByCronJob(metadata))) {
    const value = componentLabelValue(kind, stringField(metadata, 'name'), stringField(metadata, 'generateName'));
    if (value === undefined) {
      warnings.push(`${key} not added: the ${kind} has neither name nor generateName`);
    } else {
      templateValue = value;
      if (templateLabels) patch.push({ op: 'add', path: childPointer(paths.labels, key), value });
      else if (templateMeta) patch.push({ op: 'add', path: paths.labels, value: { [key]: value } });
      else patch.push({ op: 'add', path: paths.templateMetadata, value: { labels: { [key]: value } } });
      changes.push({ kind: 'component-label', key, value });
    }
  }

  if (kind === 'Deployment' && inputs.creating && templateValue !== undefined) {
    if (ownSelector && !selectorConstrains(ownSelector, key)) {
      if (isPlainObject(ownSelector.matchLabels)) {
        patch.push({ op: 'add', path: childPointer('/spec/selector/matchLabels', key), value: templateValue });
      } else {
        patch.push({ op: 'add', path: '/spec/selector/matchLabels', value: { [key]: templateValue } });
      }
      changes.push({ kind: 'selector', key, value: templateValue });
    }
  }

  if (changes.length > 0) addChangeAnnotation(patch, metadata, inputs.changeAnnotationKey, changes);
  return { patch, changes, warnings };

  function unchanged(reason: string): MutationResult {
    warnings.push(`not mutated: ${reason}`);
    return { patch: [], changes: [], warnings, skipped: reason };
  }
}

/** A short deterministic record of what changed, e.g. `tolerations+2,component-label,selector`. */
export function changeSummary(changes: readonly Change[]): string {
  // Remembered by shape, so that every request gets the same string (and the annotation values and
  // their encodings keyed on it are found without hashing a fresh string).
  const key = summaryKey(changes);
  if (key === undefined) return buildSummary(changes);
  let summary = summaries.get(key);
  if (summary === undefined) {
    if (summaries.size >= 1024) summaries.clear();
    summary = buildSummary(changes);
    summaries.set(key, summary);
  }
  return summary;
}

const summaries = new Map<number, string>();

/** A number for changes in the order mutateWorkload makes them (tolerations, label, selector), else undefined. */
function summaryKey(changes: readonly Change[]): number | undefined {
  let i = 0;
  let key = 0;
  const first = changes[0];
  if (first?.kind === 'tolerations') {
    key = (first.tolerations.length + 1) * 4;
    i++;
  }
  if (changes[i]?.kind === 'component-label') {
    key += 2;
    i++;
  }
  if (changes[i]?.kind === 'selector') {
    key += 1;
    i++;
  }
  return i === changes.length ? key : undefined;
}

const TOLERATIONS_ADDED = 'tolerations+';

function buildSummary(changes: readonly Change[]): string {
  let out = '';
  for (const c of changes) out += (out ? ',' : '') + (c.kind === 'tolerations' ? TOLERATIONS_ADDED + c.tolerations.length : c.kind);
  return out;
}

/** Whether a summary written by changeSummary (a CHANGE_ANNOTATION value) records added tolerations. */
export function summaryAddsTolerations(summary: string): boolean {
  return summary.split(',').some((change) => change.startsWith(TOLERATIONS_ADDED));
}

/** For people: `2 tolerations (a, b)`, `pod label k=v`, `selector k=v`. */
export function describeChange(c: Change): string {
  if (c.kind === 'tolerations') {
    const n = c.tolerations.length;
    return `${n} toleration${n === 1 ? '' : 's'} (${c.tolerations.map(describeToleration).join(', ')})`;
  }
  return `${c.kind === 'selector' ? 'selector' : 'pod label'} ${c.key}=${c.value}`;
}

interface TemplatePaths {
  tolerations: string;
  appendToleration: string;
  labels: string;
  templateMetadata: string;
}

function templatePaths(template: readonly string[]): TemplatePaths {
  const tolerations = pointer(...template, 'spec', 'tolerations');
  return { tolerations, appendToleration: tolerations + '/-', labels: pointer(...template, 'metadata', 'labels'), templateMetadata: pointer(...template, 'metadata') };
}

/** JSON pointers that depend only on where the kind keeps its pod template, built once. */
const CRONJOB_PATHS = templatePaths(podTemplatePath('CronJob'));
const TEMPLATE_PATHS = templatePaths(podTemplatePath('Job'));

function pathsOf(kind: WorkloadKind): TemplatePaths {
  // Not a table keyed by kind: reading one with three different keys is a megamorphic load in V8.
  return kind === 'CronJob' ? CRONJOB_PATHS : TEMPLATE_PATHS;
}

function addChangeAnnotation(patch: AddOperation[], metadata: JsonObject | undefined, key: string, changes: Change[]): void {
  const value = changeSummary(changes);
  if (!metadata) {
    patch.push({ op: 'add', path: '/metadata', value: annotationValues.get(key).get(value).metadata });
    return;
  }
  const annotations = metadata.annotations;
  if (!isPlainObject(annotations)) {
    patch.push({ op: 'add', path: '/metadata/annotations', value: annotationValues.get(key).get(value).annotations });
  } else if (!Object.hasOwn(annotations, key)) {
    // An existing record (from an earlier pass, or copied with the manifest) is the user's data now.
    patch.push({ op: 'add', path: childPointer('/metadata/annotations', key), value });
  }
}

/**
 * The few possible change annotations (one per combination of changes), as frozen values shared by
 * every request, so that their encoding is reused (see freezeDeep).
 */
const annotationValues = new Memo(16, (key: string) =>
  new Memo(256, (summary: string) => {
    const annotations = { [key]: summary };
    return freezeDeep({ annotations, metadata: { annotations } });
  }),
);

/** The selector that must keep matching the pod template: a Deployment's, or a Job's manual one. */
function workloadSelector(obj: JsonObject, kind: WorkloadKind): JsonObject | undefined {
  const spec = obj.spec;
  if (!isPlainObject(spec)) return undefined;
  if (kind === 'Deployment') return isPlainObject(spec.selector) ? spec.selector : undefined;
  const jobTemplate = kind === 'CronJob' ? spec.jobTemplate : undefined;
  const jobSpec = kind === 'CronJob' ? (isPlainObject(jobTemplate) ? jobTemplate.spec : undefined) : spec;
  return isPlainObject(jobSpec) && jobSpec.manualSelector === true && isPlainObject(jobSpec.selector) ? jobSpec.selector : undefined;
}

function selectorConstrains(selector: JsonObject, key: string): boolean {
  if (isPlainObject(selector.matchLabels) && Object.hasOwn(selector.matchLabels, key)) return true;
  const exprs = selector.matchExpressions;
  return Array.isArray(exprs) && exprs.some((e) => isPlainObject(e) && e.key === key);
}

/**
 * The shapes we add into must be what we expect (or absent), otherwise the patch could fail to apply
 * or change a meaning we do not understand; such objects are left unchanged with a warning.
 */
function structuralProblem(obj: JsonObject, kind: WorkloadKind, template: JsonObject | undefined, templatePath: readonly string[]): string | undefined {
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) return 'metadata is not an object';
  const metadata = obj.metadata as JsonObject | undefined;
  if (metadata && !mapOrAbsent(metadata.annotations)) return 'metadata.annotations is not an object';
  if (!template) return `${templatePath.join('.')} is missing or not an object`;
  if (!isPlainObject(template.spec)) return `${templatePath.join('.')}.spec is missing or not an object`;
  const tolerations = (template.spec as JsonObject).tolerations;
  if (tolerations !== undefined && tolerations !== null && !Array.isArray(tolerations)) return 'tolerations is not a list';
  if (template.metadata !== undefined && template.metadata !== null && !isPlainObject(template.metadata)) return 'pod template metadata is not an object';
  if (isPlainObject(template.metadata) && !mapOrAbsent(template.metadata.labels)) return 'pod template labels is not an object';
  if (kind === 'Deployment') {
    const selector = (obj.spec as JsonObject).selector;
    if (selector !== undefined && selector !== null && !isPlainObject(selector)) return 'spec.selector is not an object';
    if (isPlainObject(selector) && !mapOrAbsent(selector.matchLabels)) return 'spec.selector.matchLabels is not an object';
  }
  return undefined;
}

function mapOrAbsent(value: unknown): boolean {
  return value === undefined || value === null || isPlainObject(value);
}
