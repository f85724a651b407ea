import { isPlainObject } from '../mutation/json-pointer.js';
import { jsonString, jsonText } from './json-text.js';

export const REVIEW_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type ReviewVersion = (typeof REVIEW_VERSIONS)[number];

/** The parts of an AdmissionRequest the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
  dryRun?: boolean;
}

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export class BadReviewError extends Error {}

/**
 * Checks that a parsed body is an AdmissionReview we can answer. Only the envelope is checked here:
 * a request whose object we cannot understand is still answered (allowed unchanged, with a warning).
 */
export function readReview(body: unknown): { version: ReviewVersion; request: AdmissionRequest } {
  if (!isPlainObject(body)) throw new BadReviewError('body is not a JSON object');
  const version = body.apiVersion;
  if (version !== REVIEW_VERSIONS[0] && version !== REVIEW_VERSIONS[1]) {
    throw new BadReviewError(`apiVersion must be one of ${REVIEW_VERSIONS.join(', ')}`);
  }
  if (body.kind !== 'AdmissionReview') throw new BadReviewError('kind must be AdmissionReview');
  const req = body.request;
  if (!isPlainObject(req)) throw new BadReviewError('request is missing or not an object');
  if (typeof req.uid !== 'string' || req.uid === '') throw new BadReviewError('request.uid must be a non-empty string');
  const kind = isPlainObject(req.kind) ? req.kind : {};
  return {
    version,
    request: {
      uid: req.uid,
      kind: { group: str(kind.group), version: str(kind.version), kind: str(kind.kind) },
      operation: str(req.operation),
      subResource: optStr(req.subResource),
      namespace: optStr(req.namespace),
      name: optStr(req.name),
      object: req.object,
      dryRun: req.dryRun === true,
    },
  };
}

/**
 * The response review as JSON text. Written by hand because it runs on every request: the same
 * text JSON.stringify would give for { apiVersion, kind, response }, with far fewer allocations.
 * `version` is one of REVIEW_VERSIONS and `patch` is base64, so neither needs escaping.
 */
export function reviewResponse(version: ReviewVersion, r: AdmissionResponse): string {
  let out = '{"apiVersion":"' + version + '","kind":"AdmissionReview","response":{"uid":' + jsonString(r.uid) + ',"allowed":true';
  if (r.patchType !== undefined) out += ',"patchType":"' + r.patchType + '"';
  if (r.patch !== undefined) out += ',"patch":"' + r.patch + '"';
  if (r.warnings !== undefined) out += ',"warnings":' + JSON.stringify(r.warnings);
  if (r.auditAnnotations !== undefined) out += ',"auditAnnotations":' + jsonText(r.auditAnnotations);
  return out + '}}';
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function optStr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
