import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { formatHelp, parseOptions, UsageError, type OptionSpec } from './options.js';
import { MUTATION_FLAGS, mutationSettings } from './flags.js';
import { MutatingHandler, DEFAULT_PROTECTED_NAMESPACES, type Evaluation } from '../admission/handler.js';
import { applyAddPatchToYaml, documentsToYaml, objectsOf, parseDocuments, type ManifestObject, type ParsedDocument } from '../manifests/yaml.js';
import { supportedKindOfObject } from '../mutation/workload.js';
import { isPlainObject } from '../mutation/json-pointer.js';
import type { Change } from '../mutation/types.js';
import { CHANGE_ANNOTATION, describeChange } from '../mutation/mutate.js';
import { mergeTolerationSets } from '../mutation/tolerations.js';
import { findingsOf, formatTable } from '../audit/findings.js';
import type { SelectingKind } from '../collisions/workloads.js';
import { readControllerFile } from '../sources/controller-file.js';
import { GlobalModeSource, StaticTolerationSource } from '../sources/static.js';

export const MUTATE_FLAGS: readonly OptionSpec[] = [
  { name: 'filename', short: 'f', type: 'string', description: 'Multi-document YAML or JSON to mutate; - reads standard input' },
  ...MUTATION_FLAGS,
  { name: 'check', type: 'boolean', default: false, description: 'Write no documents: report missing tolerations, missing component labels and selector collisions; exit 1 when there is any' },
  { name: 'output', short: 'o', type: 'string', default: 'table', choices: ['table', 'json'], description: 'Format of the --check report' },
];

const USAGE = 'fleet-webhook mutate -f FILE|- --controller-file FILE [--mode enforce|audit] [--check [-o table|json]]';
const SUMMARY =
  'Apply the webhook\'s mutation offline to every Job, CronJob and Deployment in the input (e.g. `helm template` output).\n' +
  'Resulting documents go to stdout in input order, other kinds unchanged; a summary goes to stderr.\n' +
  'With --check: no documents, only findings (e.g. `helm template ... | fleet-webhook mutate --check -f - --controller-file c.yaml` in a chart\'s CI).\n' +
  'Exit codes: 0 success (with --check: no findings), 1 findings (--check only), 2 unreadable input or bad flags.';

export interface CommandIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function mutateCommand(argv: string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const { values: v, help } = parseOptions(MUTATE_FLAGS, argv, env);
  if (help) {
    io.stdout.write(formatHelp(USAGE, SUMMARY, MUTATE_FLAGS));
    return 0;
  }
  const file = v.filename as string | undefined;
  if (!file) throw new UsageError('-f FILE (or -f - for standard input) is required');
  const controllerFile = v['controller-file'] as string | undefined;
  if (!controllerFile) throw new UsageError('--controller-file is required (the controller Deployment, YAML or JSON)');
  const settings = mutationSettings(v);

  let docs: ParsedDocument[];
  let tolerations;
  try {
    const text = file === '-' ? await readStream(io.stdin) : await readFile(file, 'utf8');
    docs = parseDocuments(text, file === '-' ? 'stdin' : file);
    tolerations = await readControllerFile(controllerFile, String(v['controller-name']));
  } catch (err) {
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return 2;
  }

  const objects = objectsOf(docs);
  if (v.check) {
    const wanted = mergeTolerationSets(tolerations, settings.extraTolerations);
    const checked = objects.flatMap((o) => {
      const kind = checkedKind(o.value);
      return kind ? [{ kind, obj: o.value }] : [];
    });
    const findings = findingsOf(checked, wanted, settings.componentLabelKey, 'manifests');
    io.stdout.write(v.output === 'json' ? JSON.stringify({ findings }, null, 2) + '\n' : formatTable(findings));
    return findings.length > 0 ? 1 : 0;
  }

  const handler = new MutatingHandler({
    componentLabelKey: settings.componentLabelKey,
    changeAnnotationKey: CHANGE_ANNOTATION,
    globalMode: settings.mode,
    extraTolerations: settings.extraTolerations,
    tolerationSource: new StaticTolerationSource(tolerations),
    modeSource: new GlobalModeSource(settings.mode),
    protectedNamespaces: new Set(DEFAULT_PROTECTED_NAMESPACES),
    log: pino({ level: 'silent' }),
  });

  const lines: string[] = [];
  let workloads = 0;
  let changed = 0;
  for (const o of objects) {
    const evaluation = evaluateObject(handler, o);
    if (!evaluation) continue;
    workloads += 1;
    const { result, warnings } = evaluation;
    if (!result || result.changes.length === 0) {
      lines.push(`${o.label}: unchanged${result?.skipped ? ` (${result.skipped})` : evaluation.mode ? '' : ' (protected namespace)'}`);
    } else {
      changed += 1;
      if (settings.mode === 'enforce') applyAddPatchToYaml(o.document.doc, result.patch, o.pointer);
      lines.push(`${o.label}: ${settings.mode === 'audit' ? 'would add' : 'added'} ${describeChanges(result.changes)}`);
    }
    for (const w of warnings ?? []) lines.push(`  warning: ${w}`);
  }
  io.stdout.write(documentsToYaml(docs.map((d) => d.doc)));
  const verb = settings.mode === 'audit' ? 'would change' : 'changed';
  lines.push(`${verb} ${changed} of ${workloads} workload(s) in ${docs.length} document(s)`);
  io.stderr.write(lines.join('\n') + '\n');
  return 0;
}

/** The handler's view of one manifest object, as if the API server sent it as a CREATE; undefined for other kinds. */
export function evaluateObject(handler: MutatingHandler, o: ManifestObject): Evaluation | undefined {
  const value = o.value;
  if (!isPlainObject(value)) return undefined;
  const kind = supportedKindOfObject(value);
  if (!kind) return undefined;
  const meta = isPlainObject(value.metadata) ? value.metadata : {};
  const [group, version] = String(value.apiVersion).split('/');
  return handler.evaluate({
    uid: `document-${o.document.index}${o.pointer}`,
    kind: { group, version, kind },
    operation: 'CREATE',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    object: value,
  });
}

/** Workload kinds the webhook mutates, plus v1 Services (whose selectors collide). */
function checkedKind(value: unknown): SelectingKind | undefined {
  if (!isPlainObject(value)) return undefined;
  if (value.apiVersion === 'v1' && value.kind === 'Service') return 'Service';
  return supportedKindOfObject(value);
}

export function describeChanges(changes: readonly Change[]): string {
  return changes.map(describeChange).join('; ');
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
