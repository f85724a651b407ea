import { parseAllDocuments, isMap, isSeq, type Document } from 'yaml';
import type { AddOperation } from '../mutation/types.js';
import { displayName } from '../mutation/workload.js';

export interface ParsedDocument {
  /** 1-based position in the stream. */
  index: number;
  /** `document N` plus `(Kind namespace/name)` when known: how errors and summaries name it. */
  label: string;
  value: unknown;
  /** The YAML document itself, kept so output preserves comments and formatting. */
  doc: Document;
}

/**
 * Parses a multi-document YAML (or JSON, which is YAML) stream. Empty documents are dropped, as
 * kubectl does. Throws an Error naming the first unreadable document.
 */
export function parseDocuments(text: string, source: string): ParsedDocument[] {
  const out: ParsedDocument[] = [];
  let index = 0;
  for (const doc of parseAllDocuments(text)) {
    index += 1;
    if (doc.errors.length > 0) {
      throw new Error(`${source}: document ${index} is not valid YAML/JSON: ${doc.errors[0].message.split('\n')[0]}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (err) {
      throw new Error(`${source}: document ${index} cannot be read: ${(err as Error).message}`);
    }
    if (value === null || value === undefined) continue;
    out.push({ index, value, label: describeDocument(index, value), doc: doc as Document });
  }
  return out;
}

export function describeDocument(index: number, value: unknown): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `document ${index}`;
  const v = value as Record<string, unknown>;
  const meta = (typeof v.metadata === 'object' && v.metadata !== null ? v.metadata : {}) as Record<string, unknown>;
  const name = displayName(meta) ?? '?';
  const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : '';
  return `document ${index} (${typeof v.kind === 'string' ? v.kind : '?'} ${ns}${name})`;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Applies the webhook's add-only patch to a YAML document in place, so the rest of the document
 * (comments, key order, quoting) stays as the user wrote it.
 */
export function applyAddPatchToYaml(doc: Document, patch: readonly AddOperation[]): void {
  for (const op of patch) {
    const tokens = op.path.split('/').slice(1).map(unescapeToken);
    const last = tokens[tokens.length - 1];
    const parentPath = tokens.slice(0, -1);
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (last === '-' && isSeq(parent)) {
      parent.add(doc.createNode(op.value));
    } else if (isMap(parent)) {
      parent.set(doc.createNode(last), doc.createNode(op.value));
    } else {
      throw new Error(`cannot apply ${op.path}: parent is not a map or list`);
    }
  }
}

export function documentsToYaml(docs: readonly Document[]): string {
  return docs.map((d) => {
    const text = d.toString({ lineWidth: 0 });
    return text.startsWith('---') ? text.replace(/^---\s*\n/, '') : text;
  }).join('---\n');
}
