/**
 * npm run bench:ab -- [options] COPY COPY...: server CPU per admission of several builds of the
 * server, side by side, with every copy taking every slot of a round in turn.
 *
 * A COPY is a directory holding a built server (`dist/src/cli/main.js`, as `npm run build` leaves
 * it; `.` is this checkout) or `baseline` (the benchmark's minimal fastify server). A copy runs with
 * the Node flags of its own Dockerfile's ENTRYPOINT, or this checkout's when it has none.
 *
 * Why rotated: when several copies take turns in a fixed order, where a copy runs in the round
 * changes its cost by several percent on this machine (docs/performance.md, the section on slots),
 * enough to hide or invent the differences worth measuring. Here round r runs the copies in their
 * order shifted by r, on process r mod --processes of each copy.
 *
 * Options: --connections N (default 1), --body NAME (a realistic review: "gitjob Job", "cleanup
 * CronJob", "fleet-controller Deployment"; default the Job), --processes N (per copy, default 3),
 * --rounds N (default 12), --seconds N (per run, default 2), --smoke (200 requests per run, one
 * process, two rounds, for CI). Writes bench/results/ab-<date>.json.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BASELINE, cpuRatio, withBenchTls, load, loadRaw, machine, serverNodeFlags, standaloneServeArgs, startServer, summarize, writeReport, type BenchTls, type RawLoad, type RunningServer } from './lib.js';
import { REALISTIC } from './objects.js';
import { UsageError, type OptionSpec } from '../src/cli/options.js';
import { argsOrExit, numberOption, readBenchArgs, SMOKE } from './options.js';
import { warmUpOnEveryKind } from './warm-up.js';

const OPTIONS: readonly OptionSpec[] = [
  numberOption('connections', 'parallel keep-alive connections'),
  { name: 'body', type: 'string', default: 'gitjob Job', choices: Object.keys(REALISTIC), description: 'the realistic review sent' },
  numberOption('processes', 'processes of each copy'),
  numberOption('rounds', 'rounds, each running every copy once'),
  numberOption('seconds', 'length of one run'),
  { ...SMOKE, description: '200 requests per run, one process, two rounds' },
];

export interface AbOptions {
  copies: string[];
  connections: number;
  body: string;
  processes: number;
  rounds: number;
  load: { seconds: number } | { amount: number };
  warmUp: { seconds: number } | { amount: number };
}

export interface AbCopyResult {
  copy: string;
  cpuPerRequestUs: number;
  rps: number;
  p99: number;
  requests: number;
  errors: number;
  /** This copy's CPU per request divided by the first copy's, all rounds pooled. */
  cpuRatioToFirst: number | null;
  /** The slot (0 = first) this copy ran in, round by round. */
  slots: number[];
}

export function parseAbArgs(argv: string[]): AbOptions {
  const args = readBenchArgs(OPTIONS, argv, 'usage: npm run bench:ab -- [--connections N] [--body NAME] [--processes N] [--rounds N] [--seconds N] [--smoke] COPY COPY...');
  const { smoke, positionals: copies } = args;
  if (copies.length < 2) throw new UsageError('give at least two copies to compare (directories with a built server, or "baseline")');
  for (const c of copies) {
    if (c !== 'baseline' && !existsSync(cliOf(c))) throw new UsageError(`${c}: no built server at ${cliOf(c)} (run npm run build there)`);
  }
  return {
    copies,
    connections: args.positive('connections', 1),
    body: args.values.body as string,
    processes: smoke ? 1 : args.positive('processes', 3),
    rounds: smoke ? 2 : args.positive('rounds', 12),
    load: smoke ? { amount: 200 } : { seconds: args.positive('seconds', 2, false) },
    warmUp: smoke ? { amount: 200 } : { seconds: 1 },
  };
}

function cliOf(copy: string): string {
  return join(resolve(copy), 'dist', 'src', 'cli', 'main.js');
}

export function runAb(opts: AbOptions): Promise<AbCopyResult[]> {
  return withBenchTls('bench-ab', (tls) => measureCopies(opts, tls));
}

async function measureCopies(opts: AbOptions, { caCert, certFile, keyFile }: BenchTls): Promise<AbCopyResult[]> {
  const processes: RunningServer[][] = [];
  try {
    for (const [i, copy] of opts.copies.entries()) {
      const started: RunningServer[] = [];
      processes.push(started);
      for (let p = 0; p < opts.processes; p++) started.push(await startCopy(`${i}:${copy}#${p}`, copy, certFile, keyFile));
    }
    await warmUpOnEveryKind(processes.flat(), caCert, opts.warmUp, 1);
    const body = REALISTIC[opts.body]();
    for (const server of processes.flat()) await load(server, caCert, body, opts.connections, opts.warmUp);

    const runs: RawLoad[][] = opts.copies.map(() => []);
    const slots: number[][] = opts.copies.map(() => []);
    for (let r = 0; r < opts.rounds; r++) {
      for (let s = 0; s < opts.copies.length; s++) {
        const c = (s + r) % opts.copies.length;
        slots[c].push(s);
        runs[c].push(await loadRaw(processes[c][r % opts.processes], caCert, body, opts.connections, opts.load));
      }
    }
    const summaries = runs.map((r) => summarize(r));
    return opts.copies.map((copy, c) => {
      const s = summaries[c];
      return { copy, cpuPerRequestUs: s.cpuPerRequestUs, rps: s.rps, p99: s.p99, requests: s.requests, errors: s.errors, cpuRatioToFirst: cpuRatio(s, summaries[0], 3), slots: slots[c] };
    });
  } finally {
    for (const server of processes.flat()) await server.stop();
  }
}

function startCopy(name: string, copy: string, certFile: string, keyFile: string): Promise<RunningServer> {
  if (copy === 'baseline') return startServer(name, BASELINE, [certFile, keyFile]);
  const dockerfile = join(resolve(copy), 'Dockerfile');
  const flags = existsSync(dockerfile) ? serverNodeFlags(dockerfile) : serverNodeFlags();
  return startServer(name, cliOf(copy), standaloneServeArgs(certFile, keyFile), flags);
}

async function main() {
  const opts = argsOrExit(() => parseAbArgs(process.argv.slice(2)));
  const env = machine();
  console.log(`fleet-webhook A/B on ${env.cpu} (${env.cores} cores, ${env.memoryGiB} GiB), Node ${env.node}, Linux ${env.kernel}`);
  console.log(`${opts.body}, ${opts.connections} connection(s), ${opts.processes} process(es) per copy, ${opts.rounds} rounds, the copies' order rotated every round\n`);
  const results = await runAb(opts);
  for (const r of results) {
    console.log(`${r.copy.padEnd(30)} ${String(r.cpuPerRequestUs).padStart(7)} µs CPU/req  ${String(r.rps).padStart(6)} req/s  p99 ${r.p99} ms  errors ${r.errors}  × first ${r.cpuRatioToFirst ?? '-'}`);
  }
  const file = await writeReport('ab', { machine: env, ...opts, results });
  console.log(`\nwrote ${file}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
