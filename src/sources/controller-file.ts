import { readNamedFile } from '../paths.js';
import type { Toleration } from '../mutation/types.js';
import { parseTolerationList } from '../mutation/tolerations.js';
import { isPlainObject } from '../mutation/json-pointer.js';
import { objectsOf, parseDocuments } from '../manifests/yaml.js';
import { podTemplateOf } from '../mutation/workload.js';

/** The pod-template tolerations of a Deployment (from a file, a list or a watch event). */
export function controllerTolerations(deployment: unknown, source: string): Toleration[] {
  if (!isPlainObject(deployment)) throw new Error(`${source}: expected a Deployment object`);
  const podSpec = podTemplateOf(deployment, 'Deployment')?.spec;
  return parseTolerationList(isPlainObject(podSpec) ? podSpec.tolerations : undefined, source);
}

/**
 * Reads the controller Deployment from a YAML or JSON file. When the file holds several documents
 * (a whole `helm template` output) or a List (`kubectl get deployments -o yaml`), the Deployment
 * named `name` is used.
 */
export async function readControllerFile(path: string, name: string): Promise<Toleration[]> {
  const text = (await readNamedFile(path, 'controller file')).toString('utf8');
  const deployments = objectsOf(parseDocuments(text, path)).filter((d) => isPlainObject(d.value) && d.value.kind === 'Deployment');
  const named = deployments.find((d) => isPlainObject(d.value) && isPlainObject(d.value.metadata) && d.value.metadata.name === name);
  const chosen = named ?? (deployments.length === 1 ? deployments[0] : undefined);
  if (!chosen) throw new Error(`${path}: no Deployment named ${name} (found ${deployments.length} Deployments)`);
  return controllerTolerations(chosen.value, `${path} (${chosen.label})`);
}

/** --extra-tolerations: a JSON or YAML list. */
export function parseExtraTolerations(text: string | undefined): Toleration[] {
  if (!text || !text.trim()) return [];
  const docs = parseDocuments(text, '--extra-tolerations');
  return parseTolerationList(docs[0]?.value, '--extra-tolerations');
}
