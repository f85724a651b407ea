import { parseAllDocuments, isAlias, isCollection, isMap, isSeq, visit, type Alias, type Document } from 'yaml';
import type { AddOperation } from '../mutation/types.js';
import { displayName } from '../mutation/workload.js';
import { isPlainObject } from '../mutation/json-pointer.js';

/** The yaml library's bound on alias expansion (against billion-laughs documents), wherever one is resolved. */
const MAX_ALIASES = 100;

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
  // Merge keys (`<<: *base`) as kubectl and Helm read YAML: without them, what the webhook sees
  // and patches would not be what they send.
  for (const doc of parseAllDocuments(text, { merge: true })) {
    index += 1;
    if (doc.errors.length > 0) {
      throw new Error(`${source}: document ${index} is not valid YAML/JSON: ${doc.errors[0].message.split('\n')[0]}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
    } catch (err) {
      throw new Error(`${source}: document ${index} cannot be read: ${(err as Error).message}`);
    }
    if (value === null || value === undefined) continue;
    out.push({ index, value, label: describeObject(`document ${index}`, value), doc: doc as Document });
  }
  return out;
}

/** `where` plus `(Kind namespace/name)` when `value` is an object. */
function describeObject(where: string, value: unknown): string {
  if (!isPlainObject(value)) return where;
  const meta = isPlainObject(value.metadata) ? value.metadata : {};
  const name = displayName(meta) ?? '?';
  const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : '';
  return `${where} (${typeof value.kind === 'string' ? value.kind : '?'} ${ns}${name})`;
}

/** One Kubernetes object of a stream: a whole document, or an item of a List document. */
export interface ManifestObject {
  /** The document holding it, which a patch changes in place. */
  document: ParsedDocument;
  value: unknown;
  /** How summaries name it: `document N (Kind namespace/name)`, or `document N item M (...)`. */
  label: string;
  /** Where it is in its document, as a JSON pointer: '' for the document itself. */
  pointer: string;
}

/**
 * The objects of a stream as kubectl applies them: a List (`kind: List` as `kubectl get -o yaml`
 * writes it, or any `...List` kind with `items`) stands for its items.
 */
export function objectsOf(docs: readonly ParsedDocument[]): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const document of docs) {
    const v = document.value;
    if (isPlainObject(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      v.items.forEach((item, i) => {
        out.push({ document, value: item, label: describeObject(`document ${document.index} item ${i + 1}`, item), pointer: `/items/${i}` });
      });
    } else {
      out.push({ document, value: v, label: document.label, pointer: '' });
    }
  }
  return out;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Applies the webhook's add-only patch to a YAML document in place, so the rest of the document
 * (comments, key order, quoting) stays as the user wrote it. `at`: the JSON pointer of the patched
 * object in the document (a List's item), '' for the document itself.
 */
export function applyAddPatchToYaml(doc: Document, patch: readonly AddOperation[], at = ''): void {
  for (const op of patch) {
    const tokens = (at + op.path).split('/').slice(1).map(unescapeToken);
    const last = tokens[tokens.length - 1];
    const parent = ownNodeAt(doc, tokens.slice(0, -1));
    if (last === '-' && isSeq(parent)) {
      parent.add(doc.createNode(op.value));
    } else if (isMap(parent)) {
      parent.set(doc.createNode(last), doc.createNode(op.value));
    } else {
      throw new Error(`cannot apply ${op.path}: parent is not a map or list`);
    }
  }
}

/**
 * The node at `tokens`, to be changed in place without changing anything else. JSON has no aliases:
 * kubectl sends a copy at each one, and a patch must reach neither an alias's anchor nor the other
 * aliases of an anchor it changes (a template's labels aliased to the selector's, say). So aliases on
 * the way are replaced by copies of what they point to, and so are the aliases elsewhere of anchors
 * on the way; a key there only through a merge key gets its own copy.
 */
function ownNodeAt(doc: Document, tokens: readonly string[]): unknown {
  let node: unknown = doc.contents;
  const anchors = new Set<string>();
  for (let i = 0; ; i++) {
    if (isCollection(node) && node.anchor) anchors.add(node.anchor);
    if (i === tokens.length) break;
    if (!isCollection(node)) return undefined;
    let child: unknown = node.get(tokens[i], true);
    if (isAlias(child)) {
      child = copyOf(doc, child);
      node.set(tokens[i], child);
    } else if (child === undefined && isMap(node)) {
      // Only through a merge key: an own copy, which wins over the merged value and means the same.
      const merged: unknown = (node.toJS(doc, { maxAliasCount: MAX_ALIASES }) as Record<string, unknown>)[tokens[i]];
      if (merged !== undefined) {
        child = doc.createNode(merged);
        node.set(tokens[i], child);
      }
    }
    node = child;
  }
  if (anchors.size > 0) {
    visit(doc, {
      Alias: (_key, alias) => (anchors.has(alias.source) ? copyOf(doc, alias) : undefined),
    });
  }
  return node;
}

function copyOf(doc: Document, alias: Alias): ReturnType<Document['createNode']> {
  return doc.createNode(alias.toJS(doc, { maxAliasCount: MAX_ALIASES }));
}

/**
 * The documents as a stream, each as it was written with the patches in it. A document that is one
 * flow mapping (JSON, as `kubectl get -o json` writes) is written back as JSON: the nodes a patch adds
 * would otherwise be plain YAML scalars inside it, valid YAML but no longer JSON for jq and the like.
 */
export function documentsToYaml(docs: readonly Document[]): string {
  return docs.map((d) => {
    if (isMap(d.contents) && d.contents.flow) return JSON.stringify(d.toJS({ maxAliasCount: MAX_ALIASES }), null, 2) + '\n';
    const text = d.toString({ lineWidth: 0 });
    return text.startsWith('---') ? text.replace(/^---\s*\n/, '') : text;
  }).join('---\n');
}
