/**
 * The benchmark scripts' command lines, read with the CLI's parseOptions: an unknown flag, a missing
 * value or a number that is not a positive number is refused with a message, never run as NaN.
 * No environment variables: the FLEET_WEBHOOK_* ones configure the server, not the tools measuring it.
 */
import { parseOptions, UsageError, type OptionSpec, type OptionValues } from '../src/cli/options.js';

/** Numbers are declared as text and checked by `positive`, so that a bad value says what the option needs. */
export function numberOption(name: string, description: string): OptionSpec {
  return { name, type: 'string', description };
}

export const SMOKE: OptionSpec = { name: 'smoke', type: 'boolean', default: false, description: 'a few hundred requests per load, for CI' };

export interface BenchArgs {
  values: OptionValues;
  positionals: string[];
  smoke: boolean;
  /** The option's value, or `def` when not given; refused unless a positive (whole, by default) number. */
  positive(name: string, def: number, integer?: boolean): number;
}

export function readBenchArgs(specs: readonly OptionSpec[], argv: readonly string[], usage: string): BenchArgs {
  const { values, help, positionals } = parseOptions(specs, argv, {});
  if (help) throw new UsageError(usage);
  return {
    values,
    positionals,
    smoke: values.smoke === true,
    positive(name, def, integer = true) {
      const v = values[name] as string | undefined;
      const n = v === undefined ? def : Number(v);
      if (!(n > 0) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number, not ${v}`);
      return n;
    },
  };
}

/** For a script's entry point: a usage error is printed as one line and exits 2, before anything starts. */
export function argsOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

export interface BenchRunOptions {
  smoke: boolean;
  /** Length of one load run. */
  seconds: number;
  processes: number;
  /** Rounded up to a multiple of `processes`, so that every process pair serves as many rounds. */
  rounds: number;
  memorySeconds: number;
  idleSeconds: number;
}

const BENCH_OPTIONS: readonly OptionSpec[] = [
  numberOption('seconds', 'length of one load run'),
  numberOption('processes', 'processes of each server'),
  numberOption('rounds', 'alternating webhook/baseline runs per comparison'),
  numberOption('memory-seconds', 'sustained load for the memory row'),
  numberOption('idle-seconds', 'memory watched idle after it'),
  SMOKE,
];

/** `npm run bench`; with --smoke only --processes is read, the rest are the smoke run's own. */
export function parseBenchArgs(argv: readonly string[]): BenchRunOptions {
  const args = readBenchArgs(BENCH_OPTIONS, argv, 'usage: npm run bench -- [--seconds N] [--processes N] [--rounds N] [--memory-seconds N] [--idle-seconds N] [--smoke]');
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const { smoke } = args;
  const seconds = args.positive('seconds', 2, false);
  const processes = args.positive('processes', smoke ? 1 : 3);
  const rounds = Math.ceil((smoke ? 1 : args.positive('rounds', 6)) / processes) * processes;
  return {
    smoke,
    seconds,
    processes,
    rounds,
    memorySeconds: smoke ? 2 : args.positive('memory-seconds', 60, false),
    idleSeconds: smoke ? 2 : args.positive('idle-seconds', 60),
  };
}

export interface SoakOptions {
  seconds: number;
  connections: number;
}

const SOAK_OPTIONS: readonly OptionSpec[] = [
  numberOption('seconds', 'length of the run'),
  numberOption('connections', 'keep-alive connections, shared out among the kinds of review'),
];

export function parseSoakArgs(argv: readonly string[]): SoakOptions {
  const args = readBenchArgs(SOAK_OPTIONS, argv, 'usage: npm run soak -- [--seconds N] [--connections N]');
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  return { seconds: args.positive('seconds', 300, false), connections: args.positive('connections', 16) };
}
