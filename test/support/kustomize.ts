import { execFile } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT, runCli } from './cli.js';

const exec = promisify(execFile);

/** `kubectl kustomize DIR`, parsed. kubectl renders offline; there is no cluster here. */
export async function render(dir: string): Promise<any[]> {
  const { stdout } = await exec('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS());
}

/** A copy of deploy/ beside a certs/ written by `fleet-webhook certs`, as a user has after the first install step. */
export async function deployWithCerts(): Promise<{ root: string; certsDir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'deploy-'));
  await cp(join(PACKAGE_ROOT, 'deploy'), join(root, 'deploy'), { recursive: true });
  const certsDir = join(root, 'certs');
  const res = await runCli(['certs', '--out', certsDir]);
  if (res.code !== 0) throw new Error(`certs failed: ${res.stderr}`);
  return { root, certsDir };
}

export function find(objects: any[], kind: string, name?: string): any {
  const found = objects.find((o) => o.kind === kind && (!name || o.metadata?.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} rendered`);
  return found;
}
