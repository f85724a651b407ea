import { NAME_FORMATS, type NameFormat } from '../kube/names.js';

/**
 * Declarative flags: each has an environment variable FLEET_WEBHOOK_<NAME> (dashes become
 * underscores); a flag on the command line wins over the variable, which wins over the default.
 */
export type OptionType = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  short?: string;
  /** Shown in help instead of the default value (e.g. a computed default). */
  defaultText?: string;
  /** Numbers: the bounds accepted (inclusive), and whether only whole numbers are. */
  min?: number;
  max?: number;
  integer?: boolean;
  /** Strings: a Kubernetes name rule every given value must follow (an empty one too). */
  format?: NameFormat;
}

export type OptionValues = Record<string, string | number | boolean | undefined>;

export class UsageError extends Error {}

export function envName(option: string): string {
  return 'FLEET_WEBHOOK_' + option.toUpperCase().replace(/-/g, '_');
}

export function parseOptions(specs: readonly OptionSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): { values: OptionValues; help: boolean; positionals: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const fromFlags: OptionValues = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const spec = byShort.get(arg.slice(1));
      if (!spec) throw new UsageError(`unknown flag ${arg}`);
      name = spec.name;
    }
    let spec = byName.get(name);
    let negated = false;
    if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
      spec = byName.get(name.slice(3));
      negated = true;
    }
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    if (spec.type === 'boolean') {
      fromFlags[spec.name] = inline === undefined ? !negated : parseBoolean(inline, `--${name}`);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${spec.name} needs a value`);
      raw = argv[++i];
    }
    fromFlags[spec.name] = convert(spec, raw, `--${spec.name}`);
  }
  const values: OptionValues = {};
  for (const spec of specs) {
    if (fromFlags[spec.name] !== undefined) values[spec.name] = fromFlags[spec.name];
    else if (env[envName(spec.name)] !== undefined && env[envName(spec.name)] !== '') {
      values[spec.name] = spec.type === 'boolean'
        ? parseBoolean(env[envName(spec.name)] as string, envName(spec.name))
        : convert(spec, env[envName(spec.name)] as string, envName(spec.name));
    } else values[spec.name] = spec.default;
  }
  return { values, help, positionals };
}

function convert(spec: OptionSpec, raw: string, source: string): string | number {
  if (spec.type === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n) || raw.trim() === '') throw new UsageError(`${source} must be a number, got "${raw}"`);
    if (spec.integer && !Number.isInteger(n)) throw new UsageError(`${source} must be a whole number, got "${raw}"`);
    if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
      throw new UsageError(`${source} must be ${rangeText(spec)}, got "${raw}"`);
    }
    return n;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`${source} must be one of ${spec.choices.join(', ')}, got "${raw}"`);
  }
  if (spec.format && !NAME_FORMATS[spec.format].test(raw)) {
    throw new UsageError(`${source} must be ${NAME_FORMATS[spec.format].description}, got "${raw}"`);
  }
  return raw;
}

function rangeText(spec: OptionSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `from ${spec.min} to ${spec.max}`;
  return spec.min !== undefined ? `at least ${spec.min}` : `at most ${spec.max}`;
}

function parseBoolean(raw: string, source: string): boolean {
  const v = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new UsageError(`${source} must be true or false, got "${raw}"`);
}

export function formatHelp(usage: string, summary: string, specs: readonly OptionSpec[]): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Flags (each also read from the environment variable shown; a flag wins):'];
  for (const s of specs) {
    const flag = `  ${s.short ? `-${s.short}, ` : ''}--${s.name}${s.type === 'boolean' ? '' : ` <${s.choices ? s.choices.join('|') : s.type === 'number' ? 'n' : 'value'}>`}`;
    const def = s.defaultText ?? (s.default !== undefined && s.default !== '' ? String(s.default) : undefined);
    lines.push(flag);
    const notes = [def !== undefined ? `default: ${def}` : '', s.min !== undefined || s.max !== undefined ? rangeText(s) : ''].filter((n) => n !== '').join('; ');
    lines.push(`      ${s.description}${notes ? ` (${notes})` : ''}  [${envName(s.name)}]`);
  }
  lines.push('  -h, --help', '      Show this help.');
  return lines.join('\n') + '\n';
}
